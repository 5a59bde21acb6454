using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BuildSigning.Core.IO;

/// <summary>
/// One Linux statx(2) call: what .NET's file APIs do not expose (owner, inode, change time) together with size and
/// modification time. Null where statx is unavailable (other systems, kernels before 4.11); callers fall back to .NET.
/// </summary>
internal readonly record struct FileStatus(bool IsDirectory, uint OwnerId, UnixFileMode Mode, long Length, long LastWriteTicks, long ChangeTicks, long Inode)
{
    private static bool s_unavailable;

    /// <summary>The status of the file a path names (links followed), or null when it does not exist or statx is unavailable.</summary>
    public static FileStatus? Get(string path, out bool exists)
    {
        exists = true;
        if (!OperatingSystem.IsLinux() || s_unavailable || !BitConverter.IsLittleEndian) return null;
        try
        {
            Span<byte> buffer = stackalloc byte[256];
            if (Statx(AtFdCwd, path, 0, Wanted, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                exists = Marshal.GetLastPInvokeError() is not (ENOENT or ENOTDIR);
                return null;
            }
            uint mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
            if ((mask & Wanted) != Wanted) return null;
            ushort mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
            return new FileStatus(
                IsDirectory: (mode & TypeMask) == DirectoryType,
                OwnerId: BinaryPrimitives.ReadUInt32LittleEndian(buffer[20..]),
                Mode: (UnixFileMode)(mode & 0xFFF),
                Length: (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[40..]),
                LastWriteTicks: Ticks(buffer[112..]),
                ChangeTicks: Ticks(buffer[96..]),
                Inode: (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            s_unavailable = true;
            return null;
        }
    }

    /// <summary>
    /// The entry itself, links not followed (lstat), in one statx call: its kind and, for a regular file, its stamp.
    /// False where statx is unavailable or the call failed for a reason other than a missing entry (callers fall back).
    /// </summary>
    public static bool TryGetEntry(string path, out EntryKind kind, out FileStamp? stamp)
    {
        kind = EntryKind.Missing;
        stamp = null;
        if (!OperatingSystem.IsLinux() || s_unavailable || !BitConverter.IsLittleEndian) return false;
        try
        {
            Span<byte> buffer = stackalloc byte[256];
            if (Statx(AtFdCwd, path, AtSymlinkNoFollow, Wanted, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                return Marshal.GetLastPInvokeError() is ENOENT or ENOTDIR;
            }
            uint mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer);
            if ((mask & Wanted) != Wanted) return false;
            kind = FileKind.KindOf(BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]));
            if (kind == EntryKind.RegularFile)
            {
                stamp = new FileStamp((long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[40..]), Ticks(buffer[112..]), Ticks(buffer[96..]),
                    (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]));
            }
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            s_unavailable = true;
            return false;
        }
    }

    /// <summary>The effective user id of this process (Unix), or null where it cannot be asked.</summary>
    public static uint? CurrentUserId()
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            return GetEffectiveUserId();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>UTC DateTime ticks (as FileInfo.LastWriteTimeUtc.Ticks) of a struct statx_timestamp.</summary>
    private static long Ticks(ReadOnlySpan<byte> timestamp) =>
        DateTime.UnixEpoch.Ticks
        + BinaryPrimitives.ReadInt64LittleEndian(timestamp) * TimeSpan.TicksPerSecond
        + BinaryPrimitives.ReadUInt32LittleEndian(timestamp[8..]) / 100;

    // struct statx has the same layout on every Linux architecture (that is its point): stx_uid at 20, stx_mode at 28,
    // stx_ino at 32, stx_size at 40, stx_ctime at 96, stx_mtime at 112 (timestamps: tv_sec int64, tv_nsec uint32); 256 bytes.
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int ENOENT = 2, ENOTDIR = 20;
    private const uint StatxType = 0x1, StatxMode = 0x2, StatxUid = 0x8, StatxMtime = 0x40, StatxCtime = 0x80, StatxIno = 0x100, StatxSize = 0x200;
    private const uint Wanted = StatxType | StatxMode | StatxUid | StatxMtime | StatxCtime | StatxIno | StatxSize;
    private const int TypeMask = 0xF000, DirectoryType = 0x4000;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();
}
