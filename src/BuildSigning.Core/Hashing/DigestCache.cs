using System.Globalization;
using System.Text;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Hashing;

/// <summary>
/// Remembers each file's digests under its <see cref="FileStamp"/> (length, modification time, change time, inode, as
/// git's index does), so an unchanged file is not read again, while a same-size edit with its old modification time
/// restored is. A damaged, foreign or older cache file is ignored, never trusted.
/// </summary>
public sealed class DigestCache
{
    private const string Header = "buildsigning-digest-cache v3";

    /// <summary>
    /// A file written this close to the moment the cache was saved may change again within the file system's
    /// timestamp granularity without its stamp changing (git's "racily clean" entries): such entries are re-read.
    /// </summary>
    private static readonly long RacyWindowTicks = TimeSpan.FromSeconds(2).Ticks;
    private Dictionary<string, Entry> _entries;

    // What this run asked for, over all its calls (a signer also checks subfolders signed on their own); saving ends the run.
    private readonly Dictionary<string, Entry> _used = new(StringComparer.Ordinal);

    private DigestCache(Dictionary<string, Entry> entries) => _entries = entries;

    public static DigestCache Empty() => new(new Dictionary<string, Entry>(StringComparer.Ordinal));

    /// <summary>Entries loaded, or remembered by this run.</summary>
    public int Count => _entries.Keys.Union(_used.Keys).Count();

    public static DigestCache Load(string? path)
    {
        var cache = Empty();
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return cache;
        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8);
            string[]? header = reader.ReadLine()?.Split('\t');
            if (header is not [Header, string savedText] || !long.TryParse(savedText, CultureInfo.InvariantCulture, out long savedTicks)) return cache;
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                string[] f = line.Split('\t');
                if (f.Length != 5 || !FileStamp.TryParse(f[0], out var stamp)) return Empty();
                if (stamp.LastWriteTicks >= savedTicks - RacyWindowTicks) continue;
                cache._entries[f[4]] = new Entry(
                    stamp,
                    Convert.FromHexString(f[1]),
                    f[2].Length == 0 ? null : Convert.FromHexString(f[2]),
                    f[3].Length == 0 ? null : Convert.FromHexString(f[3]));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return Empty();
        }
        return cache;
    }

    public void Save(string path)
    {
        var text = new StringBuilder(Header).Append('\t').Append(DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (file, e) in _used.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            // The format is one tab-separated line per file: a path with a tab or line break could forge another file's entry.
            if (file.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0) continue;
            text.Append(e.Stamp.ToString()).Append('\t')
                .Append(Hex.Lower(e.Sha256)).Append('\t')
                .Append(e.Sha1 is null ? "" : Hex.Lower(e.Sha1)).Append('\t')
                .Append(e.Sha512 is null ? "" : Hex.Lower(e.Sha512)).Append('\t')
                .Append(file).Append('\n');
        }
        AtomicFile.WriteIfChanged(path, Encoding.UTF8.GetBytes(text.ToString()));
        _entries = new Dictionary<string, Entry>(_used, StringComparer.Ordinal);
        _used.Clear();
    }

    /// <summary>
    /// Digests the files, reading only those whose stamp (size, mtime, ctime, inode) changed. What is saved is what this run asked
    /// for (over all calls): files no longer asked for are forgotten.
    /// </summary>
    public IReadOnlyList<FileDigest> DigestFiles(IReadOnlyList<string> paths, DigestAlgorithms algorithms, out int filesRead) =>
        DigestFiles(paths, null, algorithms, out filesRead);

    /// <summary>
    /// As above, with the stamps a scan just took (same order; null: take them here), so a file that is not read costs no
    /// further stat. Files that are read are stamped again afterwards, so a change while reading is never cached.
    /// </summary>
    internal IReadOnlyList<FileDigest> DigestFiles(IReadOnlyList<string> paths, IReadOnlyList<FileStamp?>? knownStamps, DigestAlgorithms algorithms, out int filesRead)
    {
        var results = new FileDigest?[paths.Count];
        var stamps = new FileStamp?[paths.Count];
        var toRead = new List<int>();
        bool known = knownStamps is not null && knownStamps.Count == paths.Count;
        for (int i = 0; i < paths.Count; i++)
        {
            stamps[i] = known ? knownStamps![i] : FileStamp.Get(paths[i]);
            if ((_used.TryGetValue(paths[i], out var entry) || _entries.TryGetValue(paths[i], out entry)) && entry.Matches(stamps[i], algorithms))
            {
                results[i] = new FileDigest(paths[i], entry.Stamp.Length, entry.Sha256, entry.Sha1, entry.Sha512);
            }
            else
            {
                toRead.Add(i);
            }
        }

        var fresh = FileDigester.DigestFiles(toRead.Select(i => paths[i]).ToArray(), algorithms);
        for (int k = 0; k < toRead.Count; k++) results[toRead[k]] = fresh[k];

        var read = new bool[paths.Count];
        foreach (int i in toRead) read[i] = true;
        for (int i = 0; i < paths.Count; i++)
        {
            var d = results[i]!;
            // A file rewritten while we hashed it gets a new stamp; caching the old stamp would hide that change. A file not
            // read keeps the entry its stamp matched.
            if (stamps[i] is { } stamp && (!read[i] || FileStamp.Get(paths[i]) == stamp) && stamp.Length == d.Length)
            {
                _used[paths[i]] = new Entry(stamp, d.Sha256, d.Sha1, d.Sha512);
            }
        }
        filesRead = toRead.Count;
        return results!;
    }

    private sealed record Entry(FileStamp Stamp, byte[] Sha256, byte[]? Sha1, byte[]? Sha512)
    {
        public bool Matches(FileStamp? stamp, DigestAlgorithms algorithms) =>
            stamp == Stamp
            && (!algorithms.HasFlag(DigestAlgorithms.Sha1) || Sha1 is not null)
            && (!algorithms.HasFlag(DigestAlgorithms.Sha512) || Sha512 is not null);
    }
}
