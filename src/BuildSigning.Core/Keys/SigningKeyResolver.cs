using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Keys;

/// <summary>What the user configured about keys (never the password itself).</summary>
public sealed record KeyConfiguration(
    string? KeyFile,
    string? PasswordVariable,
    string? CertificateFile,
    bool RequireSigningKey,
    string? RequireSigningKeyReason = null,
    string? DevelopmentKeyDirectory = null);

/// <summary>Picks the configured key, or the per-user development key when none is configured and none is required.</summary>
public static class SigningKeyResolver
{
    public static SigningKey Resolve(KeyConfiguration configuration, Func<string, string?>? environment = null)
    {
        string developmentDirectory = configuration.DevelopmentKeyDirectory ?? DevelopmentKey.DefaultDirectory(environment);
        if (Pkcs11.Pkcs11Uri.IsPkcs11(configuration.KeyFile))
        {
            // A key in a PKCS#11 token (BuildSigningKey=pkcs11:...): never this machine's development key.
            return Pkcs11.Pkcs11KeyLoader.LoadSigningKey(configuration.KeyFile!, NullIfEmpty(configuration.PasswordVariable), NullIfEmpty(configuration.CertificateFile), environment);
        }
        if (!string.IsNullOrWhiteSpace(configuration.KeyFile))
        {
            string keyFile = Path.GetFullPath(configuration.KeyFile);
            var key = SigningKeyLoader.Load(
                new SigningKeyOptions(keyFile, NullIfEmpty(configuration.PasswordVariable), NullIfEmpty(configuration.CertificateFile)),
                environment);
            if (configuration.RequireSigningKey && IsDevelopmentIdentity(key.Id, developmentDirectory))
            {
                key.Dispose();
                throw Errors.SigningKeyRequiredButDevelopmentKeyConfigured(Reason(configuration), keyFile, key.Id.Hex);
            }
            return key;
        }
        if (configuration.RequireSigningKey)
        {
            throw Errors.SigningKeyRequired(Reason(configuration));
        }
        return DevelopmentKey.GetOrCreate(developmentDirectory);
    }

    /// <summary>
    /// Whether a key is one of this machine's development identities, recognised by key id (not by path), so a copy of
    /// the development key or a link to it is caught as well: the development key, or the development code-signing key.
    /// </summary>
    private static bool IsDevelopmentIdentity(KeyId id, string developmentDirectory) =>
        id.Equals(DevelopmentKey.ExistingKeyId(developmentDirectory)) || id.Equals(DevelopmentCodeSigningCertificate.ExistingKeyId(developmentDirectory));

    private static string Reason(KeyConfiguration configuration) => configuration.RequireSigningKeyReason ?? "BuildSigningRequireSigningKey=true";

    public static Diagnostic DevelopmentKeyWarning(string signedWhat, SigningKey key) =>
        new("DevelopmentKeyInUse", [signedWhat, key.Id.Hex, DevelopmentKey.PublicKeyPath(Path.GetDirectoryName(key.Source)!)]);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
