using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Keys.Pkcs11;
using BuildSigning.Core.Packages;
using BuildSigning.Core.Tests.Keys;
using BuildSigning.TestSupport;
using NuGet.Packaging;
using Xunit.Abstractions;

namespace BuildSigning.Core.Tests.Packages;

/// <summary>NuGet author signatures whose RSA key stays in a SoftHSM2 token (CmsSigner over the token's C_Sign).</summary>
[Collection(NuGetPackagesCollection.Name)]
public sealed class Pkcs11PackageSigningTests(PackageFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("bs-p11sign");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task TokenKey_AuthorSigns_WithATimestamp_AndDotnetNuGetVerifyAcceptsIt()
    {
        var token = SharedSoftHsm.Token;
        using var identity = Pkcs11KeyLoader.LoadCodeSigningCertificate(token.Uri("nuget"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin());
        string package = fixture.CopyPackage(_temp);

        var result = NuGetPackageSigner.Sign(package, identity, new NuGetSignOptions { TimestampUrl = fixture.Timestamps.Url });

        Assert.Equal(token.CertificateFingerprint, result.CertificateFingerprint);
        Assert.NotNull(result.Timestamp);
        using (var reader = new PackageArchiveReader(package))
        {
            var signature = await reader.GetPrimarySignatureAsync(CancellationToken.None);
            Assert.Equal(identity.Certificate.Thumbprint, signature!.SignerInfo.Certificate!.Thumbprint);
            signature.SignerInfo.CheckSignature(verifySignatureOnly: true);
        }
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));

        using var certificate = X509CertificateLoader.LoadCertificateFromFile(token.CertificatePath);
        var verify = fixture.VerifyWithNuGet(package, certificate, _temp, fixture.TrustingDotnet);
        output.WriteLine(verify.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Successfully verified package", verify.StandardOutput);
        Assert.Contains(token.CertificateFingerprint, verify.StandardOutput, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void EcTokenKey_IsRefusedForNuGet_AndThePackageIsUntouched()
    {
        var token = SharedSoftHsm.Token;
        using var ecCertificate = TestCertificates.CreateEcdsaCodeSigning();
        string package = fixture.CopyPackage(_temp);
        byte[] before = File.ReadAllBytes(package);
        // The token's EC key with a certificate of another key: refused before signing (BS1009).
        string certificateFile = _temp.WriteFile("ec.pem", ecCertificate.ExportCertificatePem());
        var e = Assert.Throws<Diagnostics.BuildSigningException>(() =>
            Pkcs11KeyLoader.LoadCodeSigningCertificate(token.Uri("ec-release"), SoftHsmToken.PinVariable, certificateFile, SharedSoftHsm.Pin()));
        Assert.Equal("BS1009", e.Code);
        Assert.Equal(before, File.ReadAllBytes(package));
    }
}
