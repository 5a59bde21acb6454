using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.IO;

public sealed class DirectoryLockTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-lock");

    public void Dispose() => _temp.Dispose();

    private string Signed => Directory.CreateDirectory(_temp.Combine("out")).FullName;

    [Fact]
    public void The_default_lock_folder_is_in_the_per_user_BuildSigning_folder_not_in_shared_temp()
    {
        string home = _temp.Combine("home");
        string lockDirectory = DirectoryLock.DefaultLockDirectory(v => v == "BUILDSIGNING_HOME" ? home : null);

        Assert.StartsWith(Path.GetFullPath(home) + Path.DirectorySeparatorChar, lockDirectory);
        Assert.False(lockDirectory.StartsWith(Path.GetTempPath() + "buildsigning-locks", StringComparison.Ordinal));
    }

    [Fact]
    public void Creates_its_lock_folder_readable_by_the_owner_only()
    {
        string lockDirectory = _temp.Combine("home", "locks");

        using (DirectoryLock.Acquire(Signed, lockDirectory: lockDirectory)) { }

        if (!OperatingSystem.IsWindows()) Assert.Equal(PrivateDirectory.OwnerOnly, UnixFile.GetMode(lockDirectory));
        Assert.Single(Directory.GetFiles(lockDirectory, "*.lock"));
    }

    [Fact]
    public void A_second_holder_waits_and_then_gets_BS2005()
    {
        string lockDirectory = _temp.Combine("locks");
        using var held = DirectoryLock.Acquire(Signed, lockDirectory: lockDirectory);

        var e = Assert.Throws<BuildSigningException>(() => DirectoryLock.Acquire(Signed, TimeSpan.FromMilliseconds(200), lockDirectory));

        Assert.Equal("BS2005", e.Code);
    }

    [Theory]
    [InlineData(0b111_101_101)] // 0755: what the old shared /tmp folder got from the first user's umask
    [InlineData(0b111_111_111)] // 0777
    [InlineData(0b111_000_001)] // 0701
    public void A_lock_folder_other_users_can_use_is_refused_with_BS2013(int mode)
    {
        if (OperatingSystem.IsWindows()) return;
        string lockDirectory = Directory.CreateDirectory(_temp.Combine("locks")).FullName;
        UnixFile.SetMode(lockDirectory, (UnixFileMode)mode);

        var e = Assert.Throws<BuildSigningException>(() => DirectoryLock.Acquire(Signed, lockDirectory: lockDirectory));

        Assert.Equal("BS2013", e.Code);
        Assert.Contains($"chmod 700 '{lockDirectory}'", e.Message);
        Assert.Empty(Directory.GetFiles(lockDirectory));
    }

    [Fact]
    public void A_lock_folder_of_another_user_is_refused_with_BS2013_not_an_uncoded_exception()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return; // only root can give a folder away
        string lockDirectory = Directory.CreateDirectory(_temp.Combine("locks")).FullName;
        UnixFile.SetMode(lockDirectory, PrivateDirectory.OwnerOnly);
        UnixFile.ChangeOwner(lockDirectory, "nobody");

        var e = Assert.Throws<BuildSigningException>(() => DirectoryLock.Acquire(Signed, lockDirectory: lockDirectory));

        Assert.Equal("BS2013", e.Code);
        Assert.Contains("another user", e.Message);
    }

    [Fact]
    public void A_lock_folder_that_cannot_be_created_is_BS2014()
    {
        string blocker = _temp.WriteFile("blocker", "a file where the folder should be");

        var e = Assert.Throws<BuildSigningException>(() => DirectoryLock.Acquire(Signed, lockDirectory: Path.Combine(blocker, "locks")));

        Assert.Equal("BS2014", e.Code);
    }
}
