using BuildSigning.Core.Keys;
using Microsoft.Build.Framework;

namespace BuildSigning.Tasks;

/// <summary>
/// Loads a signing key once per build: decrypting a PBKDF2-protected key costs far more than signing,
/// and a solution build signs many outputs. Keyed by the file's identity, never by its secret.
/// </summary>
internal static class SigningKeyCache
{
    public static SigningKey Resolve(IBuildEngine engine, KeyConfiguration configuration)
    {
        if (engine is not IBuildEngine4 engine4) return SigningKeyResolver.Resolve(configuration);
        string cacheKey = CacheKey(configuration);
        if (engine4.GetRegisteredTaskObject(cacheKey, RegisteredTaskObjectLifetime.Build) is SigningKey cached) return cached;
        var key = SigningKeyResolver.Resolve(configuration);
        engine4.RegisterTaskObject(cacheKey, key, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return key;
    }

    private static string CacheKey(KeyConfiguration c)
    {
        // A pkcs11: URI is its own identity (it never holds the PIN: one in the URI is refused).
        string Stamp(string? path) => Core.Keys.Pkcs11.Pkcs11Uri.IsPkcs11(path) ? path! : string.IsNullOrWhiteSpace(path) || !File.Exists(path)
            ? "-"
            : $"{Path.GetFullPath(path)}|{File.GetLastWriteTimeUtc(path).Ticks}|{new FileInfo(path).Length}";
        return string.Join("\n", "BuildSigning.SigningKey", Stamp(c.KeyFile), c.PasswordVariable, Stamp(c.CertificateFile),
            c.RequireSigningKey, c.DevelopmentKeyDirectory ?? DevelopmentKey.DefaultDirectory());
    }
}
