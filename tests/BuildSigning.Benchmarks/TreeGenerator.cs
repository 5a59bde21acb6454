namespace BuildSigning.Benchmarks;

/// <summary>
/// The hashing corpus: a folder tree shaped like a large publish folder. Sizes are mixed the way build output is
/// (60% small files of 1-32 KiB, 30% of 32 KiB-1 MiB, 10% large ones that carry most of the bytes), spread over
/// nested folders, with pseudo-random content from a fixed seed: the same arguments always write the same bytes.
/// </summary>
public static class TreeGenerator
{
    public sealed record Tree(int Files, long Bytes, long Largest, long Smallest);

    public static Tree Generate(string root, long totalBytes, int fileCount, int seed)
    {
        if (fileCount < 10) throw new ArgumentException("--files must be at least 10");
        long[] sizes = Sizes(totalBytes, fileCount, new Random(seed));
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);

        var content = new Random(seed ^ 0x5EED);
        byte[] buffer = new byte[1 << 20];
        for (int i = 0; i < sizes.Length; i++)
        {
            string path = Path.Combine(root, $"d{i % 8}", $"s{i % 5}", $"f{i:D5}.bin");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            long left = sizes[i];
            while (left > 0)
            {
                int chunk = (int)Math.Min(left, buffer.Length);
                content.NextBytes(buffer.AsSpan(0, chunk));
                stream.Write(buffer, 0, chunk);
                left -= chunk;
            }
        }
        return new Tree(sizes.Length, sizes.Sum(), sizes.Max(), sizes.Min());
    }

    internal static long[] Sizes(long totalBytes, int fileCount, Random random)
    {
        int large = Math.Max(1, fileCount / 10);
        int medium = fileCount * 3 / 10;
        int small = fileCount - large - medium;
        var sizes = new long[fileCount];
        long fixedBytes = 0;
        for (int i = 0; i < small + medium; i++)
        {
            (double low, double high) = i < small ? (1024.0, 32 * 1024.0) : (32 * 1024.0, 1024 * 1024.0);
            sizes[i] = LogUniform(random, low, high);
            fixedBytes += sizes[i];
        }
        long remaining = totalBytes - fixedBytes;
        if (remaining < large) throw new ArgumentException("--bytes is too small for that many files");
        // Large files: log-uniform weights over 1-32 MiB, scaled so the tree adds up to exactly totalBytes.
        var weights = Enumerable.Range(0, large).Select(_ => (double)LogUniform(random, 1 << 20, 32 << 20)).ToArray();
        double scale = remaining / weights.Sum();
        long assigned = 0;
        for (int i = 0; i < large; i++)
        {
            long size = i == large - 1 ? remaining - assigned : Math.Max(1, (long)(weights[i] * scale));
            sizes[small + medium + i] = size;
            assigned += size;
        }
        // Interleave so that folders hold a mix of sizes, as output folders do.
        random.Shuffle(sizes);
        return sizes;
    }

    private static long LogUniform(Random random, double low, double high) =>
        (long)Math.Exp(Math.Log(low) + random.NextDouble() * (Math.Log(high) - Math.Log(low)));
}
