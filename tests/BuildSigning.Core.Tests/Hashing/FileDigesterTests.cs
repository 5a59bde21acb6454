using System.Security.Cryptography;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Hashing;

public sealed class FileDigesterTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-digest");

    public void Dispose() => _temp.Dispose();

    /// <summary>Empty, 1 byte, a 3 MiB + odd file (crosses the 1 MiB read buffer), odd sizes around the buffer, and many small files.</summary>
    private List<string> CreateFileSet()
    {
        var random = new Random(12345);
        byte[] Bytes(int n)
        {
            var b = new byte[n];
            random.NextBytes(b);
            return b;
        }

        var files = new List<string>
        {
            _temp.WriteFile("empty.bin", []),
            _temp.WriteFile("one.bin", [0x61]),
            _temp.WriteFile("big.bin", Bytes(3 * 1024 * 1024 + 12345)),
            _temp.WriteFile("exactly-1MiB.bin", Bytes(1024 * 1024)),
            _temp.WriteFile("1MiB-plus-1.bin", Bytes(1024 * 1024 + 1)),
            _temp.WriteFile("name with spaces.txt", "spaces are fine\n"),
        };
        for (int i = 0; i < 200; i++)
        {
            files.Add(_temp.WriteFile($"small/f{i:D3}.bin", Bytes(random.Next(0, 300))));
        }
        return files;
    }

    private static Dictionary<string, string> RunSumTool(string tool, IReadOnlyList<string> files, string workingDirectory)
    {
        var result = ProcessRunner.Run(tool, files, workingDirectory);
        Assert.True(result.ExitCode == 0, result.ToString());
        var sums = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<hex>  <path>" (binary mode prints " *"): the path is everything after the first two separator characters.
            int space = line.IndexOf(' ');
            sums[line[(space + 2)..]] = line[..space];
        }
        Assert.Equal(files.Count, sums.Count);
        return sums;
    }

    [Fact]
    public void Sha256_matches_coreutils_sha256sum_for_every_file()
    {
        var files = CreateFileSet();
        var expected = RunSumTool("sha256sum", files, _temp.Path);

        var digests = FileDigester.DigestFiles(files);

        Assert.Equal(files.Count, digests.Count);
        for (int i = 0; i < files.Count; i++)
        {
            Assert.Equal(files[i], digests[i].Path);
            Assert.Equal(new FileInfo(files[i]).Length, digests[i].Length);
            Assert.Equal(expected[files[i]], digests[i].Sha256Hex);
            Assert.Null(digests[i].Sha1);
            Assert.Null(digests[i].Sha512);
        }
    }

    [Fact]
    public void Known_answer_for_empty_and_abc()
    {
        string empty = _temp.WriteFile("e", []);
        string abc = _temp.WriteFile("abc", "abc"u8.ToArray());

        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", FileDigester.DigestFile(empty).Sha256Hex);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", FileDigester.DigestFile(abc).Sha256Hex);
        Assert.Equal(0, FileDigester.DigestFile(empty).Length);
        Assert.Equal(3, FileDigester.DigestFile(abc).Length);
    }

    [Fact]
    public void Sha1_and_sha512_options_match_coreutils()
    {
        var files = CreateFileSet().Take(8).ToList();
        var sha1 = RunSumTool("sha1sum", files, _temp.Path);
        var sha256 = RunSumTool("sha256sum", files, _temp.Path);
        var sha512 = RunSumTool("sha512sum", files, _temp.Path);

        var digests = FileDigester.DigestFiles(files, DigestAlgorithms.Sha256 | DigestAlgorithms.Sha1 | DigestAlgorithms.Sha512);

        for (int i = 0; i < files.Count; i++)
        {
            Assert.Equal(sha256[files[i]], digests[i].Sha256Hex);
            Assert.Equal(sha1[files[i]], Hex.Lower(digests[i].Sha1!));
            Assert.Equal(sha512[files[i]], Hex.Lower(digests[i].Sha512!));
        }
    }

    [Fact]
    public void Only_the_requested_extra_digests_are_computed()
    {
        string file = _temp.WriteFile("x.txt", "content");

        var withSha1 = FileDigester.DigestFile(file, DigestAlgorithms.Sha256 | DigestAlgorithms.Sha1);
        var withSha512 = FileDigester.DigestFile(file, DigestAlgorithms.Sha256 | DigestAlgorithms.Sha512);

        Assert.Equal(SHA1.HashData("content"u8), withSha1.Sha1);
        Assert.Null(withSha1.Sha512);
        Assert.Equal(SHA512.HashData("content"u8), withSha512.Sha512);
        Assert.Null(withSha512.Sha1);
    }

    [Fact]
    public void Results_keep_the_input_order_whatever_the_file_sizes()
    {
        // Largest-first scheduling must not reorder results.
        var files = new List<string>();
        for (int i = 0; i < 30; i++) files.Add(_temp.WriteFile($"o{i}.bin", new byte[(i % 7) * 10_000 + i]));

        var digests = FileDigester.DigestFiles(files, maxDegreeOfParallelism: 4);

        for (int i = 0; i < files.Count; i++)
        {
            Assert.Equal(files[i], digests[i].Path);
            Assert.Equal(Hex.Lower(SHA256.HashData(File.ReadAllBytes(files[i]))), digests[i].Sha256Hex);
        }
    }

    [Fact]
    public void Empty_list_gives_empty_result() => Assert.Empty(FileDigester.DigestFiles([]));

    [Fact]
    public void Missing_file_gives_BS2001_naming_the_file()
    {
        string missing = _temp.Combine("does-not-exist.dll");

        var e = Assert.Throws<BuildSigningException>(() => FileDigester.DigestFiles([missing]));

        Assert.Equal("BS2001", e.Code);
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void A_directory_instead_of_a_file_gives_BS2022()
    {
        string directory = Directory.CreateDirectory(_temp.Combine("a-directory")).FullName;

        var e = Assert.Throws<BuildSigningException>(() => FileDigester.DigestFile(directory));

        Assert.Equal("BS2022", e.Code);
        Assert.Contains(directory, e.Message);
    }

    [Fact]
    public void Several_unreadable_files_are_all_reported()
    {
        string good = _temp.WriteFile("good.txt", "ok");
        string missing1 = _temp.Combine("missing1");
        string missing2 = _temp.Combine("missing2");

        var e = Assert.Throws<AggregateException>(() => FileDigester.DigestFiles([good, missing1, missing2]));

        Assert.Equal(2, e.InnerExceptions.Count);
        Assert.All(e.InnerExceptions, inner => Assert.Equal("BS2001", Assert.IsType<BuildSigningException>(inner).Code));
        Assert.Contains(e.InnerExceptions, inner => inner.Message.Contains(missing1));
        Assert.Contains(e.InnerExceptions, inner => inner.Message.Contains(missing2));
    }

    // A file swapped for a FIFO or a device link after the folder was scanned must not hang the digest: the open does not
    // block, and what it opened is checked to be a regular file.
    [Theory]
    [InlineData("fifo")]
    [InlineData("device-link")]
    public async Task A_path_that_is_not_a_regular_file_is_BS2022_without_blocking(string kind)
    {
        string path = _temp.Combine("swapped.dll");
        if (kind == "fifo") Assert.Equal(0, ProcessRunner.Run("mkfifo", [path]).ExitCode);
        else File.CreateSymbolicLink(path, "/dev/zero");

        var digest = Task.Run(() => FileDigester.DigestFiles([path]));
        Assert.Same(digest, await Task.WhenAny(digest, Task.Delay(TimeSpan.FromSeconds(30))));

        var e = await Assert.ThrowsAsync<BuildSigningException>(() => digest);
        Assert.Equal("BS2022", e.Code);
        Assert.Contains("swapped.dll", e.Message);
    }
}
