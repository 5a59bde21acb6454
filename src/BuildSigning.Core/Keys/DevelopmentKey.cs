using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Keys;

/// <summary>
/// The zero-configuration, per-user ECDSA P-256 key: created once (private file mode 0600), public key beside it.
/// Concurrent builds race to create it safely: the first rename wins and everyone loads that file.
/// </summary>
public static class DevelopmentKey
{
    public const string HomeVariable = "BUILDSIGNING_HOME";
    public const string PrivateKeyFileName = "development-key.pem";
    public const string PublicKeyFileName = "development-key.pub.pem";

    public static string DefaultDirectory(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? home = environment(HomeVariable);
        if (!string.IsNullOrWhiteSpace(home)) return Path.GetFullPath(home);
        string appData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(appData))
        {
            appData = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }
        return Path.Combine(appData, "BuildSigning");
    }

    public static string PrivateKeyPath(string directory) => Path.Combine(directory, PrivateKeyFileName);
    public static string PublicKeyPath(string directory) => Path.Combine(directory, PublicKeyFileName);

    public static SigningKey GetOrCreate(string directory)
    {
        string privatePath = PrivateKeyPath(directory);
        try
        {
            if (!File.Exists(privatePath))
            {
                // Parallel builds race to create the key. The rename alone is not enough: where hard links are unavailable,
                // .NET's no-overwrite move checks, then renames, so two creators could both win.
                using var creating = DirectoryLock.Acquire(directory);
                if (!File.Exists(privatePath))
                {
                    using var key = KeyGenerator.Generate(KeyKind.EcdsaP256);
                    AtomicFile.TryCreateNew(privatePath, Encoding.UTF8.GetBytes(KeyGenerator.ExportPrivateKeyPem(key)), KeyGenerator.PrivateFileMode);
                }
            }
            var signingKey = SigningKeyLoader.Load(new SigningKeyOptions(privatePath), isDevelopmentKey: true);
            string publicPath = PublicKeyPath(directory);
            AtomicFile.WriteIfChanged(publicPath, Encoding.UTF8.GetBytes(signingKey.PublicKey.ExportPem()));
            return signingKey;
        }
        catch (BuildSigningException e) when (e.Code is "BS2003")
        {
            throw Errors.DevelopmentKeyUnavailable(directory, e.InnerException ?? e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.DevelopmentKeyUnavailable(directory, e);
        }
    }
}
