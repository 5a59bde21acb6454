using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Keys;

public sealed class KeyGeneratorTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-keygen");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(KeyKind.EcdsaP256, SignatureAlgorithm.EcdsaP256Sha256)]
    [InlineData(KeyKind.EcdsaP384, SignatureAlgorithm.EcdsaP384Sha384)]
    public void WriteKeyPair_writes_a_loadable_private_key_with_mode_0600_and_its_public_key(KeyKind kind, SignatureAlgorithm algorithm)
    {
        string privatePath = _temp.Combine("keys", "signing.pem");
        string publicPath = _temp.Combine("keys", "signing.pub.pem");

        var publicKey = KeyGenerator.WriteKeyPair(kind, privatePath, publicPath, password: null, overwrite: false);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, UnixFile.GetMode(privatePath));
        Assert.Contains("BEGIN PRIVATE KEY", File.ReadAllText(privatePath));
        Assert.Contains("BEGIN PUBLIC KEY", File.ReadAllText(publicPath));
        Assert.DoesNotContain("PRIVATE", File.ReadAllText(publicPath));
        using var loaded = TestKeys.Load(privatePath);
        Assert.Equal(algorithm, loaded.Algorithm);
        Assert.Equal(publicKey.Id, loaded.Id);
        Assert.Equal(publicKey.Id, VerificationKey.FromFile(publicPath).Id);
        Assert.True(publicKey.Verify("x"u8, loaded.Sign("x"u8)));
        Assert.Empty(Directory.GetFiles(_temp.Combine("keys"), "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(_temp.Combine("keys"), ".*"));
    }

    [Fact]
    public void Encrypted_key_pair_has_mode_0600_and_needs_its_password()
    {
        string privatePath = _temp.Combine("enc.pem");
        KeyGenerator.WriteKeyPair(KeyKind.EcdsaP256, privatePath, _temp.Combine("enc.pub.pem"), password: "pw-123", overwrite: false);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, UnixFile.GetMode(privatePath));
        Assert.Contains("BEGIN ENCRYPTED PRIVATE KEY", File.ReadAllText(privatePath));
        Assert.DoesNotContain("pw-123", File.ReadAllText(privatePath));
        using var key = SigningKeyLoader.Load(new SigningKeyOptions(privatePath, "V"), v => v == "V" ? "pw-123" : null);
        Assert.Equal(SignatureAlgorithm.EcdsaP256Sha256, key.Algorithm);
    }

    [Fact]
    public void Overwriting_an_existing_private_key_keeps_mode_0600()
    {
        string privatePath = _temp.WriteFile("k.pem", "old");
        UnixFile.SetMode(privatePath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        KeyGenerator.WriteKeyPair(KeyKind.EcdsaP256, privatePath, _temp.Combine("k.pub.pem"), null, overwrite: true);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, UnixFile.GetMode(privatePath));
        using var _ = TestKeys.Load(privatePath);
    }

    [Fact]
    public void Refuses_to_overwrite_without_being_asked_BS1014()
    {
        string privatePath = _temp.WriteFile("k.pem", "precious");
        var e = Assert.Throws<BuildSigningException>(() =>
            KeyGenerator.WriteKeyPair(KeyKind.EcdsaP256, privatePath, _temp.Combine("k.pub.pem"), null, overwrite: false));
        Assert.Equal("BS1014", e.Code);
        Assert.Equal("precious", File.ReadAllText(privatePath));

        string publicPath = _temp.WriteFile("p.pub.pem", "precious too");
        e = Assert.Throws<BuildSigningException>(() =>
            KeyGenerator.WriteKeyPair(KeyKind.EcdsaP256, _temp.Combine("new.pem"), publicPath, null, overwrite: false));
        Assert.Equal("BS1014", e.Code);
        Assert.False(File.Exists(_temp.Combine("new.pem")));
    }

    [Fact]
    public void Rsa_keys_are_generated_at_the_requested_size()
    {
        using var rsa = (System.Security.Cryptography.RSA)KeyGenerator.Generate(KeyKind.Rsa3072);
        Assert.Equal(3072, rsa.KeySize);
    }
}
