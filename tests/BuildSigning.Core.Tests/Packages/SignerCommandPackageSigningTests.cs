using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Packages;
using BuildSigning.TestSupport;
using NuGet.Packaging;
using Xunit.Abstractions;

namespace BuildSigning.Core.Tests.Packages;

/// <summary>NuGet author signatures whose RSA key stays behind a signing command (an openssl script standing in for a KMS).</summary>
[Collection(NuGetPackagesCollection.Name)]
public sealed class SignerCommandPackageSigningTests(PackageFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("bs-signer-nuget");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(PackageSignatureHashAlgorithm.Sha256)]
    [InlineData(PackageSignatureHashAlgorithm.Sha512)]
    public async Task RsaKeyBehindTheCommand_AuthorSigns_AndDotnetNuGetVerifyAcceptsIt(PackageSignatureHashAlgorithm hash)
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        using var rsa = certificate.GetRSAPrivateKey()!;
        string privateKey = TestKeys.WritePrivateKeyPem(_temp.Combine("kms", "release.pem"), rsa);
        string publicKey = TestKeys.WritePublicKeyPem(_temp.Combine("project", "release.pub.pem"), rsa);
        string certificateFile = _temp.WriteFile("project/release.crt", certificate.ExportCertificatePem());
        string script = OpenSslSigner.WriteScript(_temp.Combine("kms", "sign.sh"), privateKey);
        string package = fixture.CopyPackage(_temp);

        using var identity = SignerCommand.CreateCodeSigningCertificate(new ExternalSignerOptions(script, publicKey), certificateFile);
        var result = NuGetPackageSigner.Sign(package, identity, new NuGetSignOptions { HashAlgorithm = hash });

        Assert.Equal(Convert.ToHexString(SHA256.HashData(certificate.RawData)), result.CertificateFingerprint, ignoreCase: true);
        using (var reader = new PackageArchiveReader(package))
        {
            var signature = await reader.GetPrimarySignatureAsync(CancellationToken.None);
            Assert.Equal(certificate.Thumbprint, signature!.SignerInfo.Certificate!.Thumbprint);
            signature.SignerInfo.CheckSignature(verifySignatureOnly: true);
        }
        var verify = fixture.VerifyWithNuGet(package, certificate, _temp, fixture.TrustingDotnet);
        output.WriteLine(verify.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Successfully verified package", verify.StandardOutput);
    }

    [Fact]
    public void NoCertificate_AnEcdsaKey_OrAnotherKeysCertificate_AreCodedErrors_AndThePackageIsUntouched()
    {
        string package = fixture.CopyPackage(_temp);
        byte[] before = File.ReadAllBytes(package);
        string ecPublic = TestKeys.WritePublicKeyPem(_temp.Combine("ec.pub.pem"), TestKeyKind.EcdsaP256);
        using var other = TestCertificates.CreateSelfSignedCodeSigning();
        string otherCertificate = _temp.WriteFile("other.crt", other.ExportCertificatePem());
        string rsaPublic = TestKeys.WritePublicKeyPem(_temp.Combine("rsa.pub.pem"), TestKeyKind.Rsa3072);

        Assert.Equal("BS1059", Assert.Throws<BuildSigningException>(() => SignerCommand.CreateCodeSigningCertificate(new ExternalSignerOptions("false", rsaPublic), null)).Code);
        var ec = Assert.Throws<BuildSigningException>(() => SignerCommand.CreateCodeSigningCertificate(new ExternalSignerOptions("false", ecPublic), otherCertificate));
        Assert.Equal("BS1059", ec.Code);
        Assert.Contains("ECDSA_P256_SHA256, not RSA", ec.Message);
        Assert.Equal("BS1009", Assert.Throws<BuildSigningException>(() => SignerCommand.CreateCodeSigningCertificate(new ExternalSignerOptions("false", rsaPublic), otherCertificate)).Code);
        Assert.Equal(before, File.ReadAllBytes(package));
    }
}
