using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Keys;

public sealed class DevelopmentKeyTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-devkey");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Creates_the_key_once_with_mode_0600_and_writes_its_public_key()
    {
        string directory = _temp.Combine("home");

        using var key = DevelopmentKey.GetOrCreate(directory);

        string privatePath = DevelopmentKey.PrivateKeyPath(directory);
        Assert.True(key.IsDevelopmentKey);
        Assert.Equal(SignatureAlgorithm.EcdsaP256Sha256, key.Algorithm);
        Assert.Equal(privatePath, key.Source);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, UnixFile.GetMode(privatePath));
        Assert.Equal(key.Id, VerificationKey.FromFile(DevelopmentKey.PublicKeyPath(directory)).Id);
        Assert.Equal(
            new[] { DevelopmentKey.PublicKeyFileName, DevelopmentKey.PrivateKeyFileName }.Order(StringComparer.Ordinal),
            Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Is_stable_across_calls_and_does_not_rewrite_the_private_key()
    {
        string directory = _temp.Combine("home");
        using var first = DevelopmentKey.GetOrCreate(directory);
        byte[] privateBytes = File.ReadAllBytes(DevelopmentKey.PrivateKeyPath(directory));
        var stamp = DateTime.UtcNow.AddHours(-2);
        File.SetLastWriteTimeUtc(DevelopmentKey.PrivateKeyPath(directory), stamp);
        File.SetLastWriteTimeUtc(DevelopmentKey.PublicKeyPath(directory), stamp);

        using var second = DevelopmentKey.GetOrCreate(directory);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(privateBytes, File.ReadAllBytes(DevelopmentKey.PrivateKeyPath(directory)));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(DevelopmentKey.PrivateKeyPath(directory)));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(DevelopmentKey.PublicKeyPath(directory)));
    }

    [Fact]
    public void Recreates_a_deleted_public_key_from_the_private_key()
    {
        string directory = _temp.Combine("home");
        using var first = DevelopmentKey.GetOrCreate(directory);
        File.Delete(DevelopmentKey.PublicKeyPath(directory));

        using var second = DevelopmentKey.GetOrCreate(directory);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Id, VerificationKey.FromFile(DevelopmentKey.PublicKeyPath(directory)).Id);
    }

    [Fact]
    public void Parallel_callers_all_get_the_same_key()
    {
        string directory = _temp.Combine("home");
        const int callers = 8;
        var ids = new KeyId[callers];
        using var barrier = new Barrier(callers);
        var threads = Enumerable.Range(0, callers).Select(i => new Thread(() =>
        {
            barrier.SignalAndWait();
            using var key = DevelopmentKey.GetOrCreate(directory);
            ids[i] = key.Id;
        })).ToArray();

        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();

        Assert.All(ids, id => Assert.Equal(ids[0], id));
        using var after = DevelopmentKey.GetOrCreate(directory);
        Assert.Equal(ids[0], after.Id);
        Assert.Equal(ids[0], VerificationKey.FromFile(DevelopmentKey.PublicKeyPath(directory)).Id);
        // No temporary files left behind by the losers of the race.
        Assert.Equal(2, Directory.GetFiles(directory).Length);
    }

    [Fact]
    public void Creates_its_folders_readable_by_the_owner_only()
    {
        if (OperatingSystem.IsWindows()) return;
        string parent = _temp.Combine("new-parent");
        string directory = Path.Combine(parent, "home");

        using var key = DevelopmentKey.GetOrCreate(directory);

        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(ownerOnly, UnixFile.GetMode(directory));
        Assert.Equal(ownerOnly, UnixFile.GetMode(parent));
    }

    [Fact]
    public void A_development_key_other_users_can_read_is_BS1016()
    {
        if (OperatingSystem.IsWindows()) return;
        string directory = _temp.Combine("home");
        DevelopmentKey.GetOrCreate(directory).Dispose();
        UnixFile.SetMode(DevelopmentKey.PrivateKeyPath(directory), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var e = Assert.Throws<BuildSigningException>(() => DevelopmentKey.GetOrCreate(directory));
        Assert.Equal("BS1016", e.Code);
        Assert.Contains("chmod 600", e.Message);
    }

    [Fact]
    public void A_development_key_replaced_by_a_link_is_refused_with_BS1017()
    {
        string planted = TestKeys.WritePrivateKeyPem(_temp.Combine("planted", "key.pem"), TestKeyKind.EcdsaP256);
        if (!OperatingSystem.IsWindows()) UnixFile.SetMode(planted, UnixFile.OwnerReadWrite);
        string directory = Directory.CreateDirectory(_temp.Combine("home")).FullName;
        File.CreateSymbolicLink(DevelopmentKey.PrivateKeyPath(directory), planted);

        var e = Assert.Throws<BuildSigningException>(() => DevelopmentKey.GetOrCreate(directory));
        Assert.Equal("BS1017", e.Code);
        Assert.Contains(planted, e.Message);
    }

    [Fact]
    public void A_development_key_folder_other_users_can_write_is_refused_with_BS1018()
    {
        if (OperatingSystem.IsWindows()) return;
        string directory = _temp.Combine("home");
        DevelopmentKey.GetOrCreate(directory).Dispose();
        UnixFile.SetMode(directory, (UnixFileMode)0b111_111_111);

        var e = Assert.Throws<BuildSigningException>(() => DevelopmentKey.GetOrCreate(directory));
        Assert.Equal("BS1018", e.Code);
        Assert.Contains($"chmod 700 '{directory}'", e.Message);
    }

    [Fact]
    public void A_development_key_folder_of_another_user_is_refused_with_BS1018()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return; // only root can give a folder away
        string directory = Directory.CreateDirectory(_temp.Combine("home")).FullName;
        UnixFile.SetMode(directory, (UnixFileMode)0b111_000_000);
        UnixFile.ChangeOwner(directory, "nobody");

        var e = Assert.Throws<BuildSigningException>(() => DevelopmentKey.GetOrCreate(directory));
        Assert.Equal("BS1018", e.Code);
        Assert.Contains("another user", e.Message);
    }

    [Fact]
    public void Unwritable_location_is_BS1012()
    {
        // A regular file where the directory should be: cannot be created, even by root.
        string blocker = _temp.WriteFile("blocker", "I am a file");
        var e = Assert.Throws<BuildSigningException>(() => DevelopmentKey.GetOrCreate(Path.Combine(blocker, "home")));
        Assert.Equal("BS1012", e.Code);
    }

    [Fact]
    public void Default_directory_honours_BUILDSIGNING_HOME()
    {
        string home = _temp.Combine("custom");
        Assert.Equal(Path.GetFullPath(home), DevelopmentKey.DefaultDirectory(v => v == DevelopmentKey.HomeVariable ? home : null));

        string fallback = DevelopmentKey.DefaultDirectory(_ => null);
        Assert.EndsWith("BuildSigning", fallback);
        Assert.True(Path.IsPathRooted(fallback));
    }
}
