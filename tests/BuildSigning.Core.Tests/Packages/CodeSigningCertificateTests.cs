using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Packages;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Packages;

public sealed class CodeSigningCertificateLoaderTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-cscert");

    public void Dispose() => _temp.Dispose();

    private static Func<string, string?> Env(string name, string value) => n => n == name ? value : null;

    [Fact]
    public void Loads_a_PFX_with_the_password_from_the_named_variable_and_keeps_its_chain()
    {
        var chain = TestCertificates.CreateCodeSigningChain();
        using var leaf = chain.Leaf;
        string pfx = TestCertificates.ExportPfx(leaf, _temp.Combine("a.pfx"), "s3cret", [chain.Root]);

        using var loaded = CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(pfx, PasswordVariable: "PFX_PW"), Env("PFX_PW", "s3cret"));

        Assert.Equal(leaf.Thumbprint, loaded.Certificate.Thumbprint);
        Assert.True(loaded.Certificate.HasPrivateKey);
        Assert.Equal(chain.Root.Thumbprint, Assert.Single(loaded.ExtraCertificates).Thumbprint);
        Assert.Equal(TestCertificates.Sha256Fingerprint(leaf), loaded.Sha256Fingerprint);
        Assert.False(loaded.IsDevelopmentCertificate);
    }

    [Fact]
    public void PFX_password_problems_have_their_own_codes()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string pfx = TestCertificates.ExportPfx(certificate, _temp.Combine("a.pfx"), "s3cret");

        Assert.Equal("BS1003", Assert.Throws<BuildSigningException>(() =>
            CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(pfx, PasswordVariable: "PFX_PW"), Env("PFX_PW", "wrong"))).Code);
        Assert.Equal("BS1004", Assert.Throws<BuildSigningException>(() =>
            CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(pfx, PasswordVariable: "PFX_PW"), _ => null)).Code);
        Assert.Equal("BS1005", Assert.Throws<BuildSigningException>(() =>
            CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(pfx), _ => null)).Code);
        Assert.Equal("BS1001", Assert.Throws<BuildSigningException>(() =>
            CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(_temp.Combine("missing.pfx")), _ => null)).Code);
    }

    [Fact]
    public void Loads_a_PEM_certificate_with_a_PEM_key_or_with_the_key_in_the_same_file()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        var (certificatePath, keyPath) = TestCertificates.ExportPem(certificate, _temp.Combine("c.pem"), _temp.Combine("k.pem"));

        using (var loaded = CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(certificatePath, keyPath)))
        {
            Assert.Equal(certificate.Thumbprint, loaded.Certificate.Thumbprint);
            Assert.True(loaded.Certificate.HasPrivateKey);
            Assert.Empty(loaded.ExtraCertificates);
        }

        string combined = UnixFile.RestrictToOwner(_temp.WriteFile("combined.pem", File.ReadAllText(keyPath) + File.ReadAllText(certificatePath)));
        using (var loaded = CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(combined)))
        {
            Assert.Equal(certificate.Thumbprint, loaded.Certificate.Thumbprint);
            Assert.True(loaded.Certificate.HasPrivateKey);
        }
    }

    [Fact]
    public void Finds_the_leaf_that_matches_the_key_among_chain_certificates()
    {
        var chain = TestCertificates.CreateCodeSigningChain();
        using var leaf = chain.Leaf;
        // Root first on purpose: the leaf is chosen by its key, not by position.
        string certificates = _temp.WriteFile("chain.pem", TestCertificates.ToPem(chain.Root, leaf));
        var (_, keyPath) = TestCertificates.ExportPem(leaf, _temp.Combine("unused.pem"), _temp.Combine("k.pem"));

        using var loaded = CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(certificates, keyPath));

        Assert.Equal(leaf.Thumbprint, loaded.Certificate.Thumbprint);
        Assert.Equal(chain.Root.Thumbprint, Assert.Single(loaded.ExtraCertificates).Thumbprint);
    }

    [Fact]
    public void A_key_that_belongs_to_another_certificate_is_BS1009()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        using var other = TestCertificates.CreateSelfSignedCodeSigning("CN=Other");
        var (certificatePath, _) = TestCertificates.ExportPem(certificate, _temp.Combine("c.pem"), _temp.Combine("k.pem"));
        var (_, otherKey) = TestCertificates.ExportPem(other, _temp.Combine("c2.pem"), _temp.Combine("k2.pem"));

        var error = Assert.Throws<BuildSigningException>(() => CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(certificatePath, otherKey)));

        Assert.Equal("BS1009", error.Code);
    }

    [Fact]
    public void A_PEM_file_without_certificates_is_BS1008()
    {
        string file = _temp.WriteFile("nothing.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");

        Assert.Equal("BS1008", Assert.Throws<BuildSigningException>(() => CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(file))).Code);
    }
}

public sealed class DevelopmentCodeSigningCertificateTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-devcert");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Is_created_once_private_and_reused()
    {
        string directory = _temp.Combine("home");

        string firstThumbprint;
        using (var first = DevelopmentCodeSigningCertificate.GetOrCreate(directory))
        {
            firstThumbprint = first.Certificate.Thumbprint;
            Assert.True(first.IsDevelopmentCertificate);
            Assert.True(first.Certificate.HasPrivateKey);
            using var rsa = first.Certificate.GetRSAPublicKey();
            Assert.Equal(3072, rsa!.KeySize);
            Assert.Equal(first.Certificate.Subject, first.Certificate.Issuer);
            NuGetPackageSigner.ValidateCertificate(first.Certificate); // valid for NuGet author signing
        }
        string privatePath = DevelopmentCodeSigningCertificate.PrivatePath(directory);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(privatePath));
        }
        byte[] privateBytes = File.ReadAllBytes(privatePath);

        using var second = DevelopmentCodeSigningCertificate.GetOrCreate(directory);

        Assert.Equal(firstThumbprint, second.Certificate.Thumbprint);
        Assert.Equal(privateBytes, File.ReadAllBytes(privatePath));
        using var published = X509Certificate2.CreateFromPem(File.ReadAllText(DevelopmentCodeSigningCertificate.CertificatePath(directory)));
        Assert.Equal(firstThumbprint, published.Thumbprint);
        Assert.False(published.HasPrivateKey);
    }

    [Fact]
    public void Concurrent_first_uses_agree_on_one_certificate()
    {
        string directory = _temp.Combine("home");

        var thumbprints = Enumerable.Range(0, 6).AsParallel().WithDegreeOfParallelism(6).Select(_ =>
        {
            using var certificate = DevelopmentCodeSigningCertificate.GetOrCreate(directory);
            return certificate.Certificate.Thumbprint;
        }).ToArray();

        Assert.Single(thumbprints.Distinct());
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    [Fact]
    public void An_expired_development_certificate_is_replaced()
    {
        string directory = _temp.Combine("home");
        Directory.CreateDirectory(directory);
        using var expired = TestCertificates.CreateExpiredCodeSigning();
        using var key = expired.GetRSAPrivateKey()!;
        File.WriteAllText(DevelopmentCodeSigningCertificate.PrivatePath(directory), key.ExportPkcs8PrivateKeyPem() + "\n" + expired.ExportCertificatePem() + "\n");
        UnixFile.RestrictToOwner(DevelopmentCodeSigningCertificate.PrivatePath(directory));

        using var renewed = DevelopmentCodeSigningCertificate.GetOrCreate(directory);

        Assert.NotEqual(expired.Thumbprint, renewed.Certificate.Thumbprint);
        Assert.True(renewed.Certificate.NotAfter > DateTime.Now.AddYears(1));
    }

    [Fact]
    public void A_folder_that_cannot_be_written_is_BS1012()
    {
        string file = _temp.WriteFile("not-a-folder", "x");

        var error = Assert.Throws<BuildSigningException>(() => DevelopmentCodeSigningCertificate.GetOrCreate(Path.Combine(file, "home")));

        Assert.Equal("BS1012", error.Code);
    }

    [Fact]
    public void The_in_use_warning_names_the_package_and_fingerprint()
    {
        string directory = _temp.Combine("home");
        using var certificate = DevelopmentCodeSigningCertificate.GetOrCreate(directory);

        var warning = DevelopmentCodeSigningCertificate.InUseWarning("/out/A.1.0.0.nupkg", certificate, directory);

        Assert.Equal("BS6016", warning.Code);
        Assert.Contains("/out/A.1.0.0.nupkg", warning.Text);
        Assert.Contains(certificate.Sha256Fingerprint, warning.Text);
    }
}
