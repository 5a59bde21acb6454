using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Keys;

/// <summary>
/// Where a code-signing certificate comes from: a PFX/PKCS#12 file, or a PEM certificate file plus a PKCS#8 PEM key file
/// (the key may also sit in the certificate file). The password is never here, only the NAME of the environment variable that holds it.
/// </summary>
public sealed record CodeSigningCertificateOptions(string CertificateFile, string? KeyFile = null, string? PasswordVariable = null);

/// <summary>An X.509 certificate with its private key, plus the other certificates that came with it (intermediates, root).</summary>
public sealed class CodeSigningCertificate : IDisposable
{
    public CodeSigningCertificate(X509Certificate2 certificate, X509Certificate2Collection? extraCertificates = null, string? source = null, bool isDevelopmentCertificate = false,
        AsymmetricAlgorithm? privateKey = null)
    {
        Certificate = certificate;
        PrivateKey = privateKey;
        ExtraCertificates = extraCertificates ?? [];
        Source = source ?? certificate.Subject;
        IsDevelopmentCertificate = isDevelopmentCertificate;
    }

    /// <summary>The signing certificate; <see cref="X509Certificate2.HasPrivateKey"/> is true.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Chain certificates found beside it, for NuGet to build and embed the chain.</summary>
    public X509Certificate2Collection ExtraCertificates { get; }

    public string Source { get; }

    /// <summary>
    /// A private key held outside the certificate (a PKCS#11 token key: <see cref="X509Certificate2.HasPrivateKey"/> is then
    /// false); null when the certificate carries its own.
    /// </summary>
    public AsymmetricAlgorithm? PrivateKey { get; }
    public bool IsDevelopmentCertificate { get; }

    /// <summary>Uppercase hex SHA-256 of the DER certificate, as NuGet's trustedSigners and `dotnet nuget verify` show it.</summary>
    public string Sha256Fingerprint => Convert.ToHexString(SHA256.HashData(Certificate.RawData));

    public void Dispose()
    {
        Certificate.Dispose();
        PrivateKey?.Dispose();
        foreach (var extra in ExtraCertificates) extra.Dispose();
    }
}

/// <summary>Loads code-signing certificates (with private keys) for NuGet package signing.</summary>
public static class CodeSigningCertificateLoader
{
    private const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";

    public static CodeSigningCertificate Load(CodeSigningCertificateOptions options, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string path = options.CertificateFile;
        byte[] content = SigningKeyLoader.ReadKeyFile(path);
        bool isPem = Pem.LooksLikePem(content);
        CodeSigningCertificate certificate;
        try
        {
            certificate = isPem
                ? LoadPem(path, System.Text.Encoding.UTF8.GetString(content), options, environment)
                : LoadPfx(path, content, options.PasswordVariable, environment);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
        }
        try
        {
            // The file that held the private key: the PFX, or the PEM key file (the certificate file itself when no key file is given).
            SigningKeyLoader.RequireOwnerOnly(isPem && options.KeyFile is { Length: > 0 } keyFile ? keyFile : path);
            return certificate;
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    private static CodeSigningCertificate LoadPem(string certificatePath, string certificateText, CodeSigningCertificateOptions options, Func<string, string?> environment)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(certificateText);
        }
        catch (CryptographicException e)
        {
            throw Errors.CertificateFileUnusable(certificatePath, Errors.Sentence(e), e);
        }
        if (certificates.Count == 0) throw Errors.CertificateFileUnusable(certificatePath, "it holds no 'BEGIN CERTIFICATE' section.");

        string keyPath = options.KeyFile is { Length: > 0 } file ? file : certificatePath;
        string keyText;
        if (keyPath == certificatePath)
        {
            keyText = certificateText;
        }
        else
        {
            byte[] keyBytes = SigningKeyLoader.ReadKeyFile(keyPath);
            keyText = System.Text.Encoding.UTF8.GetString(keyBytes);
            CryptographicOperations.ZeroMemory(keyBytes);
        }

        AsymmetricAlgorithm key;
        try
        {
            key = SigningKeyLoader.LoadPem(keyPath, keyText, options.PasswordVariable, environment);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw Errors.KeyFileMalformed(keyPath, "its PEM content is damaged or not a private key.", e);
        }

        using (key)
        {
            byte[] spki = key switch
            {
                RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
                ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
                _ => [],
            };
            X509Certificate2? leaf = certificates.FirstOrDefault(c => c.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki));
            if (leaf is null)
            {
                foreach (var c in certificates) c.Dispose();
                throw Errors.CertificateKeyMismatch(certificatePath, keyPath);
            }
            X509Certificate2 withKey = key switch
            {
                RSA rsa => leaf.CopyWithPrivateKey(rsa),
                ECDsa ec => leaf.CopyWithPrivateKey(ec),
                _ => throw new InvalidOperationException(),
            };
            var extras = new X509Certificate2Collection();
            foreach (var c in certificates)
            {
                if (ReferenceEquals(c, leaf)) c.Dispose();
                else extras.Add(c);
            }
            return new CodeSigningCertificate(withKey, extras, certificatePath);
        }
    }

    private static CodeSigningCertificate LoadPfx(string path, byte[] content, string? passwordVariable, Func<string, string?> environment)
    {
        string? password = passwordVariable is { Length: > 0 } variable ? environment(variable) : null;
        if (passwordVariable is { Length: > 0 } && password is null) throw Errors.KeyPasswordVariableNotSet(path, passwordVariable);
        if (passwordVariable is { Length: > 0 } && password is "") throw Errors.KeyPasswordVariableEmpty(passwordVariable, path);

        X509Certificate2Collection certificates;
        try
        {
            certificates = X509CertificateLoader.LoadPkcs12Collection(content, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e) when (SigningKeyLoader.IsPasswordFailure(e))
        {
            if (passwordVariable is not { Length: > 0 }) throw Errors.KeyPasswordVariableNotConfigured(path);
            throw Errors.KeyPasswordWrong(path, passwordVariable, e);
        }
        catch (CryptographicException e)
        {
            throw Errors.KeyFileMalformed(path, "it is neither PEM nor a readable PKCS#12/PFX file.", e);
        }

        // The signing certificate is the one with a private key; prefer a code-signing one when there are several.
        X509Certificate2? leaf = certificates.Where(c => c.HasPrivateKey).OrderByDescending(HasCodeSigningEku).FirstOrDefault();
        if (leaf is null)
        {
            foreach (var c in certificates) c.Dispose();
            throw Errors.KeyFileMalformed(path, "the PFX file contains no private key.");
        }
        var extras = new X509Certificate2Collection();
        foreach (var c in certificates)
        {
            if (!ReferenceEquals(c, leaf)) extras.Add(c);
        }
        return new CodeSigningCertificate(leaf, extras, path);
    }

    internal static bool HasCodeSigningEku(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CodeSigningEku));
}
