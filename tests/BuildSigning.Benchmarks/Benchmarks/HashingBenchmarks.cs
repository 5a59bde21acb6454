using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BuildSigning.Core.Hashing;

namespace BuildSigning.Benchmarks.Benchmarks;

/// <summary>
/// Hashing an output tree, as signing does: FileDigester.DigestFiles on all cores and on one, against the same number of
/// bytes hashed from memory on all cores (SHA-256 compute alone, no file system: the in-process limit).
/// The tree is $BUILDSIGNING_BENCH_TREE (run-benchmarks.sh passes its 1 GiB corpus) or a 256 MiB tree generated here.
/// Files are read from the page cache: the first (warm-up) pass loads them.
/// </summary>
public class HashingBenchmarks
{
    private string[] _paths = [];
    private long _bytes;
    private string? _scratch;
    private byte[] _block = [];

    [GlobalSetup]
    public void Setup()
    {
        string? tree = Environment.GetEnvironmentVariable("BUILDSIGNING_BENCH_TREE");
        if (string.IsNullOrEmpty(tree))
        {
            _scratch = BenchmarkConfig.ScratchDirectory("tree");
            tree = Path.Combine(_scratch, "tree");
            TreeGenerator.Generate(tree, 256L << 20, 500, seed: 1);
        }
        _paths = Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        _bytes = _paths.Sum(p => new FileInfo(p).Length);
        _block = new byte[1 << 20];
        new Random(3).NextBytes(_block);
        Console.WriteLine($"// hashing corpus: {_paths.Length} files, {_bytes} bytes, {tree}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_scratch is not null) Directory.Delete(_scratch, recursive: true);
    }

    /// <summary>SHA-256 of the corpus' byte count from one 1 MiB block in memory, one block per work item on every core.</summary>
    [Benchmark(Baseline = true, Description = "SHA-256 compute only, all cores (in memory)")]
    public int ComputeOnlyAllCores()
    {
        long blocks = (_bytes + _block.Length - 1) / _block.Length;
        int checksum = 0;
        Parallel.For(0L, blocks, () => 0, (_, _, local) => local + SHA256.HashData(_block)[0], local => Interlocked.Add(ref checksum, local));
        return checksum;
    }

    [Benchmark(Description = "FileDigester.DigestFiles, all cores")]
    public int DigestFilesAllCores() => FileDigester.DigestFiles(_paths).Count;

    [Benchmark(Description = "FileDigester.DigestFiles, one core")]
    public int DigestFilesOneCore() => FileDigester.DigestFiles(_paths, maxDegreeOfParallelism: 1).Count;
}
