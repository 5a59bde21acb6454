using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BuildSigning.Core.IO;

/// <summary>What a directory entry is, read without following links and without opening it.</summary>
public enum EntryKind
{
    Missing,
    RegularFile,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
}

/// <summary>
/// Tells a regular file from a FIFO, a device or a socket before anything opens it: opening a FIFO blocks until a writer
/// appears, and reading /dev/zero never ends, so a signer or verifier that opened such an entry would hang.
/// </summary>
public static class FileKind
{
    private static bool s_statxUnavailable;

    public static EntryKind Of(string path)
    {
        if (OperatingSystem.IsLinux() && !s_statxUnavailable && TryStatxType(path, out var kind)) return kind;
        return FromAttributes(path);
    }

    public static string Describe(EntryKind kind) => kind switch
    {
        EntryKind.Missing => "an entry that does not exist",
        EntryKind.RegularFile => "a regular file",
        EntryKind.Directory => "a directory",
        EntryKind.SymbolicLink => "a symbolic link",
        EntryKind.Fifo => "a named pipe (FIFO)",
        EntryKind.CharacterDevice => "a character device",
        EntryKind.BlockDevice => "a block device",
        _ => "a socket",
    };

    /// <summary>
    /// The path with every link and '..' resolved the way the kernel resolves them (realpath), or null when it does not
    /// exist. Lexical normalization is not enough: 'link/..' is the parent of the link's target, not the link's folder.
    /// </summary>
    public static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            var final = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
            string full = final?.FullName ?? Path.GetFullPath(path);
            return File.Exists(full) || Directory.Exists(full) ? full : null;
        }
        IntPtr resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);

    /// <summary>Elsewhere (Windows, macOS) .NET tells directories and links apart; special files are a Unix matter.</summary>
    private static EntryKind FromAttributes(string path)
    {
        FileSystemInfo info = new FileInfo(path);
        if (!info.Exists)
        {
            info = new DirectoryInfo(path);
            if (!info.Exists) return info.LinkTarget is null ? EntryKind.Missing : EntryKind.SymbolicLink;
        }
        if (info.LinkTarget is not null) return EntryKind.SymbolicLink;
        return info is DirectoryInfo ? EntryKind.Directory : EntryKind.RegularFile;
    }

    // struct statx is the same on every Linux architecture: stx_mode (u16) at offset 28; 256 bytes in all.
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ENOENT = 2, ENOTDIR = 20;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

    private static bool TryStatxType(string path, out EntryKind kind)
    {
        kind = EntryKind.Missing;
        try
        {
            var buffer = new byte[256];
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno is ENOENT or ENOTDIR;
            }
            int mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28));
            kind = (mode & 0xF000) switch
            {
                0x8000 => EntryKind.RegularFile,
                0x4000 => EntryKind.Directory,
                0xA000 => EntryKind.SymbolicLink,
                0x1000 => EntryKind.Fifo,
                0x2000 => EntryKind.CharacterDevice,
                0x6000 => EntryKind.BlockDevice,
                _ => EntryKind.Socket,
            };
            return BitConverter.IsLittleEndian;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            s_statxUnavailable = true;
            return false;
        }
    }
}
