using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BuildSigning.Core.Keys;

namespace BuildSigning.TestSupport;

/// <summary>The kinds of test key fixtures (generated once per test run, then written to files as each test needs).</summary>
public enum TestKeyKind
{
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Rsa1024,
    Rsa2048,
    Rsa3072,
}

/// <summary>
/// Key fixtures for tests: PKCS#8 PEM (plain or encrypted with a cheap PBKDF2 count), public PEM, self-signed
/// certificates and PFX files. Keys are generated once per process (RSA generation is slow) and never leave the temp folder.
/// </summary>
public static class TestKeys
{
    private static readonly Dictionary<TestKeyKind, Lazy<byte[]>> Pkcs8 = Enum.GetValues<TestKeyKind>()
        .ToDictionary(k => k, k => new Lazy<byte[]>(() =>
        {
            using AsymmetricAlgorithm key = Generate(k);
            return key.ExportPkcs8PrivateKey();
        }));

    /// <summary>A second P-256 key, for "some other key" tests.</summary>
    private static readonly Lazy<byte[]> OtherP256 = new(() =>
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKey();
    });

    private static AsymmetricAlgorithm Generate(TestKeyKind kind) => kind switch
    {
        TestKeyKind.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        TestKeyKind.EcdsaP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        TestKeyKind.EcdsaP521 => ECDsa.Create(ECCurve.NamedCurves.nistP521),
        TestKeyKind.Rsa1024 => RSA.Create(1024),
        TestKeyKind.Rsa2048 => RSA.Create(2048),
        TestKeyKind.Rsa3072 => RSA.Create(3072),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A fresh key object holding the fixture key of this kind.</summary>
    public static AsymmetricAlgorithm Create(TestKeyKind kind) => Import(Pkcs8[kind].Value, kind is TestKeyKind.Rsa1024 or TestKeyKind.Rsa2048 or TestKeyKind.Rsa3072);

    /// <summary>A P-256 key different from <see cref="TestKeyKind.EcdsaP256"/>.</summary>
    public static ECDsa CreateOtherP256() => (ECDsa)Import(OtherP256.Value, rsa: false);

    private static AsymmetricAlgorithm Import(byte[] pkcs8, bool rsa)
    {
        AsymmetricAlgorithm key = rsa ? RSA.Create() : ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        return key;
    }

    public static byte[] SubjectPublicKeyInfo(AsymmetricAlgorithm key) => key.ExportSubjectPublicKeyInfo();

    /// <summary>Writes the fixture key as unencrypted PKCS#8 PEM and returns the path.</summary>
    public static string WritePrivateKeyPem(string path, TestKeyKind kind)
    {
        using var key = Create(kind);
        return WritePrivateKeyPem(path, key);
    }

    public static string WritePrivateKeyPem(string path, AsymmetricAlgorithm key) => UnixFile.RestrictToOwner(Write(path, key.ExportPkcs8PrivateKeyPem() + "\n"));

    /// <summary>Encrypted PKCS#8 PEM (AES-256-CBC, PBKDF2-SHA256 with few iterations so tests stay fast).</summary>
    public static string WriteEncryptedPrivateKeyPem(string path, TestKeyKind kind, string password, int iterations = 1000)
    {
        using var key = Create(kind);
        var parameters = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, iterations);
        return UnixFile.RestrictToOwner(Write(path, key.ExportEncryptedPkcs8PrivateKeyPem(password.AsSpan(), parameters) + "\n"));
    }

    public static string WritePublicKeyPem(string path, TestKeyKind kind)
    {
        using var key = Create(kind);
        return WritePublicKeyPem(path, key);
    }

    public static string WritePublicKeyPem(string path, AsymmetricAlgorithm key) => Write(path, key.ExportSubjectPublicKeyInfoPem() + "\n");

    /// <summary>A self-signed certificate for the key, with the private key attached.</summary>
    public static X509Certificate2 CreateSelfSignedCertificate(AsymmetricAlgorithm key, string subject = "CN=BuildSigning Test")
    {
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("ECDSA or RSA only.", nameof(key)),
        };
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
    }

    /// <summary>Writes the certificate (public part only) as PEM.</summary>
    public static string WriteCertificatePem(string path, X509Certificate2 certificate) => Write(path, certificate.ExportCertificatePem() + "\n");

    /// <summary>A PFX holding a self-signed certificate and the fixture key; password null means no password.</summary>
    public static string WritePfx(string path, TestKeyKind kind, string? password)
    {
        using var key = Create(kind);
        using var certificate = CreateSelfSignedCertificate(key);
        byte[] pfx = password is null
            ? certificate.Export(X509ContentType.Pkcs12)
            : certificate.ExportPkcs12(new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 2000), password);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, pfx);
        return UnixFile.RestrictToOwner(path);
    }

    /// <summary>Loads a key file the way the product does (no password variable).</summary>
    public static SigningKey Load(string path) => SigningKeyLoader.Load(new SigningKeyOptions(path));

    /// <summary>Writes the fixture key into the folder and loads it as a product SigningKey.</summary>
    public static SigningKey LoadSigningKey(TempDirectory directory, TestKeyKind kind = TestKeyKind.EcdsaP256) =>
        Load(WritePrivateKeyPem(directory.Combine($"key-{kind}-{Guid.NewGuid():N}.pem"), kind));

    /// <summary>Runs the openssl CLI and returns its result; throws with the full output when it fails.</summary>
    public static ProcessResult OpenSsl(string workingDirectory, params string[] arguments)
    {
        var result = ProcessRunner.Run("openssl", arguments, workingDirectory, timeout: TimeSpan.FromMinutes(1));
        if (result.ExitCode != 0) throw new InvalidOperationException("openssl failed:\n" + result);
        return result;
    }

    private static string Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }
}
