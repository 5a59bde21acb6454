using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Transparency;

/// <summary>
/// Submits DSSE envelopes to a Rekor transparency log through its v1 REST API (POST /api/v1/log/entries, entry kind dsse
/// 0.0.1) and turns the answer (a map of entry UUID to LogEntry: body, integratedTime, logID, logIndex,
/// verification.signedEntryTimestamp, verification.inclusionProof with checkpoint) into a bundle's tlog entry, after
/// checking that it records what was submitted and that its inclusion proof holds.
/// </summary>
public static class RekorClient
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private static readonly HttpClient Http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };

    public static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw Errors.TransparencyLogUrlInvalid(url);

    public static Uri EntriesUrl(Uri logUrl) => new(logUrl.AbsoluteUri.TrimEnd('/') + "/api/v1/log/entries");

    /// <summary>
    /// Logs the envelope (which must carry exactly one signature, by <paramref name="signer"/>) and returns its checked entry.
    /// <paramref name="logKey"/>, when known, also checks the log's signatures (SET, checkpoint). <paramref name="what"/> names
    /// the statement in errors. Throws BS7002-BS7005; returns only an entry that records this envelope.
    /// </summary>
    public static TransparencyLogEntry Submit(Uri logUrl, DsseEnvelope envelope, SigningKey signer, VerificationKey? logKey, string what, TimeSpan? timeout = null)
    {
        string where = logUrl.OriginalString;
        string envelopeJson = DsseLogBody.EnvelopeJson(envelope);
        byte[] request = Encoding.UTF8.GetBytes(DsseLogBody.ProposedEntry(envelopeJson, DsseLogBody.VerifierPem(signer)).ToJsonString());

        int status;
        string reasonPhrase;
        byte[] reply;
        using (var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout))
        {
            try
            {
                using var content = new ByteArrayContent(request);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var message = new HttpRequestMessage(HttpMethod.Post, EntriesUrl(logUrl)) { Content = content };
                message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                using var response = Http.Send(message, cancel.Token);
                status = (int)response.StatusCode;
                reasonPhrase = response.ReasonPhrase ?? "";
                using var stream = response.Content.ReadAsStream(cancel.Token);
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                reply = buffer.ToArray();
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                throw Errors.TransparencyLogUnreachable(where, e is OperationCanceledException
                    ? new TimeoutException($"no answer within {(timeout ?? DefaultTimeout).TotalSeconds:0} seconds.", e) : e);
            }
        }
        if (status != 201 && status != 200)
        {
            string detail = ErrorMessage(reply) ?? reasonPhrase;
            throw Errors.TransparencyLogHttpError(where, what, status, detail.Length > 300 ? detail[..300] : detail);
        }

        TransparencyLogEntry entry;
        string uuid;
        try
        {
            (uuid, entry) = ParseResponse(reply);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw Errors.TransparencyLogResponseInvalid(where, what, "it is not a Rekor LogEntry: " + e.Message.TrimEnd('.'), e);
        }

        if (DsseLogBody.TryParse(entry.CanonicalizedBody, out string reason) is not { } body) throw Errors.TransparencyLogResponseInvalid(where, what, reason);
        if (body.Mismatch(envelope, signer.PublicKey) is { } mismatch) throw Errors.TransparencyLogResponseInvalid(where, what, mismatch);
        if (!string.Equals(body.EnvelopeSha256Hex, Hex.Lower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(envelopeJson))), StringComparison.OrdinalIgnoreCase))
        {
            throw Errors.TransparencyLogResponseInvalid(where, what, "its envelopeHash is not the SHA-256 of the submitted envelope");
        }
        // The UUID is the entry's leaf hash (hex), after a 16-digit tree id on sharded logs.
        string leaf = Hex.Lower(Merkle.LeafHash(entry.CanonicalizedBody));
        if (!uuid.EndsWith(leaf, StringComparison.OrdinalIgnoreCase)) throw Errors.TransparencyLogResponseInvalid(where, what, $"its UUID {uuid} is not the leaf hash of its body");
        if (TransparencyLogVerifier.Check(entry, envelope, signer.PublicKey, logKey) is { } failure)
        {
            throw Errors.TransparencyLogProofInvalid(where, what, entry.LogIndex, $"the {failure.Check} check fails: {failure.Reason}");
        }
        return entry;
    }

    /// <summary>Reads a POST /api/v1/log/entries answer: <c>{"&lt;uuid&gt;": LogEntry}</c> with exactly one entry.</summary>
    public static (string Uuid, TransparencyLogEntry Entry) ParseResponse(byte[] json)
    {
        if (JsonNode.Parse(json, documentOptions: CanonicalJson.Strict) is not JsonObject root || root.Count != 1) throw new FormatException("the answer is not an object with exactly one entry");
        var (uuid, node) = root.First();
        if (node is not JsonObject value) throw new FormatException("the entry is not an object");
        byte[] body = Convert.FromBase64String((string?)value["body"] ?? throw new FormatException("the entry has no body"));
        if (value["verification"] is not JsonObject verification) throw new FormatException("the entry has no verification");
        if (verification["inclusionProof"] is not JsonObject proof) throw new FormatException("the entry has no verification.inclusionProof");
        string kind = "", version = "";
        if (JsonNode.Parse(body, documentOptions: CanonicalJson.Strict) is JsonObject bodyObject)
        {
            kind = (string?)bodyObject["kind"] ?? "";
            version = (string?)bodyObject["apiVersion"] ?? "";
        }
        return (uuid, new TransparencyLogEntry(
            Number(value["logIndex"], "logIndex"),
            Convert.FromHexString((string?)value["logID"] ?? throw new FormatException("the entry has no logID")),
            kind,
            version,
            Number(value["integratedTime"], "integratedTime"),
            Convert.FromBase64String((string?)verification["signedEntryTimestamp"] ?? throw new FormatException("the entry has no signedEntryTimestamp")),
            new InclusionProof(
                Number(proof["logIndex"], "inclusionProof.logIndex"),
                Convert.FromHexString((string?)proof["rootHash"] ?? throw new FormatException("the inclusion proof has no rootHash")),
                Number(proof["treeSize"], "inclusionProof.treeSize"),
                (proof["hashes"] as JsonArray ?? []).Select(h => Convert.FromHexString((string?)h ?? throw new FormatException("an inclusion-proof hash is not a string"))).ToArray(),
                (string?)proof["checkpoint"] ?? throw new FormatException("the inclusion proof has no checkpoint")),
            body));
    }

    private static long Number(JsonNode? node, string field) =>
        node is JsonValue v && v.TryGetValue(out long n) ? n
        : node is JsonValue s && s.TryGetValue(out string? text) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n) ? n
        : throw new FormatException($"the entry's {field} is not an integer");

    /// <summary>Rekor's error model: <c>{"code": n, "message": "..."}</c>.</summary>
    private static string? ErrorMessage(byte[] reply)
    {
        try
        {
            return JsonNode.Parse(reply, documentOptions: CanonicalJson.Strict) is JsonObject o && o["message"] is JsonValue m && m.TryGetValue(out string? text) ? text : null;
        }
        catch (JsonException)
        {
            string text = Encoding.UTF8.GetString(reply).Trim();
            return text.Length > 0 ? text : null;
        }
    }
}
