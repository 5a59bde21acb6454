using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

[Collection(PackagedPublishCollection.Name)]
public sealed class PublishSigningTests(PackagedBuildSigning product)
{
    private const string BundleRelativePath = ".buildsigning/files.sigstore.json";

    [Fact]
    public void FrameworkDependentPublish_SignsEveryFile_AndVerifiesWithBuildsignOpensslAndSha256sum()
    {
        string project = product.CopySample("publish-fd");
        string publish = Path.Combine(project, "out");
        var result = PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));
        Assert.Contains("warning BS1011", result.Output);

        string bundle = Path.Combine(publish, BundleRelativePath);
        var subjects = Bundles.Subjects(bundle);
        var published = Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(publish, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".buildsigning/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Contains("HelloSigned.dll", published);
        Assert.Contains("Serilog.dll", published);
        Assert.Equal(published, subjects.Keys.Order(StringComparer.Ordinal).ToArray());

        var verify = product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Verified {published.Length} files", verify.StandardOutput);

        using var work = new TempDirectory();
        var openssl = Bundles.VerifyWithOpenSsl(bundle, product.DevelopmentPublicKey, work.Path);
        Assert.True(openssl.ExitCode == 0 && openssl.StandardOutput.Contains("Verified OK"), openssl.ToString());

        var sha256sum = ProcessRunner.Run("sha256sum", ["--check", "--strict", ".buildsigning/files.sha256"], publish);
        Assert.True(sha256sum.ExitCode == 0, sha256sum.ToString());
    }

    [Fact]
    public void ChangedDeletedAndAddedFiles_FailVerification_NamingEachFile()
    {
        string project = product.CopySample("publish-tamper");
        string publish = Path.Combine(project, "out");
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));
        Assert.Equal(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);

        byte[] original = File.ReadAllBytes(Path.Combine(publish, "HelloSigned.dll"));
        byte[] changed = (byte[])original.Clone();
        changed[changed.Length / 2] ^= 0x01;
        File.WriteAllBytes(Path.Combine(publish, "HelloSigned.dll"), changed);
        AssertFailsNaming(publish, "HelloSigned.dll", "BS3005");
        File.WriteAllBytes(Path.Combine(publish, "HelloSigned.dll"), original);

        string serilog = Path.Combine(publish, "Serilog.dll");
        byte[] serilogBytes = File.ReadAllBytes(serilog);
        File.Delete(serilog);
        AssertFailsNaming(publish, "Serilog.dll", "BS3006");
        File.WriteAllBytes(serilog, serilogBytes);

        Directory.CreateDirectory(Path.Combine(publish, "plugins"));
        File.WriteAllText(Path.Combine(publish, "plugins", "extra.dll"), "not signed");
        AssertFailsNaming(publish, "plugins/extra.dll", "BS3007");
        Directory.Delete(Path.Combine(publish, "plugins"), recursive: true);

        Assert.Equal(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);
    }

    [Fact]
    public void SelfContainedPublish_SignsHundredsOfFiles_AndVerifies()
    {
        string project = product.CopySample("publish-sc");
        string publish = Path.Combine(project, "out");
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", publish));

        int fileCount = Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories).Count(f => !f.Contains("/.buildsigning/"));
        Assert.True(fileCount > 150, $"a self-contained publish has hundreds of files, found {fileCount}");
        var statement = Bundles.ReadStatement(Path.Combine(publish, BundleRelativePath));
        Assert.Equal("linux-x64", statement.GetProperty("predicate").GetProperty("runtimeIdentifier").GetString());
        Assert.Equal(fileCount, statement.GetProperty("subject").GetArrayLength());

        var verify = product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Verified {fileCount} files", verify.StandardOutput);
    }

    [Fact]
    public void SecondPublishWithNothingChanged_RewritesNoSignature_AndAnEditReSigns()
    {
        string project = product.CopySample("publish-incremental");
        string publish = Path.Combine(project, "out");
        string bundle = Path.Combine(publish, BundleRelativePath);
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));
        byte[] firstBytes = File.ReadAllBytes(bundle);
        DateTime firstTime = File.GetLastWriteTimeUtc(bundle);

        var second = PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish, "-v:n"));
        Assert.Equal(firstBytes, File.ReadAllBytes(bundle));
        Assert.Equal(firstTime, File.GetLastWriteTimeUtc(bundle));
        Assert.DoesNotContain("bundle(s) written", second.Output);
        Assert.Contains("files keep their signature", second.Output);

        // Once every file is older than the racy window of the last signing's scan, an unchanged publish ends after one scan:
        // the state saved beside the digest cache matches, nothing is hashed, built or verified again.
        Thread.Sleep(TimeSpan.FromSeconds(2.5));
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));
        var third = PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish, "-v:n"));
        Assert.Contains(third.Output.Split('\n'), line => line.Contains("unchanged since it was signed", StringComparison.Ordinal) && line.Contains(publish, StringComparison.Ordinal));
        Assert.Equal(firstBytes, File.ReadAllBytes(bundle));
        Assert.Equal(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);

        // A published file rewritten with its old size and time is noticed (its change time and inode differ): signed again.
        string dll = Directory.GetFiles(publish, "*.dll").First();
        byte[] content = File.ReadAllBytes(dll);
        DateTime dllTime = File.GetLastWriteTimeUtc(dll);
        content[^1] ^= 0x01;
        File.WriteAllBytes(dll, content);
        File.SetLastWriteTimeUtc(dll, dllTime);
        var fourth = PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish, "-v:n"));
        Assert.DoesNotContain(fourth.Output.Split('\n'), line => line.Contains("unchanged since", StringComparison.Ordinal) && line.Contains(publish, StringComparison.Ordinal));
        Assert.Contains("bundle(s) written", fourth.Output);
        Assert.Equal(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);

        File.AppendAllText(Path.Combine(project, "Program.cs"), "\n// a change that alters the compiled assembly\nclass Changed { }\n");
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));
        Assert.NotEqual(firstBytes, File.ReadAllBytes(bundle));
        Assert.Equal(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);
    }

    private void AssertFailsNaming(string publish, string fileName, string code)
    {
        var verify = product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Contains(code, verify.Output);
        Assert.Contains($"'{fileName}'", verify.Output);
    }
}
