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
}
