namespace BuildSigning.Core.IO;

/// <summary>
/// Folders whose content only this user may change (the development key's folder, the lock folder): created readable by
/// the owner only whatever the umask, and checked before use, since a folder another user can write lets that user
/// replace or plant what BuildSigning reads from it. Windows relies on the profile folder's ACLs instead.
/// </summary>
internal static class PrivateDirectory
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
    private const UnixFileMode OthersAny = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates the folder and its missing parents with mode 0700. (Directory.CreateDirectory with a mode gives it to the
    /// last folder only; the parents it creates follow the umask.) Folders that already exist are left as they are.
    /// </summary>
    public static void Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        var missing = new Stack<string>();
        for (string? folder = Path.GetFullPath(path); folder is not null && !Directory.Exists(folder); folder = Path.GetDirectoryName(folder))
        {
            missing.Push(folder);
        }
        while (missing.Count > 0) Directory.CreateDirectory(missing.Pop(), OwnerOnly);
    }

    /// <summary>
    /// Why other users could change what the folder holds, as the end of a sentence about it, or null when only its owner,
    /// this user, can: it belongs to another user, or others can write in it (or, unless <paramref name="othersMayRead"/>,
    /// read it).
    /// </summary>
    public static string? Problem(string path, bool othersMayRead)
    {
        if (OperatingSystem.IsWindows()) return null;
        UnixFileMode mode;
        if (FileStatus.Get(path, out _) is { } status)
        {
            if (!status.IsDirectory) return "is not a folder";
            if (FileStatus.CurrentUserId() is { } me && status.OwnerId != me) return $"belongs to another user (uid {status.OwnerId})";
            mode = status.Mode;
        }
        else
        {
            if (!Directory.Exists(path)) return "is not a folder";
            mode = File.GetUnixFileMode(path);
        }
        if ((mode & OthersWrite) != 0) return $"can be written by other users (mode {Diagnostics.Errors.Octal(mode)})";
        if (!othersMayRead && (mode & OthersAny) != 0) return $"can be read by other users (mode {Diagnostics.Errors.Octal(mode)})";
        return null;
    }
}
