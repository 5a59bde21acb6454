using System.Security.Cryptography;
using System.Text;

namespace BuildSigning.Core.IO;

/// <summary>
/// Serializes signers of one directory across processes (projects that share an output folder build in parallel nodes),
/// so the last signer always sees every file. The lock file lives in the temp folder, never in the signed output,
/// and is never deleted, which keeps the lock free of unlink races.
/// </summary>
public sealed class DirectoryLock : IDisposable
{
    private readonly FileStream _stream;

    private DirectoryLock(FileStream stream) => _stream = stream;

    public static DirectoryLock Acquire(string directory, TimeSpan? timeout = null)
    {
        string lockDirectory = Path.Combine(Path.GetTempPath(), "buildsigning-locks");
        Directory.CreateDirectory(lockDirectory);
        string name = Hashing.Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(directory))))[..32];
        string path = Path.Combine(lockDirectory, name + ".lock");
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(2));
        while (true)
        {
            try
            {
                return new DirectoryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
            catch (IOException e)
            {
                throw Diagnostics.Errors.DirectoryLockTimeout(directory, e);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
