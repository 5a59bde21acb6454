using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.IO;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Outputs;

/// <summary>
/// What the last successful signing of a folder depended on and what it left in .buildsigning/, kept beside the digest cache
/// in obj/ (same trust: a file of this build's own intermediate folder). When a fresh scan of the folder (one lstat per entry)
/// and every input give the same fingerprint, and every file in .buildsigning/ still has the SHA-256 it had when this signing
/// ended, the signing's result is already on disk: nothing is hashed, built or verified again.
/// <para>
/// The fingerprint covers the folder's entries (names, kinds, link targets, each file's stamp: length, mtime, ctime, inode),
/// the key (public key, certificate), the timestamp and transparency log settings, the description, the exclusions, the
/// digest algorithms and the caller's fingerprint of the attestation inputs. A file whose stamp lies within the racy window of
/// the moment it was scanned could change again without its stamp changing: such a state is never used. A damaged, foreign or
/// older state file is ignored, never trusted; anything that differs sends the signer down its full path.
/// </para>
/// </summary>
internal sealed class SigningState
{
    private const string Header = "buildsigning-signing-state v1";

    /// <summary>Files changed this close to the scan may change again without a new stamp (git's "racily clean" entries).</summary>
    public static readonly TimeSpan DefaultRacyWindow = TimeSpan.FromSeconds(2);

    private SigningState(string inputs, long scannedTicks, long stampedTicks, int fileCount, IReadOnlyList<Output> outputs)
    {
        Inputs = inputs;
        ScannedTicks = scannedTicks;
        StampedTicks = stampedTicks;
        FileCount = fileCount;
        Outputs = outputs;
    }

    public enum Role { Bundle, Document, Manifest }

    /// <summary>
    /// A file the signing left in .buildsigning/: its name there, what it is, its SHA-256 (lowercase hex) and its stamp. The
    /// stamp spares reading it again; where the stamp is racy (the file changed just before it was stamped, as a file just
    /// written did) the content is hashed instead.
    /// </summary>
    public sealed record Output(string Name, Role Role, string Sha256Hex, FileStamp Stamp);

    public string Inputs { get; }
    public long ScannedTicks { get; }

    /// <summary>When the stamps of <see cref="Outputs"/> were taken.</summary>
    public long StampedTicks { get; }
    public int FileCount { get; }
    public IReadOnlyList<Output> Outputs { get; }

    /// <summary>The state file that goes with a digest cache file, or null when there is none (no state without a cache).</summary>
    public static string? PathFor(string? digestCacheFile) => string.IsNullOrEmpty(digestCacheFile) ? null : digestCacheFile + ".state";

    /// <summary>
    /// The fingerprint of everything a signing of this tree depends on, or null when one cannot be made soundly (a file's
    /// stamp unknown, attestations without a fingerprint of their inputs).
    /// </summary>
    public static string? Fingerprint(string root, OutputSigningRequest request, SigningKey key, IReadOnlyList<string> excluded, OutputTree tree)
    {
        if (request.Attestations is not null && string.IsNullOrEmpty(request.AttestationInputs)) return null;
        if (tree.Stamps.Count != tree.Files.Count || tree.Stamps.Any(s => s is null)) return null;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string? text)
        {
            if (text is null)
            {
                hash.AppendData("\0-"u8);
                return;
            }
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            Span<byte> length = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            hash.AppendData("\0+"u8);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
        void AddList(string label, IEnumerable<string> items)
        {
            Add(label);
            foreach (string item in items) Add(item);
            Add(null);
        }

        Add(Header);
        Add(root);
        Add(key.Algorithm.ToString());
        Add(Hex.Lower(key.PublicKey.SubjectPublicKeyInfo));
        Add(key.Certificate is null ? null : Hex.Lower(SHA256.HashData(key.Certificate.RawData)));
        Add(request.TimestampUrl?.AbsoluteUri);
        Add(request.Recorder?.TransparencyLogUrl?.AbsoluteUri);
        var d = request.Description;
        AddList("description", [d.Kind, d.Project, d.Configuration ?? "", d.TargetFramework ?? "", d.RuntimeIdentifier ?? ""]);
        AddList("excluded", excluded);
        Add(((int)(request.Algorithms | DigestAlgorithms.Sha256)).ToString(CultureInfo.InvariantCulture));
        Add(request.AllowExternalLinks ? "external-links" : "no-external-links");
        Add(request.Attestations is null ? "no-attestations" : "attestations:" + request.AttestationInputs);
        AddList("files", tree.Files.Select((f, i) => f + "\n" + tree.Stamps[i]!.Value));
        AddList("links", tree.Links.Select(l => l.Name + "\n" + l.Target));
        AddList("empty", tree.EmptyDirectories);
        AddList("signed", tree.SubdirectoriesWithSignatures);
        AddList("linked", tree.LinkedDirectories);
        AddList("unsupported", tree.Unsupported.Select(u => u.Name));
        return Hex.Lower(hash.GetHashAndReset());
    }

    /// <summary>Whether any file of the tree changed within the racy window before <paramref name="scannedTicks"/>.</summary>
    public static bool AnyRacy(OutputTree tree, long scannedTicks, TimeSpan racyWindow)
    {
        long limit = scannedTicks - racyWindow.Ticks;
        return tree.Stamps.Any(s => s is not { } stamp || Math.Max(stamp.LastWriteTicks, stamp.ChangeTicks) >= limit);
    }

    /// <summary>
    /// True when the saved signing is the one this run would make: same fingerprint, and .buildsigning/ holding exactly the
    /// saved files (besides an approvals folder, which a signing keeps), each with its saved stamp, or, where that stamp is
    /// racy or differs, its saved SHA-256. <paramref name="restamped"/> is set when a file had to be read: the caller saves the
    /// state again with the fresh stamps, so the next run reads nothing.
    /// </summary>
    public bool Matches(string inputs, string attestationDirectory, TimeSpan racyWindow, out SigningState? restamped)
    {
        restamped = null;
        if (!string.Equals(inputs, Inputs, StringComparison.Ordinal)) return false;
        if (FileKind.Of(attestationDirectory) != EntryKind.Directory) return false;
        long stampedTicks = DateTime.UtcNow.Ticks;
        var expected = Outputs.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var stamps = new Dictionary<string, FileStamp>(StringComparer.Ordinal);
        foreach (string entry in Directory.EnumerateFileSystemEntries(attestationDirectory))
        {
            string name = Path.GetFileName(entry);
            if (!FileStatus.TryGetEntry(entry, out var kind, out var stamp))
            {
                kind = FileKind.Of(entry);
                stamp = kind == EntryKind.RegularFile ? FileStamp.Get(entry) : null;
            }
            if (kind == EntryKind.Directory && name == Gate.ApprovalLayout.DirectoryName) continue;
            if (kind != EntryKind.RegularFile || stamp is null || !expected.ContainsKey(name)) return false;
            stamps[name] = stamp.Value;
        }
        if (stamps.Count != expected.Count) return false;

        long racyLimit = StampedTicks - racyWindow.Ticks;
        var toRead = Outputs.Where(o => stamps[o.Name] != o.Stamp || Math.Max(o.Stamp.LastWriteTicks, o.Stamp.ChangeTicks) >= racyLimit).ToArray();
        if (toRead.Length == 0) return true;
        try
        {
            var digests = FileDigester.DigestFiles(toRead.Select(o => Path.Combine(attestationDirectory, o.Name)).ToArray());
            for (int i = 0; i < toRead.Length; i++)
            {
                if (!string.Equals(digests[i].Sha256Hex, toRead[i].Sha256Hex, StringComparison.Ordinal)) return false;
                // Changed while read: the content read may not be what the stamp describes.
                if (FileStamp.Get(Path.Combine(attestationDirectory, toRead[i].Name)) != stamps[toRead[i].Name]) return false;
            }
        }
        catch (Exception e) when (e is Diagnostics.BuildSigningException or AggregateException)
        {
            return false;
        }
        restamped = new SigningState(Inputs, ScannedTicks, stampedTicks, FileCount, Outputs.Select(o => o with { Stamp = stamps[o.Name] }).ToArray());
        return true;
    }

    /// <summary>The saved state, or null when there is none or it is damaged, foreign or of another version.</summary>
    public static SigningState? TryLoad(string path)
    {
        if (FileKind.Of(path) != EntryKind.RegularFile) return null;
        try
        {
            string[] lines = File.ReadAllText(path, Encoding.UTF8).Split('\n');
            if (lines.Length < 5 || lines[0] != Header || lines[^1] != "") return null;
            if (!TryField(lines[1], "inputs", out string inputs) || inputs.Length != 64) return null;
            if (!TryField(lines[2], "scanned", out string scannedText) || !long.TryParse(scannedText, NumberStyles.None, CultureInfo.InvariantCulture, out long scanned)) return null;
            if (!TryField(lines[3], "stamped", out string stampedText) || !long.TryParse(stampedText, NumberStyles.None, CultureInfo.InvariantCulture, out long stamped)) return null;
            if (!TryField(lines[4], "files", out string countText) || !int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count)) return null;
            var outputs = new List<Output>();
            foreach (string line in lines.AsSpan(5, lines.Length - 6))
            {
                string[] f = line.Split('\t');
                if (f.Length != 5 || f[0] != "output" || !Enum.TryParse(f[1], ignoreCase: false, out Role role) || !Enum.IsDefined(role)) return null;
                if (f[2].Length != 64 || !f[2].All(char.IsAsciiHexDigitLower) || !FileStamp.TryParse(f[3], out var stamp) || !IsPlainName(f[4])) return null;
                outputs.Add(new Output(f[4], role, f[2], stamp));
            }
            if (outputs.Count(o => o.Role == Role.Manifest) != 1 || outputs.Select(o => o.Name).Distinct(StringComparer.Ordinal).Count() != outputs.Count) return null;
            return new SigningState(inputs, scanned, stamped, count, outputs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// Saves the state of a signing that just ended: the SHA-256 and stamp of each file it left in .buildsigning/, read back
    /// (a file that changes while it is read is left unstamped, which no later stamp matches).
    /// </summary>
    public static void Save(string path, string inputs, long scannedTicks, int fileCount, string attestationDirectory, IEnumerable<(string Path, Role Role)> outputs)
    {
        var list = outputs.ToArray();
        long stampedTicks = DateTime.UtcNow.Ticks;
        var before = list.Select(o => FileStamp.Get(o.Path)).ToArray();
        var digests = FileDigester.DigestFiles(list.Select(o => o.Path).ToArray());
        var saved = new List<Output>();
        for (int i = 0; i < list.Length; i++)
        {
            string name = Path.GetFileName(list[i].Path);
            if (!IsPlainName(name) || Path.GetDirectoryName(Path.GetFullPath(list[i].Path)) != Path.TrimEndingDirectorySeparator(attestationDirectory)) return;
            if (before[i] is not { } stamp || FileStamp.Get(list[i].Path) != stamp) return;
            saved.Add(new Output(name, list[i].Role, digests[i].Sha256Hex, stamp));
        }
        new SigningState(inputs, scannedTicks, stampedTicks, fileCount, saved).Save(path);
    }

    /// <summary>Writes this state (atomically).</summary>
    public void Save(string path)
    {
        var text = new StringBuilder(Header).Append('\n')
            .Append("inputs\t").Append(Inputs).Append('\n')
            .Append("scanned\t").Append(ScannedTicks.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("stamped\t").Append(StampedTicks.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("files\t").Append(FileCount.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var o in Outputs)
        {
            text.Append("output\t").Append(o.Role).Append('\t').Append(o.Sha256Hex).Append('\t').Append(o.Stamp.ToString()).Append('\t').Append(o.Name).Append('\n');
        }
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static bool TryField(string line, string name, out string value)
    {
        value = "";
        int tab = line.IndexOf('\t');
        if (tab < 0 || line[..tab] != name) return false;
        value = line[(tab + 1)..];
        return true;
    }

    private static bool IsPlainName(string name) =>
        name.Length > 0 && name != "." && name != ".." && name.AsSpan().IndexOfAny("/\\\t\n\r\0") < 0;
}
