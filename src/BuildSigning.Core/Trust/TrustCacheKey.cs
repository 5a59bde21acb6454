using System.Security.Cryptography;
using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Trust;

/// <summary>
/// The per-user secret that authenticates verdict caches (HMAC-SHA256), kept in the per-user BuildSigning folder
/// (<see cref="DevelopmentKey.DefaultDirectory"/>), never in a repository: a cache file that came with the repository
/// (a force-added obj/ file) cannot carry a valid MAC, so it is ignored. Created once (file 0600, in a folder created
/// 0700); parallel builds race to create it safely, like the development key.
/// </summary>
public sealed class TrustCacheKey
{
    public const string FileName = "trust-cache.key";
    private const int KeyBytes = 32;
    private const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OthersAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly byte[] _key;

    private TrustCacheKey(byte[] key) => _key = key;

    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>
    /// The key in <paramref name="directory"/>, created when missing (or replaced when damaged or open to other users).
    /// Null when it can be neither read nor created: the cache is then neither trusted nor written, which only costs time.
    /// </summary>
    public static TrustCacheKey? GetOrCreate(string directory)
    {
        string path = PathIn(directory);
        try
        {
            if (TryRead(path) is { } existing) return existing;
            if (!Directory.Exists(directory))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
                else Directory.CreateDirectory(directory, PrivateDirectoryMode);
            }
            using (DirectoryLock.Acquire(directory))
            {
                if (TryRead(path) is { } created) return created;
                byte[] text = Encoding.ASCII.GetBytes(Hex.Lower(RandomNumberGenerator.GetBytes(KeyBytes)) + "\n");
                if (File.Exists(path)) AtomicFile.WriteAllBytes(path, text, KeyGenerator.PrivateFileMode);
                else AtomicFile.TryCreateNew(path, text, KeyGenerator.PrivateFileMode);
            }
            return TryRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BuildSigningException)
        {
            return null;
        }
    }

    /// <summary>HMAC-SHA256 of the content, lowercase hex.</summary>
    public string Mac(ReadOnlySpan<byte> content) => Hex.Lower(HMACSHA256.HashData(_key, content));

    /// <summary>Whether <paramref name="macHex"/> is this key's MAC of the content (compared in constant time).</summary>
    public bool Verifies(ReadOnlySpan<byte> content, ReadOnlySpan<char> macHex)
    {
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, content, expected);
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        return macHex.Length == 2 * HMACSHA256.HashSizeInBytes
            && Convert.FromHexString(macHex, given, out _, out int written) == System.Buffers.OperationStatus.Done
            && written == given.Length
            && CryptographicOperations.FixedTimeEquals(expected, given);
    }

    /// <summary>The key when the file holds one (64 hex digits) that only its owner can read and write, else null.</summary>
    private static TrustCacheKey? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & OthersAccess) != 0) return null;
        string text = File.ReadAllText(path, Encoding.ASCII).Trim();
        if (text.Length != 2 * KeyBytes) return null;
        try
        {
            return new TrustCacheKey(Convert.FromHexString(text));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
