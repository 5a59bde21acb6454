using System.Globalization;
using System.Text;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Trust;

/// <summary>
/// Remembers, across builds, each .nupkg's SHA-512 under its <see cref="FileStamp"/> and each allowed verdict under
/// (package id, version, .nupkg SHA-512, policy hash). A changed .nupkg gets a new stamp, so it is hashed again and, with
/// a new SHA-512, verified again. Only allowed verdicts are kept (denials are re-checked, with fresh messages, every time),
/// and each only until it expires by itself.
/// The file ends with an HMAC-SHA256 of everything before it, under the per-user <see cref="TrustCacheKey"/>. The cache
/// lives in obj/, which a repository can carry (a force-added file in a pull request), and every field of an entry is
/// computable offline; the MAC is what makes an entry the verifier's own. A file whose MAC does not verify (forged,
/// edited, another user's or machine's), a damaged, foreign or older file is ignored entirely, never trusted, never an
/// error. The key rather than a per-user cache folder: the cache stays per project, beside what it describes (removed
/// by dotnet clean, no contention between projects building in parallel), and the only per-user state is one small file.
/// </summary>
public sealed class VerdictCache
{
    private const string Header = "buildsigning-trust-cache v2";
    private const string MacPrefix = "M\t";
    private readonly object _gate = new();
    private readonly TrustCacheKey? _key;
    private readonly Dictionary<string, (FileStamp Stamp, string Sha512)> _hashes;
    private readonly Dictionary<string, CachedVerdict> _verdicts;
    private readonly Dictionary<string, (FileStamp Stamp, string Sha512)> _usedHashes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CachedVerdict> _usedVerdicts = new(StringComparer.Ordinal);

    private VerdictCache(TrustCacheKey? key)
    {
        _key = key;
        _hashes = new(StringComparer.Ordinal);
        _verdicts = new(StringComparer.Ordinal);
    }

    /// <summary>A cached allowed verdict.</summary>
    public sealed record CachedVerdict(TrustVerdict Verdict, string TrustedBy, DateTimeOffset? ValidUntil);

    /// <summary>Identifies the verifier: a cache written by another NuGet.Packaging (other trust bundles, other checks) is not used.</summary>
    internal static string EnvironmentKey { get; } = typeof(NuGet.Packaging.Signing.PrimarySignature).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>An empty cache; with a key it can be saved (authenticated), without one it is never written.</summary>
    public static VerdictCache Empty(TrustCacheKey? key = null) => new(key);

    /// <summary>The cache at <paramref name="path"/> when its MAC verifies with <paramref name="key"/>, else an empty one (with that key).</summary>
    public static VerdictCache Load(string? path, TrustCacheKey? key)
    {
        var cache = Empty(key);
        if (key is null || string.IsNullOrEmpty(path) || !File.Exists(path)) return cache;
        try
        {
            if (Authenticated(File.ReadAllBytes(path), key) is not { } text) return cache;
            using var reader = new StringReader(text);
            if (reader.ReadLine() != $"{Header} {EnvironmentKey}") return cache;
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                string[] f = line.Split('\t');
                if (f.Length == 4 && f[0] == "F" && FileStamp.TryParse(f[1], out var stamp))
                {
                    cache._hashes[f[3]] = (stamp, f[2]);
                }
                else if (f.Length == 8 && f[0] == "V" && Enum.TryParse<TrustVerdict>(f[5], out var verdict))
                {
                    DateTimeOffset? until = f[6] == "-" ? null : new DateTimeOffset(long.Parse(f[6], CultureInfo.InvariantCulture), TimeSpan.Zero);
                    cache._verdicts[Key(f[1], f[2], f[3], f[4])] = new CachedVerdict(verdict, f[7], until);
                }
                else
                {
                    return Empty(key);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException or ArgumentException)
        {
            return Empty(key);
        }
        return cache;
    }

    /// <summary>The text before the final MAC line when that MAC verifies, else null.</summary>
    private static string? Authenticated(byte[] content, TrustCacheKey key)
    {
        if (content.Length == 0 || content[^1] != (byte)'\n') return null;
        int start = content.AsSpan(0, content.Length - 1).LastIndexOf((byte)'\n') + 1;
        var macLine = content.AsSpan(start, content.Length - 1 - start);
        if (!macLine.StartsWith(Encoding.ASCII.GetBytes(MacPrefix))) return null;
        string mac = Encoding.ASCII.GetString(macLine[MacPrefix.Length..]);
        var body = content.AsSpan(0, start);
        return key.Verifies(body, mac) ? Encoding.UTF8.GetString(body) : null;
    }

    /// <summary>
    /// Writes what this run used (entries for packages no longer restored are dropped), with its MAC, atomically, only
    /// when it changed. Without a key nothing is written: an unauthenticated cache would never be read.
    /// </summary>
    public void Save(string path)
    {
        if (_key is null) return;
        var text = new StringBuilder(Header).Append(' ').Append(EnvironmentKey).Append('\n');
        lock (_gate)
        {
            foreach (var (file, (stamp, sha512)) in _usedHashes.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (file.Contains('\t') || file.Contains('\n')) continue;
                text.Append("F\t").Append(stamp).Append('\t').Append(sha512).Append('\t').Append(file).Append('\n');
            }
            foreach (var (key, v) in _usedVerdicts.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                text.Append("V\t").Append(key).Append('\t').Append(v.Verdict).Append('\t')
                    .Append(v.ValidUntil is { } until ? until.UtcTicks.ToString(CultureInfo.InvariantCulture) : "-").Append('\t')
                    .Append(v.TrustedBy.Replace('\t', ' ').Replace('\n', ' ')).Append('\n');
            }
        }
        byte[] body = Encoding.UTF8.GetBytes(text.ToString());
        byte[] macLine = Encoding.ASCII.GetBytes(MacPrefix + _key.Mac(body) + "\n");
        AtomicFile.WriteIfChanged(path, [.. body, .. macLine]);
    }

    /// <summary>The SHA-512 (lowercase hex) recorded for the file under this exact stamp.</summary>
    internal bool TryGetSha512(string path, FileStamp stamp, out string sha512)
    {
        lock (_gate)
        {
            if (_hashes.TryGetValue(path, out var entry) && entry.Stamp == stamp && (stamp.ChangeTicks != 0 || stamp.LastWriteTicks != 0))
            {
                _usedHashes[path] = entry;
                sha512 = entry.Sha512;
                return true;
            }
        }
        sha512 = "";
        return false;
    }

    internal void SetSha512(string path, FileStamp stamp, string sha512)
    {
        lock (_gate) _usedHashes[path] = _hashes[path] = (stamp, sha512);
    }

    public bool TryGetVerdict(string id, string version, string sha512, string policyHash, DateTimeOffset now, out CachedVerdict verdict)
    {
        string key = Key(id, version, sha512, policyHash);
        lock (_gate)
        {
            if (_verdicts.TryGetValue(key, out verdict!) && (verdict.ValidUntil is null || verdict.ValidUntil > now))
            {
                _usedVerdicts[key] = verdict;
                return true;
            }
        }
        verdict = null!;
        return false;
    }

    public void SetVerdict(string id, string version, string sha512, string policyHash, CachedVerdict verdict)
    {
        string key = Key(id, version, sha512, policyHash);
        lock (_gate) _usedVerdicts[key] = _verdicts[key] = verdict;
    }

    private static string Key(string id, string version, string sha512, string policyHash) =>
        $"{id.ToLowerInvariant()}\t{version.ToLowerInvariant()}\t{sha512}\t{policyHash}";
}
