using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BuildSigning.Core.Trust;

/// <summary>
/// What identifies a file's content without reading it: length, modification time and, on Linux, the inode and the
/// inode change time (ctime). ctime cannot be set back by 'touch -d' or any other user-level call (every change of the
/// file, including restoring its mtime, moves it to now), so a .nupkg rewritten in place with its old size and mtime
/// still gets a new stamp and is hashed again.
/// </summary>
internal readonly record struct FileStamp(long Length, long LastWriteTicks, long ChangeTicks, long Inode)
{
    private static bool s_statxUnavailable;

    public static FileStamp? Get(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        long change = 0, inode = 0;
        if (OperatingSystem.IsLinux() && !s_statxUnavailable) TryStatx(path, out change, out inode);
        return new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks, change, inode);
    }

    public override string ToString() => $"{Length}:{LastWriteTicks}:{ChangeTicks}:{Inode}";

    public static bool TryParse(string text, out FileStamp stamp)
    {
        stamp = default;
        string[] parts = text.Split(':');
        if (parts.Length != 4) return false;
        var values = new long[4];
        for (int i = 0; i < 4; i++)
        {
            if (!long.TryParse(parts[i], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out values[i])) return false;
        }
        stamp = new FileStamp(values[0], values[1], values[2], values[3]);
        return true;
    }

    // struct statx has the same layout on every Linux architecture (that is its point): stx_ino at 32,
    // stx_ctime (tv_sec int64, tv_nsec uint32) at 96; 256 bytes in all.
    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100, StatxCtime = 0x80;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);

    private static void TryStatx(string path, out long changeTicks, out long inode)
    {
        changeTicks = 0;
        inode = 0;
        try
        {
            var buffer = new byte[256];
            if (Statx(AtFdCwd, path, 0, StatxIno | StatxCtime, buffer) != 0) return;
            uint mask = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(0));
            if (!BitConverter.IsLittleEndian) return;
            if ((mask & StatxIno) != 0) inode = (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(32));
            if ((mask & StatxCtime) != 0)
            {
                long seconds = BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(96));
                uint nanoseconds = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(104));
                changeTicks = seconds * TimeSpan.TicksPerSecond + nanoseconds / 100;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            s_statxUnavailable = true;
        }
    }
}
