using System.Buffers;
using System.Security.Cryptography;
using BuildSigning.Core.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace BuildSigning.Core.Hashing;

/// <summary>
/// Streams files through SHA-256 (and optionally SHA-1 / SHA-512), several files at once.
/// A single hash cannot be split across cores, so throughput comes from hashing different files in parallel;
/// large files are started first so one big file does not finish alone at the end.
/// </summary>
public static class FileDigester
{
    private const int ReadBufferSize = 1 << 20;

    public static IReadOnlyList<FileDigest> DigestFiles(
        IReadOnlyList<string> paths,
        DigestAlgorithms algorithms = DigestAlgorithms.Sha256,
        int maxDegreeOfParallelism = 0,
        CancellationToken cancellationToken = default)
    {
        var results = new FileDigest[paths.Count];
        int[] order = OrderLargestFirst(paths);
        var failures = new System.Collections.Concurrent.ConcurrentBag<BuildSigningException>();
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        };

        Parallel.ForEach(order, options, () => ArrayPool<byte>.Shared.Rent(ReadBufferSize), (index, _, buffer) =>
        {
            try
            {
                results[index] = DigestFile(paths[index], algorithms, buffer);
            }
            catch (BuildSigningException e)
            {
                failures.Add(e);
            }
            return buffer;
        }, buffer => ArrayPool<byte>.Shared.Return(buffer));

        if (!failures.IsEmpty)
        {
            throw failures.Count == 1 ? failures.First() : new AggregateException(failures.OrderBy(f => f.Message, StringComparer.Ordinal));
        }
        return results;
    }

    public static FileDigest DigestFile(string path, DigestAlgorithms algorithms = DigestAlgorithms.Sha256)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        try
        {
            return DigestFile(path, algorithms, buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static FileDigest DigestFile(string path, DigestAlgorithms algorithms, byte[] buffer)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha1 = algorithms.HasFlag(DigestAlgorithms.Sha1) ? IncrementalHash.CreateHash(HashAlgorithmName.SHA1) : null;
        using var sha512 = algorithms.HasFlag(DigestAlgorithms.Sha512) ? IncrementalHash.CreateHash(HashAlgorithmName.SHA512) : null;
        long length = 0;
        try
        {
            using SafeFileHandle handle = IO.FileKind.OpenRegularFileForReading(path);
            int read;
            while ((read = RandomAccess.Read(handle, buffer, length)) > 0)
            {
                var chunk = new ReadOnlySpan<byte>(buffer, 0, read);
                sha256.AppendData(chunk);
                sha1?.AppendData(chunk);
                sha512?.AppendData(chunk);
                length += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw Errors.OutputFileNotRegular(path, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.OutputFileUnreadable(path, e);
        }
        return new FileDigest(path, length, sha256.GetHashAndReset(), sha1?.GetHashAndReset(), sha512?.GetHashAndReset());
    }

    private static int[] OrderLargestFirst(IReadOnlyList<string> paths)
    {
        var lengths = new long[paths.Count];
        for (int i = 0; i < paths.Count; i++)
        {
            try { lengths[i] = new FileInfo(paths[i]).Length; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { lengths[i] = 0; }
        }
        int[] order = Enumerable.Range(0, paths.Count).ToArray();
        Array.Sort(order, (a, b) => lengths[b].CompareTo(lengths[a]));
        return order;
    }
}
