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
        if (configuration.Signer is { } signer) return SignerCommand.CreateCodeSigningCertificate(signer, configuration.CertificateFile);
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

    /// <summary>
    /// Refuses, before anything is signed, a bundle key that cannot make a NuGet author signature: an Ed25519 key (BS1058;
    /// NuGet signs with RSA) or a signing command without an RSA key and its certificate (BS1059).
    /// </summary>
    public static void RequireUsableForPackages(SigningKey bundleKey, KeyConfiguration configuration)
    {
        if (configuration.Signer is not null)
        {
            if (string.IsNullOrWhiteSpace(configuration.CertificateFile)) throw Errors.SignerPackageSignature("no BuildSigningCertificateFile is set");
            if (bundleKey.Algorithm != SignatureAlgorithm.RsaPkcs1Sha256)
            {
                throw Errors.SignerPackageSignature($"the command's key is {SignerCommand.SchemeName(bundleKey.Algorithm)}, not RSA");
            }
        }
        if (bundleKey.Algorithm == SignatureAlgorithm.Ed25519) throw Errors.Ed25519PackageSignature(bundleKey.Source);
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
