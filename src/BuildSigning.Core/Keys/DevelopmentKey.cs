using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Keys;

/// <summary>
/// The zero-configuration, per-user ECDSA P-256 key: created once (private file mode 0600, in a folder of mode 0700),
/// public key beside it.
/// Concurrent builds race to create it safely: the first rename wins and everyone loads that file.
/// </summary>
public static class DevelopmentKey
{
    public const string HomeVariable = UserDataDirectory.HomeVariable;
    public const string PrivateKeyFileName = "development-key.pem";
    public const string PublicKeyFileName = "development-key.pub.pem";

    public static string DefaultDirectory(Func<string, string?>? environment = null) => UserDataDirectory.Resolve(environment);

    public static string PrivateKeyPath(string directory) => Path.Combine(directory, PrivateKeyFileName);
    public static string PublicKeyPath(string directory) => Path.Combine(directory, PublicKeyFileName);

    public static SigningKey GetOrCreate(string directory)
    {
        string privatePath = PrivateKeyPath(directory);
        try
        {
            PrepareDirectory(directory);
            RefuseLink(privatePath);
            if (!File.Exists(privatePath))
            {
                // Parallel builds race to create the key. The rename alone is not enough: where hard links are unavailable,
                // .NET's no-overwrite move checks, then renames, so two creators could both win.
                using var creating = LockForCreation(directory);
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

    /// <summary>
    /// The id of the development key in <paramref name="directory"/> if it exists there (from its public key, else from the
    /// private key), so a configured key file that holds the same key is recognised wherever it was copied or linked to.
    /// </summary>
    public static KeyId? ExistingKeyId(string directory)
    {
        try
        {
            if (File.Exists(PublicKeyPath(directory))) return VerificationKey.FromFile(PublicKeyPath(directory)).Id;
            if (!File.Exists(PrivateKeyPath(directory))) return null;
            using var key = SigningKeyLoader.Load(new SigningKeyOptions(PrivateKeyPath(directory)), isDevelopmentKey: true);
            return key.Id;
        }
        catch (BuildSigningException)
        {
            return null; // Unreadable: then it is not the key the configured file holds (that one was just read).
        }
    }

    /// <summary>Creates the per-user folder (mode 0700) or checks that no other user can change what it holds (BS1018).</summary>
    internal static void PrepareDirectory(string directory)
    {
        PrivateDirectory.Create(directory);
        // Folders made by earlier versions follow the umask (often 0755): readable is harmless (the key file itself is 0600), writable is not.
        if (PrivateDirectory.Problem(directory, othersMayRead: true) is { } problem) throw Errors.DevelopmentKeyFolderUnsafe(directory, problem);
    }

    /// <summary>BuildSigning writes its development key files itself, never as links: a link there was planted (BS1017).</summary>
    internal static void RefuseLink(string path)
    {
        if (new FileInfo(path).LinkTarget is { } target) throw Errors.DevelopmentKeyIsLink(path, target);
    }

    /// <summary>Serializes the creation of development key files in <paramref name="directory"/> (the lock lives in its own 'locks' folder).</summary>
    internal static DirectoryLock LockForCreation(string directory) => DirectoryLock.Acquire(directory, lockDirectory: DirectoryLock.LockDirectoryIn(directory));
}
