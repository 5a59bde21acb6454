using System.Security.Cryptography;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Keys;

public enum KeyKind
{
    EcdsaP256,
    EcdsaP384,
    Rsa3072,
    Rsa4096,
    Ed25519,
}

/// <summary>Creates key pairs as PKCS#8 PEM (private, mode 0600) and SubjectPublicKeyInfo PEM (public).</summary>
public static class KeyGenerator
{
    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static AsymmetricAlgorithm Generate(KeyKind kind) => kind switch
    {
        KeyKind.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        KeyKind.EcdsaP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        KeyKind.Rsa3072 => RSA.Create(3072),
        KeyKind.Rsa4096 => RSA.Create(4096),
        KeyKind.Ed25519 => Ed25519Key.Generate(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>PKCS#8 PEM; encrypted with AES-256-CBC and PBKDF2-SHA256 when a password is given.</summary>
    public static string ExportPrivateKeyPem(AsymmetricAlgorithm key, string? password = null)
    {
        if (string.IsNullOrEmpty(password)) return key.ExportPkcs8PrivateKeyPem() + "\n";
        var parameters = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 600_000);
        return key.ExportEncryptedPkcs8PrivateKeyPem(password.AsSpan(), parameters) + "\n";
    }

    public static string ExportPublicKeyPem(AsymmetricAlgorithm key) => key.ExportSubjectPublicKeyInfoPem() + "\n";

    /// <summary>Writes a new key pair; refuses to overwrite unless asked. Returns the public key.</summary>
    public static VerificationKey WriteKeyPair(KeyKind kind, string privateKeyPath, string publicKeyPath, string? password, bool overwrite)
    {
        if (!overwrite)
        {
            if (File.Exists(privateKeyPath)) throw Errors.KeyOutputExists(privateKeyPath);
            if (File.Exists(publicKeyPath)) throw Errors.KeyOutputExists(publicKeyPath);
        }
        using var key = Generate(kind);
        string publicPem = ExportPublicKeyPem(key);
        AtomicFile.WriteAllBytes(privateKeyPath, System.Text.Encoding.UTF8.GetBytes(ExportPrivateKeyPem(key, password)), PrivateFileMode);
        AtomicFile.WriteAllBytes(publicKeyPath, System.Text.Encoding.UTF8.GetBytes(publicPem));
        return VerificationKey.FromPem(publicPem, publicKeyPath);
    }
}
