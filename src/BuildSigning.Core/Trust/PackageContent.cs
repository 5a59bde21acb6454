using System.Security.Cryptography;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Trust;

/// <summary>
/// A .nupkg read from disk once: its SHA-512, NuGet's signature and integrity checks, the carried bundles and deep mode all
/// work on the same bytes in memory, so no check sees a file another check did not (and the disk is read once, not four
/// times). A package larger than <see cref="MaxInMemoryBytes"/> (a runtime pack, say) is opened from disk for each reader.
/// </summary>
internal sealed class PackageContent
{
    /// <summary>Above this a package is not held in memory; nearly every package is far smaller.</summary>
    public const long MaxInMemoryBytes = 256L * 1024 * 1024;

    private readonly byte[]? _bytes;

    private PackageContent(string path, byte[]? bytes, string sha512Hex, FileStamp? stampBefore)
    {
        Path = path;
        _bytes = bytes;
        Sha512Hex = sha512Hex;
        StampBefore = stampBefore;
    }

    public string Path { get; }

    /// <summary>The SHA-512 (lower-case hex) of exactly the bytes the readers of <see cref="Open"/> see (when held in memory).</summary>
    public string Sha512Hex { get; }

    /// <summary>The file's stamp before it was read; a different stamp afterwards means it changed while being read.</summary>
    public FileStamp? StampBefore { get; }

    public bool IsInMemory => _bytes is not null;

    /// <summary>A fresh, read-only, seekable stream over the package.</summary>
    public Stream Open() => _bytes is not null
        ? new MemoryStream(_bytes, writable: false)
        : new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.RandomAccess);

    public static PackageContent Read(string path, long maxInMemoryBytes = MaxInMemoryBytes)
    {
        var stamp = FileStamp.Get(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.SequentialScan);
        long length = stream.Length;
        if (length > maxInMemoryBytes)
        {
            return new PackageContent(path, null, Hex.Lower(SHA512.HashData(stream)), stamp);
        }
        byte[] bytes = GC.AllocateUninitializedArray<byte>((int)length);
        stream.ReadExactly(bytes);
        // A file that grew while it was read is not the file whose length we read: treat it as changed.
        if (stream.ReadByte() != -1) throw new IOException($"'{path}' changed while it was read.");
        return new PackageContent(path, bytes, Hex.Lower(SHA512.HashData(bytes)), stamp);
    }
}
