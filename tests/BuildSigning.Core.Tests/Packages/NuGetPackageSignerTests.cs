using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Packages;
using BuildSigning.TestSupport;
using NuGet.Packaging;
using NuGet.Packaging.Signing;
using Xunit.Abstractions;

namespace BuildSigning.Core.Tests.Packages;

[Collection(NuGetPackagesCollection.Name)]
public sealed class NuGetPackageSignerTests(PackageFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("bs-nugetsign");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Signs_with_an_RFC3161_timestamp_that_dotnet_nuget_verify_accepts()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string package = fixture.CopyPackage(_temp);

        var result = NuGetPackageSigner.Sign(package, certificate, new NuGetSignOptions { TimestampUrl = fixture.Timestamps.Url });

        Assert.Equal(package, result.PackagePath);
        Assert.Equal(TestCertificates.Sha256Fingerprint(certificate), result.CertificateFingerprint);
        Assert.NotNull(result.Timestamp);
        Assert.InRange(result.Timestamp!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        AssertNoLeftovers();

        // NuGet's own reader: an author signature by our certificate with one timestamp over its signature value.
        using (var reader = new PackageArchiveReader(package))
        {
            var signature = await reader.GetPrimarySignatureAsync(CancellationToken.None);
            Assert.NotNull(signature);
            Assert.Equal(SignatureType.Author, signature!.Type);
            Assert.Equal(certificate.Thumbprint, signature.SignerInfo.Certificate!.Thumbprint);
            var timestamp = Assert.Single(signature.Timestamps);
            Assert.True(Rfc3161TimestampToken.TryDecode(timestamp.SignedCms!.Encode(), out var token, out _));
            Assert.True(token!.VerifySignatureForSignerInfo(signature.SignerInfo, out X509Certificate2? tsa));
            Assert.Equal(fixture.Timestamps.Certificate.Thumbprint, tsa!.Thumbprint);
            Assert.Equal(result.Timestamp, token.TokenInfo.Timestamp);
            // The whole TSA chain is embedded, as NuGet requires.
            Assert.Contains(timestamp.SignedCms.Certificates.Cast<X509Certificate2>(), c => c.Thumbprint == TestCertificates.SharedRoot.Thumbprint);
        }

        // The real `dotnet nuget verify`, with an SDK whose trustedroots bundles hold the test root (as they hold public CAs).
        var verify = fixture.VerifyWithNuGet(package, certificate, _temp, fixture.TrustingDotnet);
        output.WriteLine(verify.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Successfully verified package 'BuildSigning.SignMe.1.2.3'", verify.StandardOutput);
        Assert.Contains("Timestamp:", verify.StandardOutput);
        Assert.Contains("CN=BuildSigning Test Timestamp Authority", verify.StandardOutput);
    }

    [Fact]
    public void The_stock_SDK_rejects_a_timestamp_whose_root_is_not_in_its_bundle()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string package = fixture.CopyPackage(_temp);
        NuGetPackageSigner.Sign(package, certificate, new NuGetSignOptions { TimestampUrl = fixture.Timestamps.Url });

        var verify = fixture.VerifyWithNuGet(package, certificate, _temp);

        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains("NU3028", verify.Output);
    }

    [Fact]
    public void Signs_without_a_timestamp_and_the_stock_dotnet_nuget_verify_accepts_it()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string package = fixture.CopyPackage(_temp);

        var result = NuGetPackageSigner.Sign(package, certificate);

        Assert.Null(result.Timestamp);
        var verify = fixture.VerifyWithNuGet(package, certificate, _temp);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Successfully verified package", verify.StandardOutput);
        Assert.DoesNotContain("Timestamp:", verify.StandardOutput);
    }

    [Fact]
    public void Verification_fails_for_a_certificate_the_config_does_not_trust()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        using var other = TestCertificates.CreateSelfSignedCodeSigning("CN=Someone Else");
        string package = fixture.CopyPackage(_temp);
        NuGetPackageSigner.Sign(package, certificate);

        var verify = fixture.VerifyWithNuGet(package, other, _temp);

        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains("NU3034", verify.Output);
    }

    [Theory]
    [InlineData(PackageSignatureHashAlgorithm.Sha384, "SHA384")]
    [InlineData(PackageSignatureHashAlgorithm.Sha512, "SHA512")]
    public void Signs_with_a_selectable_hash_algorithm(PackageSignatureHashAlgorithm algorithm, string nugetName)
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string package = fixture.CopyPackage(_temp);

        NuGetPackageSigner.Sign(package, certificate, new NuGetSignOptions { HashAlgorithm = algorithm, TimestampUrl = fixture.Timestamps.Url });

        var verify = fixture.VerifyWithNuGet(package, certificate, _temp, fixture.TrustingDotnet);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Signature Hash Algorithm: {nugetName}", verify.StandardOutput);
    }

    [Fact]
    public void Signs_a_snupkg()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string package = fixture.CopyPackage(_temp, symbols: true);

        NuGetPackageSigner.Sign(package, certificate, new NuGetSignOptions { TimestampUrl = fixture.Timestamps.Url });

        Assert.True(NuGetPackageSigner.IsSigned(package));
        var verify = fixture.VerifyWithNuGet(package, certificate, _temp, fixture.TrustingDotnet);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Signs_with_a_CA_issued_certificate_from_a_PFX_and_embeds_the_chain()
    {
        var chain = TestCertificates.CreateCodeSigningChain();
        using var leaf = chain.Leaf;
        string pfx = TestCertificates.ExportPfx(leaf, _temp.Combine("signer.pfx"), "pfx-password", [chain.Root]);
        using var loaded = CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(pfx, PasswordVariable: "BS_TEST_PFX"),
            name => name == "BS_TEST_PFX" ? "pfx-password" : null);
        string package = fixture.CopyPackage(_temp);

        NuGetPackageSigner.Sign(package, loaded, new NuGetSignOptions { TimestampUrl = fixture.Timestamps.Url });

        using (var reader = new PackageArchiveReader(package))
        {
            var signature = (await reader.GetPrimarySignatureAsync(CancellationToken.None))!;
            var embedded = signature.SignedCms.Certificates.Cast<X509Certificate2>().Select(c => c.Thumbprint).ToArray();
            Assert.Contains(leaf.Thumbprint, embedded);
            Assert.Contains(chain.Root.Thumbprint, embedded);
        }
        // The root is in the mirror SDK's code-signing bundle, so no allowUntrustedRoot is needed.
        var verify = fixture.VerifyWithNuGet(package, leaf, _temp, fixture.TrustingDotnet, allowUntrustedRoot: false);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public void Signs_with_a_PEM_certificate_and_encrypted_PKCS8_key()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        var (certificatePath, keyPath) = TestCertificates.ExportPem(certificate, _temp.Combine("signer.crt"), _temp.Combine("signer.key"), keyPassword: "key-password");
        using var loaded = CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(certificatePath, keyPath, "BS_TEST_KEY"),
            name => name == "BS_TEST_KEY" ? "key-password" : null);
        string package = fixture.CopyPackage(_temp);

        var result = NuGetPackageSigner.Sign(package, loaded);

        Assert.Equal(TestCertificates.Sha256Fingerprint(certificate), result.CertificateFingerprint);
        var verify = fixture.VerifyWithNuGet(package, certificate, _temp);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public void Refuses_a_package_that_is_already_signed_unless_overwrite_is_requested()
    {
        using var first = TestCertificates.CreateSelfSignedCodeSigning("CN=First Signer");
        using var second = TestCertificates.CreateSelfSignedCodeSigning("CN=Second Signer");
        string package = fixture.CopyPackage(_temp);
        NuGetPackageSigner.Sign(package, first);
        byte[] signedOnce = File.ReadAllBytes(package);

        var error = Assert.Throws<BuildSigningException>(() => NuGetPackageSigner.Sign(package, second));
        Assert.Equal("BS6006", error.Code);
        Assert.Equal(signedOnce, File.ReadAllBytes(package));

        NuGetPackageSigner.Sign(package, second, new NuGetSignOptions { Overwrite = true });
        Assert.True(fixture.VerifyWithNuGet(package, second, _temp).ExitCode == 0);
        Assert.NotEqual(0, fixture.VerifyWithNuGet(package, first, _temp).ExitCode);
        AssertNoLeftovers();
    }

    public static TheoryData<string, string> BadCertificates => new()
    {
        { "expired", "BS6002" },
        { "not-yet-valid", "BS6003" },
        { "no-code-signing-eku", "BS6001" },
        { "ecdsa", "BS6004" },
        { "rsa-1024", "BS6004" },
        { "no-private-key", "BS6005" },
    };

    [Theory]
    [MemberData(nameof(BadCertificates))]
    public void Rejects_an_unusable_certificate_before_touching_the_package(string kind, string code)
    {
        using var certificate = kind switch
        {
            "expired" => TestCertificates.CreateExpiredCodeSigning(),
            "not-yet-valid" => TestCertificates.CreateNotYetValidCodeSigning(),
            "no-code-signing-eku" => TestCertificates.CreateWithoutCodeSigningEku(),
            "ecdsa" => TestCertificates.CreateEcdsaCodeSigning(),
            "rsa-1024" => TestCertificates.CreateSelfSignedCodeSigning(rsaKeySize: 1024),
            "no-private-key" => PublicOnly(TestCertificates.CreateSelfSignedCodeSigning()),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        string package = fixture.CopyPackage(_temp);
        byte[] before = File.ReadAllBytes(package);

        var error = Assert.Throws<BuildSigningException>(() =>
            NuGetPackageSigner.Sign(package, certificate, new NuGetSignOptions { TimestampUrl = fixture.Timestamps.Url }));

        output.WriteLine(error.Message);
        Assert.Equal(code, error.Code);
        Assert.Contains(TestCertificates.Sha256Fingerprint(certificate), error.Message);
        Assert.Equal(before, File.ReadAllBytes(package));
        Assert.False(NuGetPackageSigner.IsSigned(package));
        AssertNoLeftovers();
    }

    [Fact]
    public void A_certificate_whose_root_NuGet_does_not_trust_is_refused_with_BS6011()
    {
        using var untrustedRoot = TestCertificates.CreateRootCa("CN=Untrusted Test Root");
        var chain = TestCertificates.CreateCodeSigningChain(untrustedRoot);
        using var leaf = chain.Leaf;
        string package = fixture.CopyPackage(_temp);
        byte[] before = File.ReadAllBytes(package);

        var error = Assert.Throws<BuildSigningException>(() =>
            NuGetPackageSigner.Sign(package, leaf, new NuGetSignOptions { ExtraCertificates = [untrustedRoot] }));

        output.WriteLine(error.Message);
        Assert.Equal("BS6011", error.Code);
        Assert.Contains("NU3018", error.Message);
        Assert.Equal(before, File.ReadAllBytes(package));
    }

    public static TheoryData<string, string> FailingTimestampAuthorities => new()
    {
        { "http-500", "BS6008" },
        { "rejected", "BS6008" },
        { "wrong-nonce", "BS6009" },
        { "wrong-imprint", "BS6009" },
        { "unreachable", "BS6007" },
        { "untrusted", "BS6010" },
    };

    [Theory]
    [MemberData(nameof(FailingTimestampAuthorities))]
    public void A_failing_timestamp_authority_leaves_the_original_package_untouched(string kind, string code)
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        using var otherRoot = kind == "untrusted" ? TestCertificates.CreateRootCa("CN=Untrusted TSA Root") : null;
        using var authority = kind switch
        {
            "http-500" => new TimestampAuthority(TimestampAuthorityMode.HttpServerError),
            "rejected" => new TimestampAuthority(TimestampAuthorityMode.Rejected),
            "wrong-nonce" => new TimestampAuthority(TimestampAuthorityMode.WrongNonce),
            "wrong-imprint" => new TimestampAuthority(TimestampAuthorityMode.WrongImprint),
            "untrusted" => new TimestampAuthority(root: otherRoot),
            _ => null,
        };
        Uri url = authority?.Url ?? TimestampAuthority.UnreachableUrl();
        string package = fixture.CopyPackage(_temp);
        byte[] before = File.ReadAllBytes(package);
        var writeTime = File.GetLastWriteTimeUtc(package);

        var error = Assert.Throws<BuildSigningException>(() =>
            NuGetPackageSigner.Sign(package, certificate, new NuGetSignOptions { TimestampUrl = url }));

        output.WriteLine(error.Message);
        Assert.Equal(code, error.Code);
        Assert.Contains(url.OriginalString, error.Message);
        Assert.Equal(before, File.ReadAllBytes(package));
        Assert.Equal(writeTime, File.GetLastWriteTimeUtc(package));
        Assert.False(NuGetPackageSigner.IsSigned(package));
        AssertNoLeftovers();
    }

    [Fact]
    public void Rejects_a_missing_package_and_a_timestamp_URL_that_is_not_http()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();

        Assert.Equal("BS6013", Assert.Throws<BuildSigningException>(() => NuGetPackageSigner.Sign(_temp.Combine("missing.nupkg"), certificate)).Code);

        string package = fixture.CopyPackage(_temp);
        var error = Assert.Throws<BuildSigningException>(() =>
            NuGetPackageSigner.Sign(package, certificate, new NuGetSignOptions { TimestampUrl = new Uri("ftp://timestamp.example/") }));
        Assert.Equal("BS6014", error.Code);
    }

    [Fact]
    public void A_file_that_is_not_a_package_gets_BS6012_and_stays_as_it_was()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string notAPackage = _temp.WriteFile("broken.nupkg", "this is not a zip file");

        var error = Assert.Throws<BuildSigningException>(() => NuGetPackageSigner.Sign(notAPackage, certificate));

        Assert.Equal("BS6012", error.Code);
        Assert.Equal("this is not a zip file", File.ReadAllText(notAPackage));
        AssertNoLeftovers();
    }

    [Fact]
    public void Does_not_dispose_the_callers_certificate()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        NuGetPackageSigner.Sign(fixture.CopyPackage(_temp), certificate);

        Assert.NotEmpty(certificate.RawData);
        Assert.True(certificate.HasPrivateKey);
        using var key = certificate.GetRSAPrivateKey();
        Assert.NotNull(key!.SignData([1, 2, 3], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Keeps_the_file_mode_of_the_package()
    {
        if (OperatingSystem.IsWindows()) return;
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string package = fixture.CopyPackage(_temp);
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(package, mode);

        NuGetPackageSigner.Sign(package, certificate);

        Assert.Equal(mode, File.GetUnixFileMode(package));
    }

    [Fact]
    public void Signs_with_the_development_certificate_and_verifies_by_its_published_fingerprint()
    {
        string home = _temp.Combine("home");
        using var development = DevelopmentCodeSigningCertificate.GetOrCreate(home);
        string package = fixture.CopyPackage(_temp);

        var result = NuGetPackageSigner.Sign(package, development, new NuGetSignOptions { TimestampUrl = fixture.Timestamps.Url });

        using var published = X509Certificate2.CreateFromPem(File.ReadAllText(DevelopmentCodeSigningCertificate.CertificatePath(home)));
        Assert.Equal(TestCertificates.Sha256Fingerprint(published), result.CertificateFingerprint);
        var verify = fixture.VerifyWithNuGet(package, published, _temp, fixture.TrustingDotnet);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    private static X509Certificate2 PublicOnly(X509Certificate2 certificate)
    {
        using (certificate) return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    private void AssertNoLeftovers() =>
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp", SearchOption.AllDirectories));
}
