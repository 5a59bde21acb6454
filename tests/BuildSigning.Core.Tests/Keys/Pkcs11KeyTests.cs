using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Keys.Pkcs11;
using BuildSigning.Core.Packages;
using BuildSigning.TestSupport;
using Xunit;

namespace BuildSigning.Core.Tests.Keys;

/// <summary>One SoftHSM2 token per test process; SoftHSM reads SOFTHSM2_CONF when the module is initialised.</summary>
public static class SharedSoftHsm
{
    // Environment.SetEnvironmentVariable changes .NET's copy only on Unix; the module calls getenv.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
    private static extern int SetNativeEnvironmentVariable(string name, string value, int overwrite);

    private static readonly Lazy<SoftHsmToken> Value = new(() =>
    {
        var token = new SoftHsmToken();
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", token.ConfigPath);
        if (SetNativeEnvironmentVariable("SOFTHSM2_CONF", token.ConfigPath, 1) != 0) throw new InvalidOperationException("setenv failed");
        return token;
    });

    public static SoftHsmToken Token => Value.Value;

    public static Func<string, string?> Pin(string? pin = SoftHsmToken.Pin) => name => name == SoftHsmToken.PinVariable ? pin : null;
}

public sealed class Pkcs11KeyTests
{
    private static SoftHsmToken Token => SharedSoftHsm.Token;

    [Theory]
    [InlineData("ec-release", "01", SignatureAlgorithm.EcdsaP256Sha256)]
    [InlineData("ec-p384", "04", SignatureAlgorithm.EcdsaP384Sha384)]
    public void EcTokenKey_SignsDer_VerifiedWithThePublicKeyPkcs11ToolExports(string label, string id, SignatureAlgorithm expected)
    {
        using var key = Pkcs11KeyLoader.LoadSigningKey(Token.Uri(label), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin());
        Assert.Equal(expected, key.Algorithm);
        Assert.False(key.IsDevelopmentKey);

        using var exported = ECDsa.Create();
        exported.ImportFromPem(File.ReadAllText(Token.ExportPublicKeyPem(id)));
        Assert.Equal(Convert.ToHexString(SHA256.HashData(exported.ExportSubjectPublicKeyInfo())).ToLowerInvariant(), key.Id.Hex);

        byte[] data = Encoding.UTF8.GetBytes("DSSEv1 29 http://example.com/HelloWorld 11 hello world");
        byte[] signature = key.Sign(data);
        Assert.Equal(0x30, signature[0]); // ASN.1 DER, as DSSE wants
        Assert.True(exported.VerifyData(data, signature, expected.HashAlgorithm(), DSASignatureFormat.Rfc3279DerSequence));
        Assert.False(exported.VerifyData((byte[])[.. data, 0], signature, expected.HashAlgorithm(), DSASignatureFormat.Rfc3279DerSequence));
        Assert.True(exported.VerifyHash(CryptographicOperations.HashData(expected.HashAlgorithm(), data), key.SignHash(CryptographicOperations.HashData(expected.HashAlgorithm(), data)), DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void RsaTokenKey_SignsPkcs1_AndIdAndUriSelectTheSameKey()
    {
        using var byLabel = Pkcs11KeyLoader.LoadSigningKey(Token.Uri("nuget"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin());
        using var byId = Pkcs11KeyLoader.LoadSigningKey($"pkcs11:token=ci;id=%02?module-path={Token.ModulePath}", SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin());
        Assert.Equal(SignatureAlgorithm.RsaPkcs1Sha256, byLabel.Algorithm);
        Assert.Equal(byLabel.Id, byId.Id);

        using var certificate = X509CertificateLoader.LoadCertificateFromFile(Token.CertificatePath);
        using var rsa = certificate.GetRSAPublicKey()!;
        byte[] data = Encoding.UTF8.GetBytes("statement");
        Assert.True(rsa.VerifyData(data, byId.Sign(data), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void CodeSigningCertificate_ComesFromTheToken_OrFromTheCertificateFile()
    {
        using (var fromToken = Pkcs11KeyLoader.LoadCodeSigningCertificate(Token.Uri("nuget"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin()))
        {
            Assert.Equal(Token.CertificateFingerprint, fromToken.Sha256Fingerprint);
            Assert.False(fromToken.Certificate.HasPrivateKey);
            Assert.IsAssignableFrom<RSA>(fromToken.PrivateKey);
        }
        using (var fromFile = Pkcs11KeyLoader.LoadCodeSigningCertificate(Token.Uri("nuget"), SoftHsmToken.PinVariable, Token.CertificatePemPath, SharedSoftHsm.Pin()))
        {
            Assert.Equal(Token.CertificateFingerprint, fromFile.Sha256Fingerprint);
        }
        // A certificate of another key: BS1009.
        using var other = TestCertificates.CreateSelfSignedCodeSigning();
        using var temp = new TempDirectory("bs-p11");
        string otherPath = temp.WriteFile("other.pem", other.ExportCertificatePem());
        var e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadCodeSigningCertificate(Token.Uri("nuget"), SoftHsmToken.PinVariable, otherPath, SharedSoftHsm.Pin()));
        Assert.Equal("BS1009", e.Code);
        // An EC key has no certificate in the token: BS1041.
        e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadCodeSigningCertificate(Token.Uri("ec-release"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin()));
        Assert.Equal("BS1041", e.Code);
    }

    [Fact]
    public void Resolver_And_PackageIdentity_TakeAUriAsTheKey()
    {
        var configuration = new KeyConfiguration(Token.Uri("ec-release"), SoftHsmToken.PinVariable, null, RequireSigningKey: true);
        using var key = SigningKeyResolver.Resolve(configuration, SharedSoftHsm.Pin());
        Assert.Equal(SignatureAlgorithm.EcdsaP256Sha256, key.Algorithm);
        using var identity = PackageSigningIdentity.Resolve(configuration with { KeyFile = Token.Uri("nuget") }, SharedSoftHsm.Pin());
        Assert.Equal(Token.CertificateFingerprint, identity.Sha256Fingerprint);
    }

    [Fact]
    public void WrongPin_IsBS1036_AndNamesTheVariableNotThePin()
    {
        var e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey(Token.Uri("ec-release"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin("0000-wrong")));
        Assert.Equal("BS1036", e.Code);
        Assert.Contains(SoftHsmToken.PinVariable, e.Message);
        Assert.Contains("CKR_PIN_INCORRECT", e.Message);
        Assert.DoesNotContain("0000-wrong", e.Message);
    }

    [Fact]
    public void PinVariable_NotConfigured_IsBS1037_NotSet_IsBS1038()
    {
        Assert.Equal("BS1037", Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey(Token.Uri("ec-release"), null, null, SharedSoftHsm.Pin())).Code);
        Assert.Equal("BS1038", Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey(Token.Uri("ec-release"), "BUILDSIGNING_NO_SUCH_PIN_VARIABLE", null, SharedSoftHsm.Pin())).Code);
    }

    [Fact]
    public void MissingToken_IsBS1033_AndListsTheTokensPresent()
    {
        var e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey(Token.Uri("ec-release", token: "no-such-token"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin()));
        Assert.Equal("BS1033", e.Code);
        Assert.Contains("token=no-such-token", e.Message);
        Assert.Contains("'ci'", e.Message);
        e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey(Token.Uri("ec-release", extra: "serial=0000"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin()));
        Assert.Equal("BS1033", e.Code);
    }

    [Fact]
    public void MissingObject_IsBS1034()
    {
        var e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey(Token.Uri("no-such-key"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin()));
        Assert.Equal("BS1034", e.Code);
        Assert.Contains("object=no-such-key", e.Message);
        // Label and id must both match.
        e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey(Token.Uri("ec-release", extra: "id=%02"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin()));
        Assert.Equal("BS1034", e.Code);
    }

    [Fact]
    public void ModuleThatDoesNotLoad_IsBS1032()
    {
        using var temp = new TempDirectory("bs-p11");
        string notALibrary = temp.WriteFile("libnot-a-module.so", "this is not an ELF file");
        foreach (string module in new[] { notALibrary, temp.Combine("missing.so"), temp.Path })
        {
            var e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey($"pkcs11:token=ci;object=ec-release?module-path={module}", SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin()));
            Assert.Equal("BS1032", e.Code);
            Assert.Contains(module, e.Message);
        }
    }

    [Fact]
    public void ShortRsaKey_IsBS1039()
    {
        var e = Assert.Throws<BuildSigningException>(() => Pkcs11KeyLoader.LoadSigningKey(Token.Uri("weak-rsa"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin()));
        Assert.Equal("BS1039", e.Code);
        Assert.Contains("1024-bit RSA", e.Message);
    }

    [Fact]
    public void PinInUri_IsBS1031_BeforeAnythingIsLoaded()
    {
        var e = Assert.Throws<BuildSigningException>(() => SigningKeyResolver.Resolve(
            new KeyConfiguration(Token.Uri("ec-release") + "&pin-value=" + SoftHsmToken.Pin, SoftHsmToken.PinVariable, null, RequireSigningKey: false), SharedSoftHsm.Pin()));
        Assert.Equal("BS1031", e.Code);
        Assert.DoesNotContain(SoftHsmToken.Pin, e.Message);
    }

    [Fact]
    public void KeysOfOneModule_Coexist_AndOutliveEachOther()
    {
        var first = Pkcs11KeyLoader.LoadSigningKey(Token.Uri("ec-release"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin());
        using var second = Pkcs11KeyLoader.LoadSigningKey(Token.Uri("nuget"), SoftHsmToken.PinVariable, null, SharedSoftHsm.Pin());
        first.Sign([1, 2, 3]);
        first.Dispose();
        second.Sign([1, 2, 3]);
        Parallel.For(0, 16, _ => second.Sign([4, 5, 6]));
    }
}
