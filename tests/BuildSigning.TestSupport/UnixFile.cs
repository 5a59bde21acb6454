namespace BuildSigning.TestSupport;

/// <summary>Unix permission helpers for tests (the suites run on Linux; the guard keeps the platform analyzer honest).</summary>
public static class UnixFile
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static UnixFileMode GetMode(string path)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("Unix file modes only.");
        return File.GetUnixFileMode(path);
    }

    public static void SetMode(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("Unix file modes only.");
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>Makes a private key file readable by its owner only (0600), as BuildSigning requires; no-op on Windows.</summary>
    public static string RestrictToOwner(string path)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, OwnerReadWrite);
        return path;
    }

    /// <summary>Gives the file or folder to another user (needs root), to test what BuildSigning does with other users' files.</summary>
    public static void ChangeOwner(string path, string user)
    {
        var result = ProcessRunner.Run("chown", [user, path], System.IO.Path.GetTempPath(), timeout: TimeSpan.FromMinutes(1));
        if (result.ExitCode != 0) throw new InvalidOperationException("chown failed:\n" + result);
    }
}
