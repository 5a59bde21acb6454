using BuildSigning.TestSupport;

namespace BuildSigning.Cli.Tests;

/// <summary>What a user sees for each kind of bad command line: a BS code, a hint, exit code 2, never a stack trace.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory _directory = new("bscli");

    public void Dispose() => _directory.Dispose();

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = BuildSignCommand.Invoke(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static void AssertCoded((int ExitCode, string Output, string Error) result, string code)
    {
        Assert.True(result.ExitCode == ExitCodes.Error, $"exit {result.ExitCode}\n{result.Output}\n{result.Error}");
        Assert.Contains($"error {code}:", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.DoesNotContain("Exception", result.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("frobnicate")]
    [InlineData("verify")]
    [InlineData("verify x --bogus")]
    [InlineData("keygen --type dsa-1024")]
    public void UsageErrors_ExitWith2_AndBS3070(string commandLine)
    {
        var result = Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        AssertCoded(result, "BS3070");
        Assert.Contains("--help", result.Error);
    }

    [Fact]
    public void Help_ExitsWith0()
    {
        var result = Run("--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("verify", result.Output);
    }

    [Fact]
    public void VerifyOfAFileThatIsNotAPackage_SaysSo()
    {
        string file = _directory.Combine("a.txt");
        File.WriteAllText(file, "hello");
        var result = Run("verify", file, "--key", "unused.pem");
        AssertCoded(result, "BS3071");
        Assert.DoesNotContain("does not exist", result.Error);
    }

    [Fact]
    public void CertificateFingerprint_ForAFolder_IsRefused()
    {
        string folder = Directory.CreateDirectory(_directory.Combine("out")).FullName;
        AssertCoded(Run("verify", folder, "--certificate-fingerprint", new string('A', 64)), "BS3073");
    }

    [Fact]
    public void DevelopmentKeyOption_WithoutADevelopmentKey_SaysWhereItLookedAndWhatToDo()
    {
        string home = Directory.CreateDirectory(_directory.Combine("empty-home")).FullName;
        string folder = Directory.CreateDirectory(_directory.Combine("out2")).FullName;
        string? previous = Environment.GetEnvironmentVariable("BUILDSIGNING_HOME");
        Environment.SetEnvironmentVariable("BUILDSIGNING_HOME", home);
        try
        {
            var result = Run("verify", folder, "--development-key");
            AssertCoded(result, "BS3072");
            Assert.Contains(home, result.Error);
            Assert.DoesNotContain("Could not find", result.Error);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BUILDSIGNING_HOME", previous);
        }
    }

    [Fact]
    public void InspectOfAnUnsignedFolder_IsCoded_NotAStackTrace()
    {
        string folder = Directory.CreateDirectory(_directory.Combine("unsigned")).FullName;
        File.WriteAllText(Path.Combine(folder, "app.dll"), "x");
        AssertCoded(Run("inspect", folder), "BS3004");
        AssertCoded(Run("inspect", _directory.Combine("nowhere")), "BS3075");
    }

    [Fact]
    public void InspectOfAPackage_DescribesItInsteadOfParsingItAsJson()
    {
        string package = _directory.Combine("Empty.1.0.0.nupkg");
        using (var zip = System.IO.Compression.ZipFile.Open(package, System.IO.Compression.ZipArchiveMode.Create))
        {
            using var writer = new StreamWriter(zip.CreateEntry("Empty.nuspec").Open());
            writer.Write("<package />");
        }
        var unsigned = Run("inspect", package);
        AssertCoded(unsigned, "BS3074");
        Assert.DoesNotContain("JSON", unsigned.Error);

        File.WriteAllText(_directory.Combine("Broken.1.0.0.nupkg"), "not a zip");
        AssertCoded(Run("inspect", _directory.Combine("Broken.1.0.0.nupkg")), "BS3076");
    }

    [Fact]
    public void KeygenWithAnUnsetPasswordVariable_SaysItIsNotSet_AndWritesNoKey()
    {
        const string variable = "BSCLI_TEST_EMPTY_PASSWORD";
        Environment.SetEnvironmentVariable(variable, null);
        AssertCoded(Run("keygen", "--out", _directory.Combine("k1.pem"), "--password-variable", variable), "BS1015");
        Assert.False(File.Exists(_directory.Combine("k1.pem")));
    }
}
