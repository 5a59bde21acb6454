using System.Security.Cryptography;
using BuildSigning.Core.Keys;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Keys;

public sealed class KeyIdTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-keyid");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256)]
    [InlineData(TestKeyKind.EcdsaP384)]
    [InlineData(TestKeyKind.Rsa2048)]
    public void Key_id_is_sha256_of_der_spki_as_openssl_computes_it(TestKeyKind kind)
    {
        string privatePath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), kind);
        string publicPath = TestKeys.WritePublicKeyPem(_temp.Combine("pub.pem"), kind);
        TestKeys.OpenSsl(_temp.Path, "pkey", "-pubin", "-in", publicPath, "-outform", "DER", "-out", "pub.der");
        var sum = ProcessRunner.Run("sha256sum", ["pub.der"], _temp.Path);
        Assert.Equal(0, sum.ExitCode);
        string expected = sum.StandardOutput.Split(' ')[0];

        using var signingKey = TestKeys.Load(privatePath);
        var verificationKey = VerificationKey.FromFile(publicPath);

        Assert.Equal(expected, signingKey.Id.Hex);
        Assert.Equal(expected, verificationKey.Id.Hex);
        Assert.Equal(expected, signingKey.Id.ToString());
        Assert.Equal(Convert.ToBase64String(Convert.FromHexString(expected)), signingKey.Id.Base64);
        Assert.Equal(File.ReadAllBytes(_temp.Combine("pub.der")), verificationKey.SubjectPublicKeyInfo);
    }

    [Fact]
    public void TryParse_accepts_hex_prefixed_hex_and_base64_forms_of_the_same_id()
    {
        using var ec = TestKeys.Create(TestKeyKind.EcdsaP256);
        byte[] digest = SHA256.HashData(ec.ExportSubjectPublicKeyInfo());
        var id = KeyId.FromSubjectPublicKeyInfo(ec.ExportSubjectPublicKeyInfo());

        foreach (string form in new[] { Hex.Lower(digest), Convert.ToHexString(digest), "sha256:" + Hex.Lower(digest), "  " + Hex.Lower(digest) + " ", Convert.ToBase64String(digest) })
        {
            Assert.True(KeyId.TryParse(form, out var parsed), form);
            Assert.Equal(id, parsed);
            Assert.Equal(id.GetHashCode(), parsed!.GetHashCode());
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("abcd")]
    [InlineData("zz6b2f1bb60e0f7d2a1cfe3a4fe3c3a2c4c2a7c0bb5d7b3c8f2d8a0bd1c3e4f5")]
    [InlineData("AAAA")]
    public void TryParse_rejects_non_ids(string? text)
    {
        Assert.False(KeyId.TryParse(text, out var parsed));
        Assert.Null(parsed);
    }

    [Fact]
    public void Different_keys_have_different_ids()
    {
        using var a = TestKeys.Create(TestKeyKind.EcdsaP256);
        using var b = TestKeys.CreateOtherP256();
        Assert.NotEqual(KeyId.FromSubjectPublicKeyInfo(a.ExportSubjectPublicKeyInfo()), KeyId.FromSubjectPublicKeyInfo(b.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void Verification_key_from_certificate_has_the_key_id_of_its_public_key()
    {
        using var ec = TestKeys.Create(TestKeyKind.EcdsaP256);
        using var certificate = TestKeys.CreateSelfSignedCertificate(ec);
        string pem = certificate.ExportCertificatePem();

        var fromCertificate = VerificationKey.FromPem(pem, "cert.pem");

        Assert.Equal(KeyId.FromSubjectPublicKeyInfo(ec.ExportSubjectPublicKeyInfo()), fromCertificate.Id);
    }

    [Fact]
    public void Verification_key_rejects_unsupported_public_keys_with_BS1013()
    {
        using var rsa = TestKeys.Create(TestKeyKind.Rsa1024);
        string path = TestKeys.WritePublicKeyPem(_temp.Combine("small.pem"), rsa);
        var e = Assert.Throws<Diagnostics.BuildSigningException>(() => VerificationKey.FromFile(path));
        Assert.Equal("BS1013", e.Code);

        string notPem = _temp.WriteFile("x.pem", "hello");
        Assert.Equal("BS1013", Assert.Throws<Diagnostics.BuildSigningException>(() => VerificationKey.FromFile(notPem)).Code);
        Assert.Equal("BS1013", Assert.Throws<Diagnostics.BuildSigningException>(() => VerificationKey.FromFile(_temp.Combine("missing.pem"))).Code);
    }
}
