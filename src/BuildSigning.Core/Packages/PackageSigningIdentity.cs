using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Packages;

/// <summary>
/// The certificate that author-signs packages, from the same settings as the signing key: a PFX key file, or a PEM key
/// with BuildSigningCertificateFile; with neither configured, the per-user development code-signing certificate.
/// </summary>
public static class PackageSigningIdentity
{
    public static CodeSigningCertificate Resolve(KeyConfiguration configuration, Func<string, string?>? environment = null)
    {
        if (string.IsNullOrWhiteSpace(configuration.KeyFile))
        {
            if (configuration.RequireSigningKey)
            {
                throw Errors.SigningKeyRequired(configuration.RequireSigningKeyReason ?? "BuildSigningRequireSigningKey=true");
            }
            return DevelopmentCodeSigningCertificate.GetOrCreate(configuration.DevelopmentKeyDirectory ?? DevelopmentKey.DefaultDirectory(environment));
        }

        if (Keys.Pkcs11.Pkcs11Uri.IsPkcs11(configuration.KeyFile))
        {
            return Keys.Pkcs11.Pkcs11KeyLoader.LoadCodeSigningCertificate(configuration.KeyFile,
                string.IsNullOrWhiteSpace(configuration.PasswordVariable) ? null : configuration.PasswordVariable,
                string.IsNullOrWhiteSpace(configuration.CertificateFile) ? null : Path.GetFullPath(configuration.CertificateFile), environment);
        }
        string keyFile = Path.GetFullPath(configuration.KeyFile);
        string? password = string.IsNullOrWhiteSpace(configuration.PasswordVariable) ? null : configuration.PasswordVariable;
        if (!string.IsNullOrWhiteSpace(configuration.CertificateFile))
        {
            return CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(Path.GetFullPath(configuration.CertificateFile), keyFile, password), environment);
        }
        if (IsPem(keyFile)) throw Errors.PackageCertificateRequired(keyFile);
        return CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(keyFile, null, password), environment);
    }

    private static bool IsPem(string path)
    {
        if (!File.Exists(path)) throw Errors.KeyFileNotFound(path);
        Span<byte> start = stackalloc byte[64];
        using var stream = File.OpenRead(path);
        int read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        return Pem.LooksLikePem(start[..read]);
    }

    public static PackageSignatureHashAlgorithm ParseHashAlgorithm(string? value) => (value ?? "").Trim().ToUpperInvariant() switch
    {
        "" or "SHA256" or "SHA-256" => PackageSignatureHashAlgorithm.Sha256,
        "SHA384" or "SHA-384" => PackageSignatureHashAlgorithm.Sha384,
        "SHA512" or "SHA-512" => PackageSignatureHashAlgorithm.Sha512,
        _ => throw Errors.PackageHashAlgorithmUnknown(value!),
    };
}
