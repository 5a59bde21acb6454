namespace BuildSigning.Core.IO;

/// <summary>
/// What identifies a file's content without reading it, as git's index does: length, modification time and, on Linux,
/// the inode and the inode change time (ctime). ctime cannot be set back by 'touch -d' or any other user-level call
/// (every change of the file, including restoring its mtime, moves it to now), so a file rewritten in place with its old
/// size and mtime still gets a new stamp and is hashed again. All times are UTC DateTime ticks.
/// </summary>
internal readonly record struct FileStamp(long Length, long LastWriteTicks, long ChangeTicks, long Inode)
{
    /// <summary>The stamp of a file (one statx call on Linux), or null when it does not exist or is a folder.</summary>
    public static FileStamp? Get(string path)
    {
        if (FileStatus.Get(path, out bool exists) is { } status)
        {
            return status.IsDirectory ? null : new FileStamp(status.Length, status.LastWriteTicks, status.ChangeTicks, status.Inode);
        }
        if (!exists) return null;
        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks, 0, 0) : null;
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
}
