using System.Globalization;
using System.Text;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Trust;

/// <summary>
/// Remembers, across builds, each .nupkg's SHA-512 under its <see cref="FileStamp"/> and each allowed verdict under
/// (package id, version, .nupkg SHA-512, policy hash). A changed .nupkg gets a new stamp, so it is hashed again and, with
/// a new SHA-512, verified again. Only allowed verdicts are kept (denials are re-checked, with fresh messages, every time),
/// and each only until it expires by itself. A damaged, foreign or older cache file is ignored, never trusted.
/// </summary>
public sealed class VerdictCache
{
    private const string Header = "buildsigning-trust-cache v1";
    private readonly object _gate = new();
    private readonly Dictionary<string, (FileStamp Stamp, string Sha512)> _hashes;
    private readonly Dictionary<string, CachedVerdict> _verdicts;
    private readonly Dictionary<string, (FileStamp Stamp, string Sha512)> _usedHashes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CachedVerdict> _usedVerdicts = new(StringComparer.Ordinal);

    private VerdictCache(Dictionary<string, (FileStamp, string)> hashes, Dictionary<string, CachedVerdict> verdicts)
    {
        _hashes = hashes;
        _verdicts = verdicts;
    }

    /// <summary>A cached allowed verdict.</summary>
    public sealed record CachedVerdict(TrustVerdict Verdict, string TrustedBy, DateTimeOffset? ValidUntil);

    /// <summary>Identifies the verifier: a cache written by another NuGet.Packaging (other trust bundles, other checks) is not used.</summary>
    internal static string EnvironmentKey { get; } = typeof(NuGet.Packaging.Signing.PrimarySignature).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static VerdictCache Empty() => new(new(StringComparer.Ordinal), new(StringComparer.Ordinal));

    public static VerdictCache Load(string? path)
    {
        var cache = Empty();
        if (string.IsNullOrEmpty(path) || !File.Exists(path)) return cache;
        try
        {
            using var reader = new StreamReader(path, Encoding.UTF8);
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
                    return Empty();
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException or ArgumentException)
        {
            return Empty();
        }
        return cache;
    }

    /// <summary>Writes what this run used (entries for packages no longer restored are dropped), atomically, only when it changed.</summary>
    public void Save(string path)
    {
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
        AtomicFile.WriteIfChanged(path, Encoding.UTF8.GetBytes(text.ToString()));
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
