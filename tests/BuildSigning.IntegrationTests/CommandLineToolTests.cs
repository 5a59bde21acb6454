using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>The installed buildsign tool's answers to bad command lines: coded messages, exit code 2, nothing written.</summary>
[Collection(PackagedCollection.Name)]
public sealed class CommandLineToolTests(PackagedBuildSigning product)
{
    private ProcessResult BuildSign(IDictionary<string, string?> environment, params string[] arguments) =>
        ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"), arguments, product.Root, product.Environment(environment));

    [Theory]
    [InlineData("", "BS3070")]
    [InlineData("verify", "BS3070")]
    [InlineData("keygen --type dsa", "BS3070")]
    [InlineData("verify buildsigning-no-such.txt --key x.pem", "BS3075")]
    public void UsageErrorsAndBadPaths_ExitWith2_WithACode(string commandLine, string code)
    {
        var result = BuildSign(new Dictionary<string, string?>(), commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"error {code}", result.StandardError);
        Assert.DoesNotContain("   at ", result.StandardError);
    }

    [Fact]
    public void VerifyOfAPlainFile_AndKeygenWithAnEmptyPasswordVariable_SayWhatIsWrong()
    {
        string file = Path.Combine(product.Root, "not-a-package.txt");
        File.WriteAllText(file, "text");
        var verify = BuildSign(new Dictionary<string, string?>(), "verify", file, "--key", product.DevelopmentPublicKey);
        Assert.Equal(2, verify.ExitCode);
        Assert.Contains("error BS3071", verify.StandardError);
        Assert.DoesNotContain("does not exist", verify.StandardError);

        string key = Path.Combine(product.Root, "empty-password", "key.pem");
        var keygen = BuildSign(new Dictionary<string, string?> { ["BS_EMPTY_SECRET"] = "" }, "keygen", "--out", key, "--password-variable", "BS_EMPTY_SECRET");
        Assert.Equal(2, keygen.ExitCode);
        Assert.Contains("error BS1021", keygen.StandardError);
        Assert.Contains("set but empty", keygen.StandardError);
        Assert.False(File.Exists(key));
    }
}
