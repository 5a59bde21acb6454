using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

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
    /// Opens a regular file (following links) for reading without ever blocking: the open itself is non-blocking, so a
    /// FIFO swapped in after <see cref="Of"/> looked cannot hang it, and what was opened is checked to be a regular file.
    /// Throws <see cref="InvalidDataException"/> naming what it found instead.
    /// </summary>
    public static SafeFileHandle OpenRegularFileForReading(string path)
    {
        if (!OperatingSystem.IsLinux() || s_statxUnavailable || !BitConverter.IsLittleEndian)
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        }
        int fd = Open(path, ORdOnly | ONonBlock | OCloExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                ENOENT or ENOTDIR => new FileNotFoundException($"'{path}' does not exist.", path),
                EACCES or EPERM => new UnauthorizedAccessException($"Access to '{path}' is denied."),
                _ => new IOException($"'{path}' cannot be opened: {Marshal.GetPInvokeErrorMessage(errno)}.", errno),
            };
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        var buffer = new byte[256];
        var kind = Statx(fd, "", AtEmptyPath, StatxType, buffer) == 0 ? KindOf(BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28))) : EntryKind.Missing;
        if (kind != EntryKind.RegularFile)
        {
            handle.Dispose();
            throw new InvalidDataException($"'{path}' is {Describe(kind)}, not a regular file.");
        }
        return handle;
    }

    // Linux's open(2) flags (the same on x86-64 and arm64).
    private const int ORdOnly = 0, ONonBlock = 0x800, OCloExec = 0x80000;
    private const int AtEmptyPath = 0x1000;
    private const int EPERM = 1, EACCES = 13;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

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

    internal static EntryKind KindOf(int mode) => (mode & 0xF000) switch
    {
        0x8000 => EntryKind.RegularFile,
        0x4000 => EntryKind.Directory,
        0xA000 => EntryKind.SymbolicLink,
        0x1000 => EntryKind.Fifo,
        0x2000 => EntryKind.CharacterDevice,
        0x6000 => EntryKind.BlockDevice,
        _ => EntryKind.Socket,
    };

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
            kind = KindOf(BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(28)));
            return BitConverter.IsLittleEndian;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            s_statxUnavailable = true;
            return false;
        }
    }
}
