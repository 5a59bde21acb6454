using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Trust;

public sealed class TrustCacheKeyTests : IDisposable
{
    private static readonly byte[] Content = "buildsigning-trust-cache v2\n"u8.ToArray();
    private readonly TempDirectory _temp = new("bs-cachekey");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_key_is_created_once_private_to_the_user_and_found_again()
    {
        string home = _temp.Combine("home");
        var key = TrustCacheKey.GetOrCreate(home)!;
        string path = TrustCacheKey.PathIn(home);
        Assert.Equal(UnixFile.OwnerReadWrite, UnixFile.GetMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, UnixFile.GetMode(home));
        byte[] written = File.ReadAllBytes(path);

        var again = TrustCacheKey.GetOrCreate(home)!;
        Assert.Equal(key.Mac(Content), again.Mac(Content));
        Assert.True(again.Verifies(Content, key.Mac(Content)));
        Assert.Equal(written, File.ReadAllBytes(path));
        // Another user's (or folder's) key is another key.
        Assert.False(TrustCacheKey.GetOrCreate(_temp.Combine("other"))!.Verifies(Content, key.Mac(Content)));
    }

    [Fact]
    public void Parallel_creators_all_end_up_with_the_same_key()
    {
        string home = _temp.Combine("home");
        var macs = new string[16];
        Parallel.For(0, macs.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => macs[i] = TrustCacheKey.GetOrCreate(home)!.Mac(Content));
        Assert.Single(macs.Distinct());
        Assert.Single(Directory.GetFiles(home));
    }

    [Fact]
    public void A_damaged_key_or_one_others_can_read_is_replaced()
    {
        string home = _temp.Combine("home");
        string mac = TrustCacheKey.GetOrCreate(home)!.Mac(Content);
        string path = TrustCacheKey.PathIn(home);

        UnixFile.SetMode(path, UnixFile.OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        string replaced = TrustCacheKey.GetOrCreate(home)!.Mac(Content);
        Assert.NotEqual(mac, replaced);
        Assert.Equal(UnixFile.OwnerReadWrite, UnixFile.GetMode(path));

        File.WriteAllText(path, "not a key\n");
        Assert.NotEqual(replaced, TrustCacheKey.GetOrCreate(home)!.Mac(Content));
    }

    [Fact]
    public void No_key_where_none_can_be_created_and_no_error()
    {
        string file = _temp.WriteFile("a-file", "not a folder");
        Assert.Null(TrustCacheKey.GetOrCreate(Path.Combine(file, "home")));
    }

    [Fact]
    public void A_MAC_verifies_only_for_the_same_content()
    {
        var key = TrustCacheKey.GetOrCreate(_temp.Combine("home"))!;
        string mac = key.Mac(Content);
        Assert.Equal(64, mac.Length);
        Assert.False(key.Verifies([.. Content, (byte)'x'], mac));
        Assert.False(key.Verifies(Content, mac.AsSpan(0, mac.Length - 2)));
        Assert.False(key.Verifies(Content, "not hex" + mac[7..]));
    }
}
