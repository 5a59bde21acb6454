using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BuildSigning.Core.Attestations;

/// <summary>An RFC 6962 inclusion proof with the log's signed checkpoint (Sigstore bundle v0.3 InclusionProof).</summary>
public sealed record InclusionProof(long LogIndex, byte[] RootHash, long TreeSize, IReadOnlyList<byte[]> Hashes, string Checkpoint);

/// <summary>
/// One entry of a Sigstore bundle's verificationMaterial.tlogEntries (dev.sigstore.rekor.v1.TransparencyLogEntry in its
/// protobuf JSON form: int64 as decimal strings, bytes as base64):
/// <code>
/// {"logIndex": "7", "logId": {"keyId": b64}, "kindVersion": {"kind": "dsse", "version": "0.0.1"},
///  "integratedTime": "1700000000", "inclusionPromise": {"signedEntryTimestamp": b64},
///  "inclusionProof": {"logIndex": "7", "rootHash": b64, "treeSize": "8", "hashes": [b64], "checkpoint": {"envelope": text}},
///  "canonicalizedBody": b64}
/// </code>
/// </summary>
public sealed record TransparencyLogEntry(
    long LogIndex,
    byte[] LogId,
    string Kind,
    string Version,
    long IntegratedTime,
    byte[]? SignedEntryTimestamp,
    InclusionProof? InclusionProof,
    byte[] CanonicalizedBody)
{
    public DateTimeOffset IntegratedAt => DateTimeOffset.FromUnixTimeSeconds(IntegratedTime);

    public JsonObject ToJson()
    {
        var entry = new JsonObject
        {
            ["logIndex"] = Int(LogIndex),
            ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(LogId) },
            ["kindVersion"] = new JsonObject { ["kind"] = Kind, ["version"] = Version },
            ["integratedTime"] = Int(IntegratedTime),
        };
        if (SignedEntryTimestamp is not null)
        {
            entry["inclusionPromise"] = new JsonObject { ["signedEntryTimestamp"] = Convert.ToBase64String(SignedEntryTimestamp) };
        }
        if (InclusionProof is { } proof)
        {
            var hashes = new JsonArray();
            foreach (byte[] h in proof.Hashes) hashes.Add(Convert.ToBase64String(h));
            entry["inclusionProof"] = new JsonObject
            {
                ["logIndex"] = Int(proof.LogIndex),
                ["rootHash"] = Convert.ToBase64String(proof.RootHash),
                ["treeSize"] = Int(proof.TreeSize),
                ["hashes"] = hashes,
                ["checkpoint"] = new JsonObject { ["envelope"] = proof.Checkpoint },
            };
        }
        entry["canonicalizedBody"] = Convert.ToBase64String(CanonicalizedBody);
        return entry;
    }

    /// <summary>Reads an entry; throws FormatException naming the field that is missing or malformed.</summary>
    public static TransparencyLogEntry Parse(JsonNode? node)
    {
        if (node is not JsonObject entry) throw new FormatException("a tlogEntries item is not an object");
        InclusionProof? proof = null;
        if (entry["inclusionProof"] is JsonObject p)
        {
            proof = new InclusionProof(
                Long(p["logIndex"], "inclusionProof.logIndex"),
                Bytes(p["rootHash"], "inclusionProof.rootHash"),
                Long(p["treeSize"], "inclusionProof.treeSize"),
                (p["hashes"] as JsonArray ?? []).Select(h => Bytes(h, "inclusionProof.hashes")).ToArray(),
                Text((p["checkpoint"] as JsonObject)?["envelope"], "inclusionProof.checkpoint.envelope"));
        }
        return new TransparencyLogEntry(
            Long(entry["logIndex"], "logIndex"),
            Bytes((entry["logId"] as JsonObject)?["keyId"], "logId.keyId"),
            Text((entry["kindVersion"] as JsonObject)?["kind"], "kindVersion.kind"),
            Text((entry["kindVersion"] as JsonObject)?["version"], "kindVersion.version"),
            Long(entry["integratedTime"], "integratedTime"),
            (entry["inclusionPromise"] as JsonObject)?["signedEntryTimestamp"] is { } set ? Bytes(set, "inclusionPromise.signedEntryTimestamp") : null,
            proof,
            Bytes(entry["canonicalizedBody"], "canonicalizedBody"));
    }

    private static JsonNode Int(long value) => JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    private static string Text(JsonNode? node, string field) =>
        node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : throw new FormatException($"the tlog entry's {field} is missing");

    private static byte[] Bytes(JsonNode? node, string field)
    {
        try
        {
            return Convert.FromBase64String(Text(node, field));
        }
        catch (FormatException e) when (!e.Message.Contains("tlog entry", StringComparison.Ordinal))
        {
            throw new FormatException($"the tlog entry's {field} is not base64");
        }
    }

    /// <summary>protobuf JSON writes int64 as a string but accepts a number.</summary>
    private static long Long(JsonNode? node, string field) => node?.GetValueKind() switch
    {
        JsonValueKind.String when long.TryParse(node.GetValue<string>(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) => v,
        JsonValueKind.Number when node.AsValue().TryGetValue(out long v) => v,
        _ => throw new FormatException($"the tlog entry's {field} is missing or not an integer"),
    };
}
