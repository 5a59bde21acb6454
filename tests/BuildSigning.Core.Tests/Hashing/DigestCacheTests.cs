using System.Security.Cryptography;
using System.Text;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.IO;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Hashing;

public sealed class DigestCacheTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-cache");

    public void Dispose() => _temp.Dispose();

    private string CacheFile => _temp.Combine("obj", "build.digests");

    /// <summary>Files as a build left them a while ago: older than the racy window of a cache saved now.</summary>
    private string[] CreateFiles(int count) =>
        Enumerable.Range(0, count).Select(i => Aged(_temp.WriteFile($"out/f{i}.txt", $"content {i}"))).ToArray();

    private static string Aged(string path)
    {
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        return path;
    }

    private static string Sha256(string path) => Hex.Lower(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void First_call_reads_every_file_and_second_call_reads_none()
    {
        var files = CreateFiles(5);
        var cache = DigestCache.Load(CacheFile);
        Assert.Equal(0, cache.Count);

        var first = cache.DigestFiles(files, DigestAlgorithms.Sha256, out int firstRead);
        var second = cache.DigestFiles(files, DigestAlgorithms.Sha256, out int secondRead);

        Assert.Equal(5, firstRead);
        Assert.Equal(0, secondRead);
        for (int i = 0; i < files.Length; i++)
        {
            Assert.Equal(Sha256(files[i]), first[i].Sha256Hex);
            Assert.Equal(first[i].Sha256Hex, second[i].Sha256Hex);
            Assert.Equal(first[i].Length, second[i].Length);
            Assert.Equal(files[i], second[i].Path);
        }
    }

    [Fact]
    public void Saved_cache_is_used_by_the_next_process()
    {
        var files = CreateFiles(4);
        var cache = DigestCache.Load(CacheFile);
        cache.DigestFiles(files, DigestAlgorithms.Sha256, out _);
        cache.Save(CacheFile);

        var reloaded = DigestCache.Load(CacheFile);
        var digests = reloaded.DigestFiles(files, DigestAlgorithms.Sha256, out int read);

        Assert.Equal(4, reloaded.Count);
        Assert.Equal(0, read);
        Assert.Equal(files.Select(Sha256), digests.Select(d => d.Sha256Hex));
    }

    [Fact]
    public void Changed_file_is_read_again_and_gets_its_new_digest()
    {
        var files = CreateFiles(3);
        var cache = DigestCache.Load(CacheFile);
        cache.DigestFiles(files, DigestAlgorithms.Sha256, out _);
        cache.Save(CacheFile);

        File.WriteAllText(files[1], "changed content, different length");
        File.SetLastWriteTimeUtc(files[1], DateTime.UtcNow.AddMinutes(1));
        var reloaded = DigestCache.Load(CacheFile);
        var digests = reloaded.DigestFiles(files, DigestAlgorithms.Sha256, out int read);

        Assert.Equal(1, read);
        Assert.Equal(Sha256(files[1]), digests[1].Sha256Hex);
        Assert.Equal(Hex.Lower(SHA256.HashData("changed content, different length"u8)), digests[1].Sha256Hex);
    }

    [Fact]
    public void Same_length_rewrite_with_new_mtime_is_detected()
    {
        var files = CreateFiles(2);
        var cache = DigestCache.Empty();
        cache.DigestFiles(files, DigestAlgorithms.Sha256, out _);

        File.WriteAllText(files[0], "CONTENT 0"); // same length as "content 0"
        File.SetLastWriteTimeUtc(files[0], File.GetLastWriteTimeUtc(files[0]).AddSeconds(2));
        var digests = cache.DigestFiles(files, DigestAlgorithms.Sha256, out int read);

        Assert.Equal(1, read);
        Assert.Equal(Hex.Lower(SHA256.HashData("CONTENT 0"u8)), digests[0].Sha256Hex);
    }

    [Fact]
    public void Same_length_edit_in_place_with_its_old_mtime_restored_is_read_again()
    {
        var files = CreateFiles(2);
        var stamp = File.GetLastWriteTimeUtc(files[0]);
        var cache = DigestCache.Load(CacheFile);
        cache.DigestFiles(files, DigestAlgorithms.Sha256, out _);
        cache.Save(CacheFile);

        Thread.Sleep(20);
        using (var stream = new FileStream(files[0], FileMode.Open, FileAccess.Write))
        {
            stream.Write("CONTENT 0"u8); // same length as "content 0", same file (inode)
        }
        File.SetLastWriteTimeUtc(files[0], stamp);
        var digests = DigestCache.Load(CacheFile).DigestFiles(files, DigestAlgorithms.Sha256, out int read);

        Assert.Equal(1, read);
        Assert.Equal(Hex.Lower(SHA256.HashData("CONTENT 0"u8)), digests[0].Sha256Hex);
        Assert.Equal(Sha256(files[1]), digests[1].Sha256Hex);
    }

    [Fact]
    public void Same_mtime_but_different_length_is_detected()
    {
        var files = CreateFiles(1);
        var stamp = File.GetLastWriteTimeUtc(files[0]);
        var cache = DigestCache.Empty();
        cache.DigestFiles(files, DigestAlgorithms.Sha256, out _);

        File.WriteAllText(files[0], "longer content than before");
        File.SetLastWriteTimeUtc(files[0], stamp);
        var digests = cache.DigestFiles(files, DigestAlgorithms.Sha256, out int read);

        Assert.Equal(1, read);
        Assert.Equal(Sha256(files[0]), digests[0].Sha256Hex);
    }

    [Theory]
    [InlineData("not a cache at all")]
    [InlineData("buildsigning-digest-cache v1\nthis\tline\thas\tthe wrong field count\n")]
    [InlineData("buildsigning-digest-cache v1\nabc\t1\t00\t\t\t/x\n")]
    [InlineData("buildsigning-digest-cache v1\n1\t1\tzz-not-hex\t\t\t/x\n")]
    [InlineData("buildsigning-digest-cache v3\n")]
    [InlineData("")]
    public void Corrupt_cache_file_is_ignored(string content)
    {
        var files = CreateFiles(3);
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        File.WriteAllText(CacheFile, content);

        var cache = DigestCache.Load(CacheFile);
        var digests = cache.DigestFiles(files, DigestAlgorithms.Sha256, out int read);

        Assert.Equal(3, read);
        Assert.Equal(files.Select(Sha256), digests.Select(d => d.Sha256Hex));
    }

    [Fact]
    public void A_cache_written_in_the_previous_format_is_ignored()
    {
        // Version 2 keyed entries by length and mtime only: an entry that still matches both must not be trusted.
        string file = CreateFiles(1)[0];
        var info = new FileInfo(file);
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        File.WriteAllText(CacheFile, $"buildsigning-digest-cache v2\t{DateTime.UtcNow.AddHours(1).Ticks}\n"
            + $"{info.Length}\t{info.LastWriteTimeUtc.Ticks}\t{new string('a', 64)}\t\t\t{file}\n");

        var digests = DigestCache.Load(CacheFile).DigestFiles([file], DigestAlgorithms.Sha256, out int read);

        Assert.Equal(1, read);
        Assert.Equal(Sha256(file), digests[0].Sha256Hex);
    }

    [Fact]
    public void A_truncated_cache_file_is_dropped_entirely()
    {
        var files = CreateFiles(2);
        var cache = DigestCache.Empty();
        cache.DigestFiles(files, DigestAlgorithms.Sha256, out _);
        cache.Save(CacheFile);

        // Cut the last line short (as a crash mid-write of a non-atomic writer would): drop the cache, do not half-trust it.
        string text = File.ReadAllText(CacheFile);
        int lastLine = text.LastIndexOf('\n', text.Length - 2) + 1;
        File.WriteAllText(CacheFile, text[..(text.IndexOf('\t', lastLine) + 5)]);
        var reloaded = DigestCache.Load(CacheFile);

        Assert.Equal(0, reloaded.Count);
        reloaded.DigestFiles(files, DigestAlgorithms.Sha256, out int read);
        Assert.Equal(2, read);
    }

    [Fact]
    public void Removed_files_are_forgotten()
    {
        var files = CreateFiles(4);
        var cache = DigestCache.Load(CacheFile);
        cache.DigestFiles(files, DigestAlgorithms.Sha256, out _);
        cache.Save(CacheFile);
        Assert.Equal(4, cache.Count);

        File.Delete(files[3]);
        cache.DigestFiles(files[..3], DigestAlgorithms.Sha256, out int read);
        cache.Save(CacheFile);

        Assert.Equal(0, read);
        Assert.Equal(3, cache.Count);
        Assert.Equal(3, DigestCache.Load(CacheFile).Count);
        Assert.DoesNotContain(files[3], File.ReadAllText(CacheFile));
    }

    [Fact]
    public void Asking_for_more_algorithms_than_cached_reads_the_file_again()
    {
        var files = CreateFiles(2);
        var cache = DigestCache.Empty();
        cache.DigestFiles(files, DigestAlgorithms.Sha256, out _);

        var digests = cache.DigestFiles(files, DigestAlgorithms.Sha256 | DigestAlgorithms.Sha512, out int read);
        cache.DigestFiles(files, DigestAlgorithms.Sha256 | DigestAlgorithms.Sha512, out int readAgain);

        Assert.Equal(2, read);
        Assert.Equal(0, readAgain);
        Assert.Equal(SHA512.HashData(File.ReadAllBytes(files[0])), digests[0].Sha512);
    }

    [Fact]
    public void Sha1_and_sha512_survive_save_and_load()
    {
        var files = CreateFiles(2);
        var all = DigestAlgorithms.Sha256 | DigestAlgorithms.Sha1 | DigestAlgorithms.Sha512;
        var cache = DigestCache.Empty();
        cache.DigestFiles(files, all, out _);
        cache.Save(CacheFile);

        var digests = DigestCache.Load(CacheFile).DigestFiles(files, all, out int read);

        Assert.Equal(0, read);
        Assert.Equal(SHA1.HashData(File.ReadAllBytes(files[1])), digests[1].Sha1);
        Assert.Equal(SHA512.HashData(File.ReadAllBytes(files[1])), digests[1].Sha512);
    }

    [Fact]
    public void A_file_written_just_before_the_cache_was_saved_is_read_again()
    {
        // Within the file system's timestamp granularity a same-length rewrite can keep the stamp: don't trust it yet.
        string fresh = _temp.WriteFile("out/fresh.dll", "just built");
        string old = CreateFiles(1)[0];
        var cache = DigestCache.Empty();
        cache.DigestFiles([fresh, old], DigestAlgorithms.Sha256, out _);
        cache.Save(CacheFile);

        DigestCache.Load(CacheFile).DigestFiles([fresh, old], DigestAlgorithms.Sha256, out int read);

        Assert.Equal(1, read);
    }

    [Fact]
    public void Missing_cache_path_gives_an_empty_cache()
    {
        Assert.Equal(0, DigestCache.Load(null).Count);
        Assert.Equal(0, DigestCache.Load("").Count);
        Assert.Equal(0, DigestCache.Load(_temp.Combine("nope")).Count);
    }

    [Fact]
    public void A_file_name_with_a_newline_cannot_inject_a_cache_entry_for_another_file()
    {
        // The victim's real content and stamp.
        string victim = _temp.WriteFile("out/victim.dll", "real content");
        var stamp = FileStamp.Get(victim)!.Value;
        string fakeDigest = new('a', 64);

        // A directory whose name continues the cache line with a forged entry; the file below it completes the victim's path.
        string forgedLine = $"{stamp}\t{fakeDigest}\t\t\t";
        string injector = _temp.WriteFile(Path.Combine("out", "z\n" + forgedLine) + victim, "x");

        var cache = DigestCache.Empty();
        cache.DigestFiles([victim, injector], DigestAlgorithms.Sha256, out _);
        cache.Save(CacheFile);

        var digests = DigestCache.Load(CacheFile).DigestFiles([victim, injector], DigestAlgorithms.Sha256, out _);

        Assert.Equal(Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes("real content"))), digests[0].Sha256Hex);
        Assert.Equal(Hex.Lower(SHA256.HashData("x"u8)), digests[1].Sha256Hex);
    }
}
