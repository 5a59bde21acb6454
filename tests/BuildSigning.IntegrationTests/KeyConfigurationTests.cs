using System.IO.Compression;
using System.Text;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

[Collection(PackagedPublishCollection.Name)]
public sealed class KeyConfigurationTests(PackagedBuildSigning product)
{
    [Fact]
    public void EncryptedKeyFromKeygen_SignsPublishOutput_AndThePasswordNeverReachesTheBinlog()
    {
        const string password = "correct horse battery staple 7Q";
        string project = product.CopySample("key-encrypted");
        string keyFile = Path.Combine(project, "keys", "release.pem");
        var environment = new Dictionary<string, string?> { ["RELEASE_KEY_PASSWORD"] = password };
        Directory.CreateDirectory(Path.GetDirectoryName(keyFile)!);
        var keygen = ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"),
            ["keygen", "--out", keyFile, "--password-variable", "RELEASE_KEY_PASSWORD"], project, product.Environment(environment));
        Assert.True(keygen.ExitCode == 0, keygen.ToString());
        Assert.Contains("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(keyFile));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        string publish = Path.Combine(project, "out");
        string binlog = Path.Combine(project, "publish.binlog");
        var result = product.Dotnet(project, environment, "publish", "-c", "Release", "-o", publish, $"-bl:{binlog}",
            $"-p:BuildSigningKeyFile={keyFile}", "-p:BuildSigningKeyPasswordVariable=RELEASE_KEY_PASSWORD");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("BS1011", result.Output);

        var verify = product.BuildSign("verify", publish, "--key", Path.Combine(project, "keys", "release.pub.pem"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.NotEqual(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);

        Assert.DoesNotContain(password, result.Output);
        Assert.DoesNotContain(password, ReadBinlogText(binlog));
        Assert.Contains("RELEASE_KEY_PASSWORD", ReadBinlogText(binlog));
    }

    [Fact]
    public void WrongPassword_FailsTheBuildWithBS1003_AndLeavesNoSignature()
    {
        string project = product.CopySample("key-wrong-password");
        string keyFile = Path.Combine(project, "release.pem");
        var environment = new Dictionary<string, string?> { ["KEY_PASSWORD"] = "right" };
        PackagedBuildSigning.Require(ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"),
            ["keygen", "--out", keyFile, "--password-variable", "KEY_PASSWORD"], project, product.Environment(environment)));

        string publish = Path.Combine(project, "out");
        var result = product.Dotnet(project, new Dictionary<string, string?> { ["KEY_PASSWORD"] = "Wr0ng-xyzzy-guess" },
            "publish", "-o", publish, $"-p:BuildSigningKeyFile={keyFile}", "-p:BuildSigningKeyPasswordVariable=KEY_PASSWORD");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error BS1003", result.Output);
        Assert.DoesNotContain("Wr0ng-xyzzy-guess", result.Output);
        Assert.False(File.Exists(Path.Combine(publish, ".buildsigning", "files.sigstore.json")));
    }

    [Fact]
    public void MissingKeyFile_FailsWithBS1001_AndCiBuildWithoutKeyFailsWithBS1010()
    {
        string project = product.CopySample("key-missing");
        var missing = product.Dotnet(project, "build", "-p:BuildSigningKeyFile=does-not-exist.pem");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("error BS1001", missing.Output);
        Assert.Contains("does-not-exist.pem", missing.Output);

        var ci = product.Dotnet(project, "build", "--no-restore", "-p:ContinuousIntegrationBuild=true");
        Assert.NotEqual(0, ci.ExitCode);
        Assert.Contains("error BS1010", ci.Output);
        Assert.DoesNotContain("BS1011", ci.Output);

        var required = product.Dotnet(project, "build", "--no-restore", "-p:BuildSigningRequireSigningKey=true");
        Assert.NotEqual(0, required.ExitCode);
        Assert.Contains("error BS1010", required.Output);

        // The SDK never sets ContinuousIntegrationBuild by itself: the CI systems' own variables must be enough.
        foreach (var (name, value) in new[] { ("GITHUB_ACTIONS", "true"), ("CI", "true") })
        {
            var detected = product.Dotnet(project, new Dictionary<string, string?> { [name] = value }, "build", "--no-restore");
            Assert.True(detected.ExitCode != 0, $"{name}={value}\n{detected}");
            Assert.Contains("error BS1010", detected.Output);
            Assert.Contains(name, detected.Output);
        }
        var optedOut = product.Dotnet(project, new Dictionary<string, string?> { ["CI"] = "true" }, "build", "--no-restore", "-p:BuildSigningRequireSigningKey=false");
        Assert.True(optedOut.ExitCode == 0, optedOut.ToString());
        Assert.Contains("BS1011", optedOut.Output);
    }

    [Fact]
    public void CiBuildWithTheDevelopmentKeyAsKeyFile_FailsWithBS1010_EvenWhenCopiedOrLinked()
    {
        string project = product.CopySample("key-development-in-ci");
        PackagedBuildSigning.Require(product.Dotnet(project, "build")); // creates the development key if no other test did
        string developmentKey = Path.Combine(product.Home, "development-key.pem");
        string copy = Path.Combine(project, "keys", "release.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(developmentKey, copy);
        UnixFile.RestrictToOwner(copy);
        string link = Path.Combine(project, "keys", "linked.pem");
        File.CreateSymbolicLink(link, developmentKey);

        foreach (string keyFile in new[] { developmentKey, copy, link })
        {
            var ci = product.Dotnet(project, "build", "--no-restore", "-p:ContinuousIntegrationBuild=true", $"-p:BuildSigningKeyFile={keyFile}");
            Assert.NotEqual(0, ci.ExitCode);
            Assert.Contains("error BS1010", ci.Output);
            Assert.Contains("development key", ci.Output);
        }
    }

    [Fact]
    public void KeyFilesThatAreFoldersOrReadableByOthers_FailWithACodedErrorThatSaysSo()
    {
        string project = product.CopySample("key-bad-paths");
        string folder = Directory.CreateDirectory(Path.Combine(project, "keys")).FullName;
        var isFolder = product.Dotnet(project, "build", $"-p:BuildSigningKeyFile={folder}");
        Assert.NotEqual(0, isFolder.ExitCode);
        Assert.Contains("error BS1019", isFolder.Output);
        Assert.DoesNotContain("does not exist", isFolder.Output);

        string keyFile = Path.Combine(folder, "release.pem");
        PackagedBuildSigning.Require(product.BuildSign("keygen", "--out", keyFile));
        if (!OperatingSystem.IsWindows())
        {
            UnixFile.SetMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var readable = product.Dotnet(project, "build", "--no-restore", $"-p:BuildSigningKeyFile={keyFile}");
            Assert.NotEqual(0, readable.ExitCode);
            Assert.Contains("error BS1016", readable.Output);
            Assert.Contains($"chmod 600 '{keyFile}'", readable.Output);
            UnixFile.SetMode(keyFile, UnixFile.OwnerReadWrite);
        }
        string output = Path.Combine(project, "bin", "Debug", "net10.0");
        PackagedBuildSigning.Require(product.Dotnet(project, "build", "--no-restore", $"-p:BuildSigningKeyFile={keyFile}"));

        var verify = product.BuildSign("verify", output, "--key", folder);
        Assert.Equal(2, verify.ExitCode);
        Assert.Contains("BS1013", verify.Output);
        Assert.Contains("is a folder", verify.Output);
    }

    [Fact]
    public void VerifyWithAnotherKeyOrACorruptedBundle_FailsWithACodedError()
    {
        string project = product.CopySample("verify-bad-input");
        string publish = Path.Combine(project, "out");
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-o", publish));

        string otherKey = Path.Combine(project, "other.pem");
        PackagedBuildSigning.Require(product.BuildSign("keygen", "--out", otherKey));
        var wrongKey = product.BuildSign("verify", publish, "--key", Path.Combine(project, "other.pub.pem"));
        Assert.Equal(2, wrongKey.ExitCode);
        Assert.Contains("BS3003", wrongKey.Output);

        var noKey = product.BuildSign("verify", publish);
        Assert.Equal(2, noKey.ExitCode);
        Assert.Contains("BS3009", noKey.Output);

        string bundle = Path.Combine(publish, ".buildsigning", "files.sigstore.json");
        File.WriteAllText(bundle, File.ReadAllText(bundle)[..100]);
        var corrupted = product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey);
        Assert.Equal(2, corrupted.ExitCode);
        Assert.Contains("BS3001", corrupted.Output);
    }

    /// <summary>A binlog is a gzip stream of records whose strings are stored as UTF-8: the inflated bytes hold any logged text.</summary>
    private static string ReadBinlogText(string binlog)
    {
        using var file = File.OpenRead(binlog);
        using var inflated = new GZipStream(file, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        inflated.CopyTo(buffer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
