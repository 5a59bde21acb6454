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
        if (!string.IsNullOrWhiteSpace(configuration.KeyFile))
        {
            return SigningKeyLoader.Load(
                new SigningKeyOptions(Path.GetFullPath(configuration.KeyFile), NullIfEmpty(configuration.PasswordVariable), NullIfEmpty(configuration.CertificateFile)),
                environment);
        }
        if (configuration.RequireSigningKey)
        {
            throw Errors.SigningKeyRequired(configuration.RequireSigningKeyReason ?? "BuildSigningRequireSigningKey=true");
        }
        return DevelopmentKey.GetOrCreate(configuration.DevelopmentKeyDirectory ?? DevelopmentKey.DefaultDirectory(environment));
    }

    public static Diagnostic DevelopmentKeyWarning(string signedWhat, SigningKey key) =>
        new("DevelopmentKeyInUse", [signedWhat, key.Id.Hex, DevelopmentKey.PublicKeyPath(Path.GetDirectoryName(key.Source)!)]);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
