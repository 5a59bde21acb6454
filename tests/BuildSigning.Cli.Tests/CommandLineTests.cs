using System.Security.Cryptography.X509Certificates;
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

public sealed class KeygenNuGetCertificateTests : IDisposable
{
    private readonly TempDirectory _directory = new("bskeygen");

    public void Dispose() => _directory.Dispose();

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        return (BuildSignCommand.Invoke(args, output, error), output.ToString(), error.ToString());
    }

    [Fact]
    public void NuGetCertificate_IsASelfSignedRsaCodeSigningCertificate_ThatAuthorSignsAPackage()
    {
        string key = _directory.Combine("release.pem");
        var result = Run("keygen", "--out", key, "--nuget-certificate", "CN=Contoso Release Signing, O=Contoso");
        Assert.True(result.ExitCode == 0, result.Error);
        string certificatePath = _directory.Combine("release.cer.pem");
        Assert.Contains(certificatePath, result.Output);

        using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
        Assert.Equal("CN=Contoso Release Signing, O=Contoso", certificate.Subject);
        Assert.Equal(3072, certificate.GetRSAPublicKey()!.KeySize);
        Assert.Contains(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), result.Output);

        // The pair author-signs a real package, as BuildSigningKeyFile + BuildSigningCertificateFile do at pack.
        string package = _directory.Combine("Contoso.Lib.1.0.0.nupkg");
        using (var zip = System.IO.Compression.ZipFile.Open(package, System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var nuspec = new StreamWriter(zip.CreateEntry("Contoso.Lib.nuspec").Open()))
            {
                nuspec.Write("""<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>Contoso.Lib</id><version>1.0.0</version><authors>Contoso</authors><description>test</description></metadata></package>""");
            }
            using var dll = new StreamWriter(zip.CreateEntry("lib/net10.0/Contoso.Lib.dll").Open());
            dll.Write("not really IL");
        }
        using var signing = BuildSigning.Core.Keys.CodeSigningCertificateLoader.Load(new BuildSigning.Core.Keys.CodeSigningCertificateOptions(certificatePath, key));
        var signed = BuildSigning.Core.Packages.NuGetPackageSigner.Sign(package, signing);
        Assert.Equal(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), signed.CertificateFingerprint, ignoreCase: true);
    }

    [Fact]
    public void NuGetCertificate_WithAnEcKeyOrABadSubject_IsRefused_AndWritesNothing()
    {
        var ec = Run("keygen", "--out", _directory.Combine("ec.pem"), "--type", "ecdsa-p256", "--nuget-certificate", "CN=x");
        Assert.Equal(2, ec.ExitCode);
        Assert.Contains("error BS1023", ec.Error);
        Assert.False(File.Exists(_directory.Combine("ec.pem")));

        var subject = Run("keygen", "--out", _directory.Combine("bad.pem"), "--nuget-certificate", "not=a=name,,=");
        Assert.Equal(2, subject.ExitCode);
        Assert.Contains("error BS1022", subject.Error);
        Assert.False(File.Exists(_directory.Combine("bad.cer.pem")));
    }
}
