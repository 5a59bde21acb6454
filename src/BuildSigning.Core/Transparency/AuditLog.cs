using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Transparency;

/// <summary>One signing event as the audit log records it.</summary>
public sealed record AuditEvent
{
    public DateTimeOffset Time { get; init; }
    /// <summary>build, publish, pack (statements), or pack-file (the message signature over a package file).</summary>
    public string EventKind { get; init; } = "";
    public string KeyId { get; init; } = "";
    /// <summary>file, development, pkcs11 or certificate.</summary>
    public string KeyKind { get; init; } = "";
    /// <summary>The certificate subject when the key has a certificate.</summary>
    public string? Signer { get; init; }
    /// <summary>sha256:&lt;hex&gt; of the signed statement (the DSSE payload) or of the signed file.</summary>
    public string StatementDigest { get; init; } = "";
    public string? PredicateType { get; init; }
    public int SubjectCount { get; init; }
    public string? Bundle { get; init; }
    public string? Project { get; init; }
    public string? Configuration { get; init; }
    public string? Commit { get; init; }
    public string? BuilderId { get; init; }
    public string? TransparencyLog { get; init; }
    public long? TransparencyLogIndex { get; init; }
}

/// <summary>A line of the audit log as read back.</summary>
public sealed record AuditRecord(int Line, long Sequence, JsonObject Json)
{
    public string? Text(string name) => Json[name] is JsonValue v && v.TryGetValue(out string? s) ? s : null;
}

/// <summary>
/// An append-only JSON Lines file of signing events. Every line carries <c>seq</c> (1, 2, ...) and <c>previous</c>, the
/// SHA-256 (hex) of the line before it without its newline (null on the first line), so deleting, editing or reordering a
/// line breaks the chain at the next one. Appends hold an exclusive lock on the file (FileShare.None: flock on Unix), so
/// parallel builds that share one log append whole lines in turn. Deleting lines at the END leaves no trace in the chain
/// itself: keep a copy of the last hash elsewhere, or check the logged transparency-log indexes.
/// </summary>
public static class AuditLog
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Appends the event; with <paramref name="sign"/>, the line carries <c>"sig"</c>, the signer's signature over the line without it.</summary>
    public static void Append(string path, AuditEvent e, Func<byte[], byte[]>? sign = null)
    {
        path = Path.GetFullPath(path);
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(25 + Random.Shared.Next(50));
                continue;
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
            {
                throw Errors.AuditLogBusy(path, (int)LockTimeout.TotalSeconds);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw Errors.AuditLogWriteFailed(path, ex);
            }
            using (stream)
            {
                try
                {
                    var (sequence, previous) = LastLine(stream);
                    byte[] line = Format(e, sequence + 1, previous);
                    if (sign is not null) line = [.. line.AsSpan(0, line.Length - 1), .. Encoding.UTF8.GetBytes($",\"sig\":\"{Convert.ToBase64String(sign(line))}\"}}")];
                    stream.Seek(0, SeekOrigin.End);
                    stream.Write([.. line, (byte)'\n']);
                    stream.Flush(flushToDisk: true);
                    return;
                }
                catch (IOException ex)
                {
                    throw Errors.AuditLogWriteFailed(path, ex);
                }
            }
        }
    }

    /// <summary>The JSON line for an event (fields in a fixed order, compact).</summary>
    public static byte[] Format(AuditEvent e, long sequence, string? previous)
    {
        var json = new JsonObject
        {
            ["seq"] = sequence,
            ["time"] = e.Time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["event"] = e.EventKind,
            ["keyId"] = e.KeyId,
            ["keyKind"] = e.KeyKind,
            ["signer"] = e.Signer,
            ["statementDigest"] = e.StatementDigest,
            ["predicateType"] = e.PredicateType,
            ["subjectCount"] = e.SubjectCount,
            ["bundle"] = e.Bundle,
            ["project"] = e.Project,
            ["configuration"] = e.Configuration,
            ["commit"] = e.Commit,
            ["builderId"] = e.BuilderId,
            ["tlog"] = e.TransparencyLog,
            ["tlogIndex"] = e.TransparencyLogIndex,
            ["previous"] = previous,
        };
        return Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    /// <summary>The last line's sequence number and hash; (0, null) for an empty file. A damaged tail is refused.</summary>
    private static (long Sequence, string? Hash) LastLine(FileStream stream)
    {
        long length = stream.Length;
        if (length == 0) return (0, null);
        int window = (int)Math.Min(length, 1 << 20);
        byte[] tail = new byte[window];
        stream.Seek(length - window, SeekOrigin.Begin);
        stream.ReadExactly(tail);
        if (tail[^1] != (byte)'\n') throw new IOException("its last line is incomplete (no newline at the end): the log is damaged; run 'buildsign audit verify' on it");
        int start = Array.LastIndexOf(tail, (byte)'\n', window - 2) + 1;
        if (start == 0 && window < length) throw new IOException("its last line is longer than 1 MiB");
        var line = tail.AsSpan(start, window - 1 - start);
        long sequence;
        try
        {
            sequence = JsonNode.Parse(line, documentOptions: CanonicalJson.Strict) is JsonObject o && o["seq"] is JsonValue v && v.TryGetValue(out long s) ? s
                : throw new IOException("its last line has no seq number: run 'buildsign audit verify' on it");
        }
        catch (JsonException)
        {
            throw new IOException("its last line is not JSON: run 'buildsign audit verify' on it");
        }
        return (sequence, Hex.Lower(SHA256.HashData(line)));
    }

    /// <summary>
    /// Reads every line and checks the chain; throws BS7022 naming the first line that breaks it. With
    /// <paramref name="keys"/>, every line must also carry a signature that verifies with the key its keyId names (which
    /// also catches an edit of the last line, the one no later hash covers).
    /// </summary>
    public static IReadOnlyList<AuditRecord> Verify(string path, IReadOnlyCollection<Keys.VerificationKey>? keys = null)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.AuditLogUnreadable(path, e);
        }
        var records = new List<AuditRecord>();
        string? previous = null;
        int offset = 0, number = 0;
        while (offset < content.Length)
        {
            number++;
            int end = Array.IndexOf(content, (byte)'\n', offset);
            if (end < 0) throw Errors.AuditLogBroken(path, number, "the line is incomplete (the file does not end with a newline)");
            var line = content.AsSpan(offset, end - offset);
            if (Json.UntrustedJson.FindInvalidText(line) is { } invalid)
            {
                throw Errors.AuditLogBroken(path, number, "the line is not valid JSON text: " + Json.UntrustedJson.InvalidTextReason(invalid).TrimEnd('.'));
            }
            JsonObject json;
            try
            {
                json = JsonNode.Parse(line, documentOptions: CanonicalJson.Strict) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException)
            {
                throw Errors.AuditLogBroken(path, number, "the line is not a JSON object");
            }
            if (!(json["seq"] is JsonValue sv && sv.TryGetValue(out long seq)) || seq != number)
            {
                throw Errors.AuditLogBroken(path, number, $"its seq is {json["seq"]?.ToJsonString() ?? "missing"}, expected {number}");
            }
            string? recorded = json["previous"] is JsonValue pv && pv.TryGetValue(out string? p) ? p : null;
            if (!string.Equals(recorded, previous, StringComparison.Ordinal))
            {
                throw Errors.AuditLogBroken(path, number, previous is null
                    ? "the first line must have previous: null"
                    : "its previous hash is not the SHA-256 of line " + (number - 1) + " (that line was edited, or a line between them was deleted)");
            }
            if (keys is { Count: > 0 } && SignatureProblem(line, json, keys) is { } problem) throw Errors.AuditLogBroken(path, number, problem);
            records.Add(new AuditRecord(number, seq, json));
            previous = Hex.Lower(SHA256.HashData(line));
            offset = end + 1;
        }
        return records;
    }

    private static string? SignatureProblem(ReadOnlySpan<byte> line, JsonObject json, IReadOnlyCollection<Keys.VerificationKey> keys)
    {
        string? keyId = json["keyId"] is JsonValue k && k.TryGetValue(out string? id) ? id : null;
        var key = keys.FirstOrDefault(candidate => candidate.Id.Hex == keyId);
        if (key is null) return $"it was signed by key {keyId ?? "(none)"}, which is not among the keys given";
        int at = line.LastIndexOf(",\"sig\":\""u8);
        if (at < 0 || json["sig"] is not JsonValue sv || !sv.TryGetValue(out string? sig)) return "it carries no signature";
        byte[] signed = [.. line[..at], (byte)'}'];
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(sig);
        }
        catch (FormatException)
        {
            return "its signature is not base64";
        }
        return key.Verify(signed, signature) ? null : "its signature does not verify (the line was edited)";
    }
}

/// <summary>Checks the transparency-log indexes an audit log records against the entries in the bundles it names.</summary>
public static class AuditLogTransparency
{
    /// <summary>
    /// For every line with a tlogIndex whose bundle still holds the statement the line records (same digest): the bundle's
    /// entry must carry that index, be from a trusted log, verify (body, SET, inclusion proof, checkpoint) and record the
    /// line's key. Returns (checked, skipped: bundle gone or re-signed since); throws BS7024 for the first line that fails.
    /// </summary>
    public static (int Checked, int Skipped) Verify(string path, IReadOnlyList<AuditRecord> records, IReadOnlyCollection<Keys.VerificationKey> logKeys)
    {
        int verified = 0, skipped = 0;
        foreach (var record in records)
        {
            if (record.Json["tlogIndex"] is not JsonValue iv || !iv.TryGetValue(out long index)) continue;
            string? bundlePath = record.Text("bundle");
            Attestations.SigstoreBundle? bundle = null;
            try
            {
                if (bundlePath is not null && File.Exists(bundlePath)) bundle = Attestations.SigstoreBundle.TryParse(File.ReadAllBytes(bundlePath), out _);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
            if (bundle?.Dsse is not { } envelope || "sha256:" + Hex.Lower(SHA256.HashData(envelope.Payload)) != record.Text("statementDigest"))
            {
                skipped++;
                continue;
            }
            var entry = bundle.TlogEntries.FirstOrDefault(e => e.LogIndex == index);
            if (entry is null) throw Errors.AuditLogNotInTransparencyLog(path, record.Line, index, bundlePath!, "the bundle carries no entry with that index");
            var logKey = logKeys.FirstOrDefault(k => SHA256.HashData(k.SubjectPublicKeyInfo).AsSpan().SequenceEqual(entry.LogId));
            if (logKey is null) throw Errors.AuditLogNotInTransparencyLog(path, record.Line, index, bundlePath!, $"the entry is from log {Hex.Lower(entry.LogId)}, whose key was not given");
            var body = DsseLogBody.TryParse(entry.CanonicalizedBody, out string reason);
            if (body is null) throw Errors.AuditLogNotInTransparencyLog(path, record.Line, index, bundlePath!, reason);
            Keys.VerificationKey signer;
            try
            {
                signer = Keys.VerificationKey.FromPem(Encoding.UTF8.GetString(body.Signatures[0].VerifierPem), bundlePath!);
            }
            catch (Exception e) when (e is BuildSigningException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                throw Errors.AuditLogNotInTransparencyLog(path, record.Line, index, bundlePath!, "the entry names no usable verifier");
            }
            if (signer.Id.Hex != record.Text("keyId")) throw Errors.AuditLogNotInTransparencyLog(path, record.Line, index, bundlePath!, $"the entry records key {signer.Id.Hex}, the line {record.Text("keyId")}");
            if (TransparencyLogVerifier.Check(entry, envelope, signer, logKey) is { } failure)
            {
                throw Errors.AuditLogNotInTransparencyLog(path, record.Line, index, bundlePath!, $"the entry fails the {failure.Check} check: {failure.Reason}");
            }
            verified++;
        }
        return (verified, skipped);
    }
}
