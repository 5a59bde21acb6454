using BuildSigning.Core.IO;
using System.Text;
using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Trust;

/// <summary>The verdict cache trusts only what this user's verifier wrote: a file whose MAC does not verify is ignored whole.</summary>
public sealed class VerdictCacheTests : IDisposable
{
    private const string Sha512 = "ab12";
    private const string PolicyHash = "policy";
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _temp = new("bs-verdictcache");

    public void Dispose() => _temp.Dispose();

    private TrustCacheKey Key(string name = "home") => TrustCacheKey.GetOrCreate(_temp.Combine(name))!;

    /// <summary>A cache written by the verifier: one hashed .nupkg and one allowed verdict for it.</summary>
    private (string CachePath, string Nupkg) WriteCache(TrustCacheKey key)
    {
        string nupkg = _temp.WriteFile("packages/contoso.core/1.0.0/contoso.core.1.0.0.nupkg", "package bytes");
        var cache = VerdictCache.Empty(key);
        cache.SetSha512(nupkg, FileStamp.Get(nupkg)!.Value, Sha512);
        cache.SetVerdict("Contoso.Core", "1.0.0", Sha512, PolicyHash, new VerdictCache.CachedVerdict(TrustVerdict.Allowed, "signer 'contoso' (author signature)", null));
        string path = _temp.Combine("obj", "buildsigning.trust.cache");
        cache.Save(path);
        return (path, nupkg);
    }

    private static bool Hits(VerdictCache cache, string nupkg) =>
        cache.TryGetSha512(nupkg, FileStamp.Get(nupkg)!.Value, out _) || cache.TryGetVerdict("Contoso.Core", "1.0.0", Sha512, PolicyHash, Now, out _);

    [Fact]
    public void A_cache_written_with_the_key_is_read_back_with_it()
    {
        var key = Key();
        var (path, nupkg) = WriteCache(key);

        var cache = VerdictCache.Load(path, key);
        Assert.True(cache.TryGetSha512(nupkg, FileStamp.Get(nupkg)!.Value, out string sha512));
        Assert.Equal(Sha512, sha512);
        Assert.True(cache.TryGetVerdict("contoso.core", "1.0.0", Sha512, PolicyHash, Now, out var verdict));
        Assert.Equal(TrustVerdict.Allowed, verdict.Verdict);
        Assert.Equal("signer 'contoso' (author signature)", verdict.TrustedBy);
    }

    [Fact]
    public void A_forged_verdict_line_makes_the_whole_cache_ignored()
    {
        var key = Key();
        var (path, nupkg) = WriteCache(key);
        string[] lines = File.ReadAllLines(path);
        string forged = $"V\tevil.lib\t1.0.0\t{new string('c', 128)}\t{PolicyHash}\tAllowed\t-\tsigner 'nuget.org' (repository signature)";
        File.WriteAllLines(path, [lines[0], forged, .. lines[1..]]);

        var cache = VerdictCache.Load(path, key);
        Assert.False(cache.TryGetVerdict("evil.lib", "1.0.0", new string('c', 128), PolicyHash, Now, out _));
        Assert.False(Hits(cache, nupkg));
    }

    [Theory]
    [InlineData("F\t", "F\t")]
    [InlineData("\tAllowed\t", "\tAllowedByException\t")]
    [InlineData("\tcontoso.core\t", "\tcontoso.core2\t")]
    public void Any_changed_entry_makes_the_whole_cache_ignored(string from, string to)
    {
        var key = Key();
        var (path, nupkg) = WriteCache(key);
        string text = File.ReadAllText(path);
        int at = text.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, text);
        // "F\t" to itself: the stamp's length field changes instead (a hash line pointing a file at another SHA-512).
        string changed = from == to
            ? text[..(at + 2)] + "9" + text[(at + 2)..]
            : text[..at] + to + text[(at + from.Length)..];
        File.WriteAllText(path, changed);

        Assert.False(Hits(VerdictCache.Load(path, key), nupkg));
        Assert.True(Hits(VerdictCache.Load(WriteCache(key).CachePath, key), nupkg), "the unchanged file is read");
    }

    [Fact]
    public void A_cache_authenticated_with_another_key_or_not_at_all_is_ignored()
    {
        var (path, nupkg) = WriteCache(Key("other-user"));
        Assert.False(Hits(VerdictCache.Load(path, Key()), nupkg));

        // The MAC line removed, or a file in the format before MACs.
        string[] lines = File.ReadAllLines(path);
        File.WriteAllLines(path, lines[..^1]);
        Assert.False(Hits(VerdictCache.Load(path, Key("other-user")), nupkg));
        File.WriteAllLines(path, [lines[0].Replace(" v2 ", " v1 ", StringComparison.Ordinal), .. lines[1..^1]]);
        Assert.False(Hits(VerdictCache.Load(path, Key("other-user")), nupkg));
    }

    [Fact]
    public void Without_a_key_nothing_is_written_or_trusted()
    {
        var (path, nupkg) = WriteCache(Key());
        Assert.False(Hits(VerdictCache.Load(path, null), nupkg));

        string other = _temp.Combine("obj", "other.cache");
        var cache = VerdictCache.Empty();
        cache.SetVerdict("Contoso.Core", "1.0.0", Sha512, PolicyHash, new VerdictCache.CachedVerdict(TrustVerdict.Allowed, "x", null));
        cache.Save(other);
        Assert.False(File.Exists(other));
    }

    [Fact]
    public void Damaged_files_are_ignored_without_an_error()
    {
        var key = Key();
        string path = _temp.WriteFile("obj/damaged.cache", "");
        foreach (byte[] content in new[] { [], "\n"u8.ToArray(), "M\t\n"u8.ToArray(), Encoding.UTF8.GetBytes("M\tzz\n"), new byte[] { 0xFF, 0x0A, 0x4D, 0x09, 0x0A } })
        {
            File.WriteAllBytes(path, content);
            Assert.False(VerdictCache.Load(path, key).TryGetVerdict("contoso.core", "1.0.0", Sha512, PolicyHash, Now, out _));
        }
    }
}
