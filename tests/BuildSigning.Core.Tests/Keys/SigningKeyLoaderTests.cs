using System.Security.Cryptography;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Keys;

public sealed class SigningKeyLoaderTests : IDisposable
{
    private const string PasswordVariable = "BS_TEST_KEY_PASSWORD";
    private const string Password = "correct horse battery staple";

    private readonly TempDirectory _temp = new("bs-keys");

    public void Dispose() => _temp.Dispose();

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static readonly Func<string, string?> NoEnv = _ => null;

    private static BuildSigningException LoadFails(SigningKeyOptions options, Func<string, string?>? environment = null) =>
        Assert.Throws<BuildSigningException>(() => SigningKeyLoader.Load(options, environment ?? NoEnv));

    /// <summary>The loaded key signs, and the fixture's own public key verifies that signature.</summary>
    private static void AssertSignsWith(SigningKey key, TestKeyKind kind)
    {
        using var reference = TestKeys.Create(kind);
        byte[] data = "payload"u8.ToArray();
        byte[] signature = key.Sign(data);
        bool ok = reference switch
        {
            ECDsa ec => ec.VerifyData(data, signature, kind == TestKeyKind.EcdsaP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
            RSA rsa => rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => false,
        };
        Assert.True(ok);
        Assert.Equal(TestKeys.SubjectPublicKeyInfo(reference), key.PublicKey.SubjectPublicKeyInfo);
    }

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256, SignatureAlgorithm.EcdsaP256Sha256)]
    [InlineData(TestKeyKind.EcdsaP384, SignatureAlgorithm.EcdsaP384Sha384)]
    [InlineData(TestKeyKind.Rsa2048, SignatureAlgorithm.RsaPkcs1Sha256)]
    [InlineData(TestKeyKind.Rsa3072, SignatureAlgorithm.RsaPkcs1Sha256)]
    public void Loads_unencrypted_pkcs8_pem(TestKeyKind kind, SignatureAlgorithm expected)
    {
        string path = TestKeys.WritePrivateKeyPem(_temp.Combine("key.pem"), kind);

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(path), NoEnv);

        Assert.Equal(expected, key.Algorithm);
        Assert.Equal(path, key.Source);
        Assert.False(key.IsDevelopmentKey);
        Assert.Null(key.Certificate);
        AssertSignsWith(key, kind);
    }

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256)]
    [InlineData(TestKeyKind.Rsa2048)]
    public void Loads_encrypted_pkcs8_pem_with_password_from_the_environment(TestKeyKind kind)
    {
        string path = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("key.pem"), kind, Password);

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(path, PasswordVariable), Env((PasswordVariable, Password)));

        AssertSignsWith(key, kind);
    }

    [Fact]
    public void Loads_an_encrypted_key_written_by_KeyGenerator()
    {
        using var generated = KeyGenerator.Generate(KeyKind.EcdsaP256);
        string path = UnixFile.RestrictToOwner(_temp.WriteFile("gen.pem", KeyGenerator.ExportPrivateKeyPem(generated, Password)));
        Assert.Contains("BEGIN ENCRYPTED PRIVATE KEY", File.ReadAllText(path));

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(path, PasswordVariable), Env((PasswordVariable, Password)));

        Assert.Equal(generated.ExportSubjectPublicKeyInfo(), key.PublicKey.SubjectPublicKeyInfo);
    }

    [Fact]
    public void Loads_an_encrypted_key_written_by_the_openssl_cli()
    {
        string plain = TestKeys.WritePrivateKeyPem(_temp.Combine("plain.pem"), TestKeyKind.EcdsaP256);
        TestKeys.OpenSsl(_temp.Path, "pkcs8", "-topk8", "-in", plain, "-out", "enc.pem", "-v2", "aes-256-cbc", "-passout", "pass:" + Password);

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(_temp.Combine("enc.pem"), PasswordVariable), Env((PasswordVariable, Password)));

        AssertSignsWith(key, TestKeyKind.EcdsaP256);
    }

    [Fact]
    public void Loads_sec1_ec_private_key_as_printed_by_openssl_ecparam()
    {
        // 'openssl ecparam -genkey' prints an "EC PARAMETERS" section before the key.
        TestKeys.OpenSsl(_temp.Path, "ecparam", "-name", "prime256v1", "-genkey", "-out", "sec1.pem");
        Assert.Contains("BEGIN EC PARAMETERS", File.ReadAllText(_temp.Combine("sec1.pem")));

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(_temp.Combine("sec1.pem")), NoEnv);

        Assert.Equal(SignatureAlgorithm.EcdsaP256Sha256, key.Algorithm);
    }

    [Fact]
    public void Loads_pkcs1_rsa_private_key()
    {
        using var rsa = (RSA)TestKeys.Create(TestKeyKind.Rsa2048);
        string path = UnixFile.RestrictToOwner(_temp.WriteFile("rsa.pem", rsa.ExportRSAPrivateKeyPem()));

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(path), NoEnv);

        AssertSignsWith(key, TestKeyKind.Rsa2048);
    }

    [Fact]
    public void Key_after_a_public_key_section_is_found()
    {
        using var ec = TestKeys.Create(TestKeyKind.EcdsaP256);
        string path = UnixFile.RestrictToOwner(_temp.WriteFile("both.pem", ec.ExportSubjectPublicKeyInfoPem() + "\n" + ec.ExportPkcs8PrivateKeyPem() + "\n"));

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(path), NoEnv);

        AssertSignsWith(key, TestKeyKind.EcdsaP256);
    }

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256, null)]
    [InlineData(TestKeyKind.EcdsaP256, Password)]
    [InlineData(TestKeyKind.Rsa2048, Password)]
    [InlineData(TestKeyKind.EcdsaP384, null)]
    public void Loads_pfx_with_and_without_password(TestKeyKind kind, string? password)
    {
        string path = TestKeys.WritePfx(_temp.Combine("key.pfx"), kind, password);
        var options = new SigningKeyOptions(path, password is null ? null : PasswordVariable);

        using var key = SigningKeyLoader.Load(options, password is null ? NoEnv : Env((PasswordVariable, password)));

        Assert.NotNull(key.Certificate);
        Assert.Equal(key.Certificate!.PublicKey.ExportSubjectPublicKeyInfo(), key.PublicKey.SubjectPublicKeyInfo);
        AssertSignsWith(key, kind);
    }

    [Fact]
    public void Loads_pfx_made_by_the_openssl_cli()
    {
        string keyPem = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256);
        TestKeys.OpenSsl(_temp.Path, "req", "-new", "-x509", "-key", keyPem, "-subj", "/CN=openssl test", "-days", "2", "-out", "c.pem");
        TestKeys.OpenSsl(_temp.Path, "pkcs12", "-export", "-inkey", keyPem, "-in", "c.pem", "-out", "k.pfx", "-passout", "pass:" + Password);

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(_temp.Combine("k.pfx"), PasswordVariable), Env((PasswordVariable, Password)));

        Assert.NotNull(key.Certificate);
        AssertSignsWith(key, TestKeyKind.EcdsaP256);
    }

    [Fact]
    public void Pem_key_with_matching_certificate_file_carries_the_certificate()
    {
        using var ec = TestKeys.Create(TestKeyKind.EcdsaP256);
        using var certificate = TestKeys.CreateSelfSignedCertificate(ec);
        string keyPath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), ec);
        string certificatePath = TestKeys.WriteCertificatePem(_temp.Combine("c.pem"), certificate);

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(keyPath, CertificateFile: certificatePath), NoEnv);

        Assert.Equal(certificate.RawData, key.Certificate!.RawData);
    }

    [Fact]
    public void Pem_key_with_der_certificate_file_carries_the_certificate()
    {
        using var ec = TestKeys.Create(TestKeyKind.EcdsaP256);
        using var certificate = TestKeys.CreateSelfSignedCertificate(ec);
        string keyPath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), ec);
        string certificatePath = _temp.WriteFile("c.cer", certificate.RawData);

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(keyPath, CertificateFile: certificatePath), NoEnv);

        Assert.Equal(certificate.RawData, key.Certificate!.RawData);
    }

    // ---- failures, each with its code ----

    [Fact]
    public void Missing_key_file_is_BS1001()
    {
        string path = _temp.Combine("nope.pem");
        var e = LoadFails(new SigningKeyOptions(path));
        Assert.Equal("BS1001", e.Code);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void A_folder_as_key_file_says_it_is_a_folder()
    {
        string folder = Directory.CreateDirectory(_temp.Combine("keys")).FullName;
        var e = LoadFails(new SigningKeyOptions(folder));
        Assert.Equal("BS1019", e.Code);
        Assert.Contains(folder, e.Message);
        Assert.Contains("is a folder", e.Message);
        Assert.DoesNotContain("does not exist", e.Message);
    }

    [Fact]
    public void A_folder_as_certificate_file_says_it_is_a_folder()
    {
        string keyPath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256);
        string folder = Directory.CreateDirectory(_temp.Combine("certificates")).FullName;
        var e = LoadFails(new SigningKeyOptions(keyPath, CertificateFile: folder));
        Assert.Equal("BS1008", e.Code);
        Assert.Contains("is a folder", e.Message);
        Assert.DoesNotContain("does not exist", e.Message);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite)]
    public void A_private_key_file_other_users_can_read_or_write_is_BS1016_with_the_chmod_to_fix_it(UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) return;
        string pem = TestKeys.WritePrivateKeyPem(_temp.Combine("key.pem"), TestKeyKind.EcdsaP256);
        string pfx = TestKeys.WritePfx(_temp.Combine("key.pfx"), TestKeyKind.EcdsaP256, password: null);
        foreach (string path in new[] { pem, pfx })
        {
            UnixFile.SetMode(path, mode);
            var e = LoadFails(new SigningKeyOptions(path));
            Assert.Equal("BS1016", e.Code);
            Assert.Contains($"chmod 600 '{path}'", e.Message);
        }
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite)]
    [InlineData(UnixFileMode.UserRead)]
    public void A_private_key_file_only_its_owner_can_use_is_accepted(UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) return;
        string path = TestKeys.WritePrivateKeyPem(_temp.Combine("key.pem"), TestKeyKind.EcdsaP256);
        UnixFile.SetMode(path, mode);
        using var key = SigningKeyLoader.Load(new SigningKeyOptions(path), NoEnv);
        AssertSignsWith(key, TestKeyKind.EcdsaP256);
    }

    [Fact]
    public void A_configured_key_file_may_be_a_link_as_secret_mounts_are_but_its_target_must_be_private()
    {
        if (OperatingSystem.IsWindows()) return;
        string target = TestKeys.WritePrivateKeyPem(_temp.Combine("..data", "key.pem"), TestKeyKind.EcdsaP256);
        string link = _temp.Combine("key.pem");
        File.CreateSymbolicLink(link, target);

        using (var key = SigningKeyLoader.Load(new SigningKeyOptions(link), NoEnv)) AssertSignsWith(key, TestKeyKind.EcdsaP256);

        UnixFile.SetMode(target, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Equal("BS1016", LoadFails(new SigningKeyOptions(link)).Code);
    }

    [Fact]
    public void Wrong_password_for_encrypted_pem_is_BS1003_and_does_not_print_the_password()
    {
        string path = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("key.pem"), TestKeyKind.EcdsaP256, Password);
        const string wrong = "wrong-password-value-0xDEADBEEF";

        var e = LoadFails(new SigningKeyOptions(path, PasswordVariable), Env((PasswordVariable, wrong)));

        Assert.Equal("BS1003", e.Code);
        Assert.Contains(PasswordVariable, e.Message);
        Assert.DoesNotContain(wrong, e.ToString());
        Assert.DoesNotContain(Password, e.ToString());
    }

    [Fact]
    public void Wrong_password_for_pfx_is_BS1003()
    {
        string path = TestKeys.WritePfx(_temp.Combine("key.pfx"), TestKeyKind.EcdsaP256, Password);
        const string wrong = "not-the-pfx-password";

        var e = LoadFails(new SigningKeyOptions(path, PasswordVariable), Env((PasswordVariable, wrong)));

        Assert.Equal("BS1003", e.Code);
        Assert.DoesNotContain(wrong, e.ToString());
    }

    [Fact]
    public void Password_variable_not_set_is_BS1004_for_pem()
    {
        string path = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("key.pem"), TestKeyKind.EcdsaP256, Password);
        var e = LoadFails(new SigningKeyOptions(path, PasswordVariable));
        Assert.Equal("BS1004", e.Code);
        Assert.Contains(PasswordVariable, e.Message);
    }

    [Fact]
    public void Password_variable_not_set_is_BS1004_for_pfx()
    {
        string path = TestKeys.WritePfx(_temp.Combine("key.pfx"), TestKeyKind.EcdsaP256, Password);
        var e = LoadFails(new SigningKeyOptions(path, PasswordVariable));
        Assert.Equal("BS1004", e.Code);
    }

    [Fact]
    public void Encrypted_pem_without_a_configured_variable_is_BS1005()
    {
        string path = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("key.pem"), TestKeyKind.EcdsaP256, Password);
        var e = LoadFails(new SigningKeyOptions(path));
        Assert.Equal("BS1005", e.Code);
    }

    [Fact]
    public void Password_protected_pfx_without_a_configured_variable_is_BS1005()
    {
        string path = TestKeys.WritePfx(_temp.Combine("key.pfx"), TestKeyKind.EcdsaP256, Password);
        var e = LoadFails(new SigningKeyOptions(path));
        Assert.Equal("BS1005", e.Code);
    }

    [Theory]
    [InlineData(TestKeyKind.Rsa1024, "1024-bit RSA")]
    [InlineData(TestKeyKind.EcdsaP521, "ECDSA")]
    public void Unsupported_pkcs8_key_is_BS1006(TestKeyKind kind, string described)
    {
        string path = TestKeys.WritePrivateKeyPem(_temp.Combine("key.pem"), kind);
        var e = LoadFails(new SigningKeyOptions(path));
        Assert.Equal("BS1006", e.Code);
        Assert.Contains(described, e.Message);
    }

    [Fact]
    public void Unsupported_key_in_pfx_is_BS1006()
    {
        string path = TestKeys.WritePfx(_temp.Combine("key.pfx"), TestKeyKind.Rsa1024, null);
        var e = LoadFails(new SigningKeyOptions(path));
        Assert.Equal("BS1006", e.Code);
    }

    [Fact]
    public void Dsa_pfx_made_by_openssl_is_BS1006()
    {
        TestKeys.OpenSsl(_temp.Path, "genpkey", "-genparam", "-algorithm", "DSA", "-pkeyopt", "dsa_paramgen_bits:1024", "-out", "p.pem");
        TestKeys.OpenSsl(_temp.Path, "genpkey", "-paramfile", "p.pem", "-out", "dsa.pem");
        TestKeys.OpenSsl(_temp.Path, "req", "-new", "-x509", "-key", "dsa.pem", "-subj", "/CN=dsa", "-days", "2", "-out", "dsa.crt");
        TestKeys.OpenSsl(_temp.Path, "pkcs12", "-export", "-inkey", "dsa.pem", "-in", "dsa.crt", "-out", "dsa.pfx", "-passout", "pass:");

        var e = LoadFails(new SigningKeyOptions(_temp.Combine("dsa.pfx")));

        Assert.Equal("BS1006", e.Code);
        Assert.Contains("DSA", e.Message);
    }

    [Fact]
    public void Ed25519_pfx_made_by_openssl_is_a_coded_error()
    {
        // .NET cannot read an Ed25519 PFX at all; what matters is a coded error, not a crash.
        TestKeys.OpenSsl(_temp.Path, "genpkey", "-algorithm", "ed25519", "-out", "ed.pem");
        TestKeys.OpenSsl(_temp.Path, "req", "-new", "-x509", "-key", "ed.pem", "-subj", "/CN=ed25519", "-days", "2", "-out", "ed.crt");
        TestKeys.OpenSsl(_temp.Path, "pkcs12", "-export", "-inkey", "ed.pem", "-in", "ed.crt", "-out", "ed.pfx", "-passout", "pass:");

        var e = LoadFails(new SigningKeyOptions(_temp.Combine("ed.pfx")));

        Assert.Contains(e.Code, new[] { "BS1006", "BS1007" });
    }

    [Theory]
    [InlineData("ed448")]
    [InlineData("x25519")]
    public void Unsupported_algorithm_made_by_openssl_is_BS1006(string algorithm)
    {
        TestKeys.OpenSsl(_temp.Path, "genpkey", "-algorithm", algorithm, "-out", "k.pem");
        Assert.Contains("BEGIN PRIVATE KEY", File.ReadAllText(_temp.Combine("k.pem")));

        var e = LoadFails(new SigningKeyOptions(_temp.Combine("k.pem")));

        Assert.Equal("BS1006", e.Code);
    }

    [Theory]
    [InlineData("garbage that is neither PEM nor PKCS#12")]
    [InlineData("")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")]
    public void Garbage_key_file_is_BS1007(string content)
    {
        string path = _temp.WriteFile("bad.key", content);
        var e = LoadFails(new SigningKeyOptions(path));
        Assert.Equal("BS1007", e.Code);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Random_binary_key_file_is_BS1007()
    {
        var bytes = new byte[600];
        new Random(7).NextBytes(bytes);
        string path = _temp.WriteFile("bad.pfx", bytes);
        var e = LoadFails(new SigningKeyOptions(path));
        Assert.Equal("BS1007", e.Code);
    }

    [Fact]
    public void Public_key_only_pem_is_BS1007()
    {
        string path = TestKeys.WritePublicKeyPem(_temp.Combine("pub.pem"), TestKeyKind.EcdsaP256);
        var e = LoadFails(new SigningKeyOptions(path));
        Assert.Equal("BS1007", e.Code);
    }

    [Fact]
    public void Pfx_without_private_key_is_BS1007()
    {
        using var ec = TestKeys.Create(TestKeyKind.EcdsaP256);
        using var certificate = TestKeys.CreateSelfSignedCertificate(ec);
        using var publicOnly = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.RawData);
        string path = _temp.WriteFile("nokey.pfx", publicOnly.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12));

        var e = LoadFails(new SigningKeyOptions(path));

        Assert.Equal("BS1007", e.Code);
    }

    [Fact]
    public void Missing_certificate_file_is_BS1008()
    {
        string keyPath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256);
        var e = LoadFails(new SigningKeyOptions(keyPath, CertificateFile: _temp.Combine("missing.pem")));
        Assert.Equal("BS1008", e.Code);
    }

    [Fact]
    public void Certificate_for_another_key_is_BS1009()
    {
        using var other = TestKeys.CreateOtherP256();
        using var certificate = TestKeys.CreateSelfSignedCertificate(other);
        string keyPath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256);
        string certificatePath = TestKeys.WriteCertificatePem(_temp.Combine("c.pem"), certificate);

        var e = LoadFails(new SigningKeyOptions(keyPath, CertificateFile: certificatePath));

        Assert.Equal("BS1009", e.Code);
        Assert.Contains(certificatePath, e.Message);
        Assert.Contains(keyPath, e.Message);
    }
}
