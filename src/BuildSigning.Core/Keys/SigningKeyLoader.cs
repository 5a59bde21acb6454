using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Keys;

/// <summary>Where a signing key comes from. The password is never here: only the name of the environment variable that holds it.</summary>
public sealed record SigningKeyOptions(string KeyFile, string? PasswordVariable = null, string? CertificateFile = null);

/// <summary>Loads signing keys from PKCS#8 PEM (plain or encrypted) or PKCS#12/PFX files.</summary>
public static class SigningKeyLoader
{
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";

    public static SigningKey Load(SigningKeyOptions options, Func<string, string?>? environment = null, bool isDevelopmentKey = false)
    {
        var key = LoadKey(options, environment ?? Environment.GetEnvironmentVariable, isDevelopmentKey);
        try
        {
            // Checked once the file proved to hold a private key: a public key given by mistake gets BS1007, not a chmod hint.
            RequireOwnerOnly(options.KeyFile);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static SigningKey LoadKey(SigningKeyOptions options, Func<string, string?> environment, bool isDevelopmentKey)
    {
        string path = options.KeyFile;
        byte[] content = ReadKeyFile(path);
        try
        {
            if (Pem.LooksLikePem(content))
            {
                AsymmetricAlgorithm key;
                try
                {
                    key = LoadPem(path, System.Text.Encoding.UTF8.GetString(content), options.PasswordVariable, environment);
                }
                catch (Exception e) when (e is CryptographicException or FormatException)
                {
                    throw Errors.KeyFileMalformed(path, "its PEM content is damaged or not a private key.", e);
                }
                var certificate = options.CertificateFile is { Length: > 0 } certificatePath ? LoadCertificate(certificatePath) : null;
                return Create(key, path, certificate, options.CertificateFile, isDevelopmentKey);
            }
            return LoadPfx(path, content, options, environment, isDevelopmentKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
    }

    internal static byte[] ReadKeyFile(string path)
    {
        if (Directory.Exists(path)) throw Errors.KeyFileIsFolder(path);
        if (!File.Exists(path)) throw Errors.KeyFileNotFound(path);
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.KeyFileUnreadable(path, e);
        }
    }

    /// <summary>
    /// Refuses a private key file that group or others can read, write or execute (mode &amp; 077, as ssh does). A link is
    /// judged by its target, so a secret mounted as a link (Kubernetes does that) is accepted when the target is private.
    /// Windows files have ACLs, not modes: not checked there.
    /// </summary>
    internal static void RequireOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.KeyFileUnreadable(path, e);
        }
        if ((mode & OthersAccess) != 0) throw Errors.PrivateKeyFileNotPrivate(path, mode);
    }

    private const UnixFileMode OthersAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    internal static AsymmetricAlgorithm LoadPem(string path, string text, string? passwordVariable, Func<string, string?> environment)
    {
        foreach (var (label, der) in Pem.Sections(text))
        {
            switch (label)
            {
                case "PRIVATE KEY":
                    return ImportPkcs8(path, Pkcs8PrivateKeyInfo.Decode(der, out _, skipCopy: true));
                case "ENCRYPTED PRIVATE KEY":
                    string password = ReadPassword(path, passwordVariable, environment);
                    Pkcs8PrivateKeyInfo info;
                    try
                    {
                        info = Pkcs8PrivateKeyInfo.DecryptAndDecode(password, der, out _);
                    }
                    catch (CryptographicException e)
                    {
                        throw Errors.KeyPasswordWrong(path, passwordVariable!, e);
                    }
                    return ImportPkcs8(path, info);
                case "EC PRIVATE KEY":
                    var ec = ECDsa.Create();
                    ec.ImportECPrivateKey(der, out _);
                    return ec;
                case "RSA PRIVATE KEY":
                    var rsa = RSA.Create();
                    rsa.ImportRSAPrivateKey(der, out _);
                    return rsa;
                case "PUBLIC KEY" or "CERTIFICATE" or "EC PARAMETERS":
                    continue;
                default:
                    throw Errors.KeyFileMalformed(path, $"a '{label}' PEM section is not a private key.");
            }
        }
        throw Errors.KeyFileMalformed(path, "the file has no private key PEM section.");
    }

    private static AsymmetricAlgorithm ImportPkcs8(string path, Pkcs8PrivateKeyInfo info)
    {
        byte[] encoded = info.Encode();
        try
        {
            switch (info.AlgorithmId.Value)
            {
                case EcPublicKeyOid:
                    var ec = ECDsa.Create();
                    ec.ImportPkcs8PrivateKey(encoded, out _);
                    return ec;
                case RsaEncryptionOid:
                    var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(encoded, out _);
                    return rsa;
                default:
                    string name = info.AlgorithmId.FriendlyName ?? info.AlgorithmId.Value ?? "unknown";
                    throw Errors.UnsupportedKeyType(path, $"a {name} key (OID {info.AlgorithmId.Value})");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(encoded);
        }
    }

    private static SigningKey LoadPfx(string path, byte[] content, SigningKeyOptions options, Func<string, string?> environment, bool isDevelopmentKey)
    {
        string? password = options.PasswordVariable is { Length: > 0 } variable ? environment(variable) : null;
        if (options.PasswordVariable is { Length: > 0 } && password is null)
        {
            throw Errors.KeyPasswordVariableNotSet(path, options.PasswordVariable);
        }
        if (options.PasswordVariable is { Length: > 0 } && password is "") throw Errors.KeyPasswordVariableEmpty(options.PasswordVariable, path);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12(content, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e) when (IsPasswordFailure(e))
        {
            if (options.PasswordVariable is not { Length: > 0 }) throw Errors.KeyPasswordVariableNotConfigured(path);
            throw Errors.KeyPasswordWrong(path, options.PasswordVariable, e);
        }
        catch (CryptographicException e)
        {
            throw Errors.KeyFileMalformed(path, "it is neither PEM nor a readable PKCS#12/PFX file.", e);
        }

        AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey();
        if (key is null)
        {
            string kind = certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value ?? "unknown";
            bool hasPrivateKey = certificate.HasPrivateKey;
            certificate.Dispose();
            throw hasPrivateKey
                ? Errors.UnsupportedKeyType(path, $"a {kind} key")
                : Errors.KeyFileMalformed(path, "the PFX file contains no private key.");
        }
        if (options.CertificateFile is { Length: > 0 } certificatePath)
        {
            // An explicitly configured certificate wins over the PFX's own, but it must still belong to the key.
            certificate.Dispose();
            return Create(key, path, LoadCertificate(certificatePath), certificatePath, isDevelopmentKey);
        }
        return Create(key, path, certificate, null, isDevelopmentKey);
    }

    internal static bool IsPasswordFailure(CryptographicException e) =>
        e.Message.Contains("password", StringComparison.OrdinalIgnoreCase) || e.HResult == unchecked((int)0x80070056);

    private static string ReadPassword(string path, string? passwordVariable, Func<string, string?> environment)
    {
        if (string.IsNullOrEmpty(passwordVariable)) throw Errors.KeyPasswordVariableNotConfigured(path);
        string password = environment(passwordVariable) ?? throw Errors.KeyPasswordVariableNotSet(path, passwordVariable);
        return password.Length > 0 ? password : throw Errors.KeyPasswordVariableEmpty(passwordVariable, path);
    }

    internal static X509Certificate2 LoadCertificate(string path)
    {
        if (Directory.Exists(path)) throw Errors.CertificateFileUnusable(path, "it is a folder, not a certificate file.");
        if (!File.Exists(path)) throw Errors.CertificateFileUnusable(path, "the file does not exist.");
        try
        {
            byte[] content = File.ReadAllBytes(path);
            return Pem.LooksLikePem(content)
                ? X509Certificate2.CreateFromPem(System.Text.Encoding.UTF8.GetString(content))
                : X509CertificateLoader.LoadCertificate(content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw Errors.CertificateFileUnusable(path, Errors.Sentence(e), e);
        }
    }

    private static SigningKey Create(AsymmetricAlgorithm key, string path, X509Certificate2? certificate, string? certificatePath, bool isDevelopmentKey)
    {
        var algorithm = SignatureAlgorithms.ForKey(key, out string description);
        if (algorithm is null)
        {
            key.Dispose();
            certificate?.Dispose();
            throw Errors.UnsupportedKeyType(path, description);
        }
        var signingKey = new SigningKey(key, algorithm.Value, path, certificate, isDevelopmentKey);
        if (certificate is not null
            && !certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(signingKey.PublicKey.SubjectPublicKeyInfo))
        {
            signingKey.Dispose();
            throw Errors.CertificateKeyMismatch(certificatePath ?? path, path);
        }
        return signingKey;
    }
}
