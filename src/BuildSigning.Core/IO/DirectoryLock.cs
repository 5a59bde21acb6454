using System.Security.Cryptography;
using System.Text;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.IO;

/// <summary>
/// Serializes signers of one directory across processes (projects that share an output folder build in parallel nodes),
/// so the last signer always sees every file. The lock file lives in a per-user folder (mode 0700, checked before use),
/// never in the signed output and never in a folder other users can write: there another user could create the lock file
/// first and stall every build, or own the folder and make it unusable. Lock files are never deleted, which keeps the
/// lock free of unlink races.
/// </summary>
public sealed class DirectoryLock : IDisposable
{
    private const string LockFolderName = "locks";
    private readonly FileStream _stream;

    private DirectoryLock(FileStream stream) => _stream = stream;

    /// <summary>
    /// The per-user lock folder: 'locks' in the per-user BuildSigning folder (BUILDSIGNING_HOME, else the local application
    /// data folder), which only this user can write.
    /// </summary>
    public static string DefaultLockDirectory(Func<string, string?>? environment = null) =>
        Path.Combine(UserDataDirectory.Resolve(environment), LockFolderName);

    /// <summary>The lock folder kept inside <paramref name="directory"/> (for locks about that folder itself).</summary>
    public static string LockDirectoryIn(string directory) => Path.Combine(directory, LockFolderName);

    public static DirectoryLock Acquire(string directory, TimeSpan? timeout = null, string? lockDirectory = null)
    {
        lockDirectory = Path.GetFullPath(lockDirectory ?? DefaultLockDirectory());
        PrepareLockDirectory(directory, lockDirectory);
        string name = Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(directory))))[..32];
        string path = Path.Combine(lockDirectory, name + ".lock");
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        while (true)
        {
            try
            {
                return new DirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1));
            }
            catch (IOException e) when (IsHeldByAnother(e) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException e) when (IsHeldByAnother(e))
            {
                throw Errors.DirectoryLockTimeout(directory, e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Errors.DirectoryLockFailed(directory, lockDirectory, e);
            }
        }
    }

    private static void PrepareLockDirectory(string directory, string lockDirectory)
    {
        try
        {
            PrivateDirectory.Create(lockDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.DirectoryLockFailed(directory, lockDirectory, e);
        }
        if (PrivateDirectory.Problem(lockDirectory, othersMayRead: false) is { } problem) throw Errors.LockFolderUnsafe(lockDirectory, problem);
    }

    /// <summary>
    /// The lock is taken (flock's EWOULDBLOCK: 11 on Linux, 35 on macOS; a sharing or lock violation on Windows), as opposed
    /// to a failure that waiting cannot cure (a full disk, a read-only folder).
    /// </summary>
    private static bool IsHeldByAnother(IOException e) => e.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    public void Dispose() => _stream.Dispose();
}
