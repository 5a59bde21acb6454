using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Json;
using BuildSigning.Core.Transparency;

namespace BuildSigning.Core.Attestations;

public sealed record DsseSignature(string KeyId, byte[] Signature);

public sealed record DsseEnvelope(string PayloadType, byte[] Payload, IReadOnlyList<DsseSignature> Signatures);

public sealed record MessageSignature(string DigestAlgorithm, byte[] Digest, byte[] Signature);

/// <summary>
/// A Sigstore bundle v0.3 with a public-key hint (or an X.509 leaf), no transparency-log entries,
/// optional RFC 3161 timestamps, and either a DSSE envelope or a message signature.
/// </summary>
public sealed record SigstoreBundle
{
    public const string MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json";
    public const string FileSuffix = ".sigstore.json";

    public string? PublicKeyHint { get; init; }
    public byte[]? CertificateDer { get; init; }
    public IReadOnlyList<byte[]> Rfc3161Timestamps { get; init; } = [];
    /// <summary>Rekor entries (verificationMaterial.tlogEntries); see docs/attestation-format.md.</summary>
    public IReadOnlyList<TransparencyLogEntry> TlogEntries { get; init; } = [];
    public DsseEnvelope? Dsse { get; init; }
    public MessageSignature? Message { get; init; }

    public byte[] ToJsonBytes()
    {
        var material = new JsonObject();
        if (CertificateDer is not null)
        {
            material["certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(CertificateDer) };
        }
        else
        {
            material["publicKey"] = new JsonObject { ["hint"] = PublicKeyHint };
        }
        var tlogEntries = new JsonArray();
        foreach (var entry in TlogEntries) tlogEntries.Add(entry.ToJson());
        material["tlogEntries"] = tlogEntries;
        if (Rfc3161Timestamps.Count > 0)
        {
            var stamps = new JsonArray();
            foreach (var token in Rfc3161Timestamps) stamps.Add(new JsonObject { ["signedTimestamp"] = Convert.ToBase64String(token) });
            material["timestampVerificationData"] = new JsonObject { ["rfc3161Timestamps"] = stamps };
        }

        var root = new JsonObject { ["mediaType"] = MediaType, ["verificationMaterial"] = material };
        if (Dsse is not null)
        {
            var signatures = new JsonArray();
            foreach (var s in Dsse.Signatures) signatures.Add(new JsonObject { ["sig"] = Convert.ToBase64String(s.Signature), ["keyid"] = s.KeyId });
            root["dsseEnvelope"] = new JsonObject
            {
                ["payload"] = Convert.ToBase64String(Dsse.Payload),
                ["payloadType"] = Dsse.PayloadType,
                ["signatures"] = signatures,
            };
        }
        else if (Message is not null)
        {
            root["messageSignature"] = new JsonObject
            {
                ["messageDigest"] = new JsonObject { ["algorithm"] = Message.DigestAlgorithm, ["digest"] = Convert.ToBase64String(Message.Digest) },
                ["signature"] = Convert.ToBase64String(Message.Signature),
            };
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(root, new JsonSerializerOptions { WriteIndented = true });
        return [.. json, (byte)'\n'];
    }

    /// <summary>
    /// Parses bundle JSON; returns null with a reason when it is not a bundle we can check. A leading byte order mark is
    /// skipped: the bundle's signed content is inside it, base64-encoded, so an editor that re-saved the file changed nothing.
    /// </summary>
    public static SigstoreBundle? TryParse(ReadOnlySpan<byte> json, out string reason)
    {
        reason = "";
        json = UntrustedJson.WithoutByteOrderMark(json);
        if (UntrustedJson.FindInvalidText(json) is { } invalidText)
        {
            reason = $"it is not valid JSON text: {UntrustedJson.InvalidTextReason(invalidText)}.";
            return null;
        }
        try
        {
            if (JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) is not JsonObject root) { reason = "it is not a JSON object."; return null; }
            string? mediaType = Text(root["mediaType"]);
            if (mediaType != MediaType) { reason = $"its mediaType is '{mediaType}', expected '{MediaType}'."; return null; }
            if (root["verificationMaterial"] is not JsonObject material) { reason = "it has no verificationMaterial."; return null; }

            var bundle = new SigstoreBundle
            {
                PublicKeyHint = Text(Field(material, "publicKey", "hint")),
                CertificateDer = Bytes(Field(material, "certificate", "rawBytes"))
                    ?? Bytes(Field((Field(material, "x509CertificateChain", "certificates") as JsonArray)?.FirstOrDefault(), "rawBytes")),
                Rfc3161Timestamps = (Field(material, "timestampVerificationData", "rfc3161Timestamps") as JsonArray ?? [])
                    .Select(t => Bytes(Field(t, "signedTimestamp")) ?? throw new FormatException("a timestamp has no signedTimestamp"))
                    .ToArray(),
                TlogEntries = (material["tlogEntries"] as JsonArray ?? []).Select(TransparencyLogEntry.Parse).ToArray(),
            };
            if (bundle.PublicKeyHint is null && bundle.CertificateDer is null)
            {
                reason = "its verificationMaterial names neither a public key nor a certificate.";
                return null;
            }
            if (root["dsseEnvelope"] is JsonObject envelope)
            {
                var signatures = (envelope["signatures"] as JsonArray ?? [])
                    .Select(s => new DsseSignature(Text(Field(s, "keyid")) ?? "", Bytes(Field(s, "sig")) ?? throw new FormatException("a DSSE signature has no sig")))
                    .ToArray();
                bundle = bundle with
                {
                    Dsse = new DsseEnvelope(
                        Text(envelope["payloadType"]) ?? throw new FormatException("the DSSE envelope has no payloadType"),
                        Bytes(envelope["payload"]) ?? throw new FormatException("the DSSE envelope has no payload"),
                        signatures),
                };
            }
            else if (root["messageSignature"] is JsonObject message)
            {
                bundle = bundle with
                {
                    Message = new MessageSignature(
                        Text(Field(message, "messageDigest", "algorithm")) ?? throw new FormatException("the message digest has no algorithm"),
                        Bytes(Field(message, "messageDigest", "digest")) ?? throw new FormatException("the message digest is missing"),
                        Bytes(message["signature"]) ?? throw new FormatException("the message signature is missing")),
                };
            }
            else
            {
                reason = "it holds neither a dsseEnvelope nor a messageSignature.";
                return null;
            }
            return bundle;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            reason = e.Message.TrimEnd('.') + ".";
            return null;
        }
    }

    /// <summary>The value at a path of field names, or null where a step is missing or not an object.</summary>
    private static JsonNode? Field(JsonNode? node, params ReadOnlySpan<string> path)
    {
        foreach (string name in path) node = node is JsonObject obj ? obj[name] : null;
        return node;
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static byte[]? Bytes(JsonNode? node) => Text(node) is { } text ? Convert.FromBase64String(text) : null;
}
