using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Keys;
using System.Security.Cryptography.X509Certificates;

namespace BuildSigning.Core.Transparency;

/// <summary>
/// Rekor's "dsse" entry kind, apiVersion 0.0.1. The client proposes
/// <c>{"kind":"dsse","apiVersion":"0.0.1","spec":{"proposedContent":{"envelope":"&lt;envelope JSON&gt;","verifiers":[b64(PEM)]}}}</c>;
/// the log stores the canonicalized (RFC 8785) body
/// <c>{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value":hex},
/// "payloadHash":{"algorithm":"sha256","value":hex},"signatures":[{"signature":b64,"verifier":b64(PEM)}]}}</c>,
/// where envelopeHash is the SHA-256 of the envelope text as submitted and payloadHash that of the decoded payload.
/// </summary>
public sealed record DsseLogBody(string EnvelopeSha256Hex, string PayloadSha256Hex, IReadOnlyList<(byte[] Signature, byte[] VerifierPem)> Signatures)
{
    public const string Kind = "dsse";
    public const string ApiVersion = "0.0.1";

    /// <summary>The envelope as the log receives it (compact JSON, the field names of the DSSE spec).</summary>
    public static string EnvelopeJson(DsseEnvelope envelope)
    {
        var signatures = new JsonArray();
        foreach (var s in envelope.Signatures) signatures.Add(new JsonObject { ["keyid"] = s.KeyId, ["sig"] = Convert.ToBase64String(s.Signature) });
        var json = new JsonObject
        {
            ["payload"] = Convert.ToBase64String(envelope.Payload),
            ["payloadType"] = envelope.PayloadType,
            ["signatures"] = signatures,
        };
        return json.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public static JsonObject ProposedEntry(string envelopeJson, string verifierPem) => new()
    {
        ["kind"] = Kind,
        ["apiVersion"] = ApiVersion,
        ["spec"] = new JsonObject
        {
            ["proposedContent"] = new JsonObject
            {
                ["envelope"] = envelopeJson,
                ["verifiers"] = new JsonArray(Convert.ToBase64String(Encoding.UTF8.GetBytes(verifierPem))),
            },
        },
    };

    /// <summary>The verifier the log records: the signer's certificate when it has one, else its public key (PEM).</summary>
    public static string VerifierPem(SigningKey key) =>
        key.Certificate is { } certificate ? PemEncoding.WriteString("CERTIFICATE", certificate.RawData) + "\n" : key.PublicKey.ExportPem();

    /// <summary>The canonicalized body a log makes of a proposed entry (what the test log stores; what a client expects).</summary>
    public static byte[] Canonicalize(string envelopeJson, DsseEnvelope envelope, string verifierPem)
    {
        var signatures = new JsonArray();
        foreach (var s in envelope.Signatures.OrderBy(s => Convert.ToBase64String(s.Signature), StringComparer.Ordinal))
        {
            signatures.Add(new JsonObject
            {
                ["signature"] = Convert.ToBase64String(s.Signature),
                ["verifier"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(verifierPem)),
            });
        }
        return CanonicalJson.Serialize(new JsonObject
        {
            ["apiVersion"] = ApiVersion,
            ["kind"] = Kind,
            ["spec"] = new JsonObject
            {
                ["envelopeHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(envelopeJson))) },
                ["payloadHash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Hex.Lower(SHA256.HashData(envelope.Payload)) },
                ["signatures"] = signatures,
            },
        });
    }

    /// <summary>Reads a canonicalized dsse 0.0.1 body; null with a reason when it is something else.</summary>
    public static DsseLogBody? TryParse(byte[] body, out string reason)
    {
        reason = "";
        try
        {
            if (JsonNode.Parse(body, documentOptions: CanonicalJson.Strict) is not JsonObject root) { reason = "the body is not a JSON object"; return null; }
            if ((string?)root["kind"] != Kind || (string?)root["apiVersion"] != ApiVersion)
            {
                reason = $"the body is of kind '{(string?)root["kind"]}' version '{(string?)root["apiVersion"]}', not dsse 0.0.1";
                return null;
            }
            var spec = root["spec"] as JsonObject ?? throw new FormatException("the body has no spec");
            string Hash(string name) => (string?)(spec[name] as JsonObject)?["algorithm"] == "sha256" && (string?)spec[name]!["value"] is { } v
                ? v : throw new FormatException($"the body's {name} is not a sha256 hash");
            var signatures = (spec["signatures"] as JsonArray ?? throw new FormatException("the body has no signatures"))
                .Select(s => (Convert.FromBase64String((string?)s?["signature"] ?? throw new FormatException("a body signature has no signature")),
                              Convert.FromBase64String((string?)s?["verifier"] ?? throw new FormatException("a body signature has no verifier"))))
                .ToArray();
            return new DsseLogBody(Hash("envelopeHash"), Hash("payloadHash"), signatures);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            reason = e.Message.TrimEnd('.');
            return null;
        }
    }

    /// <summary>Why this body does not record this envelope signed by this key; null when it does.</summary>
    public string? Mismatch(DsseEnvelope envelope, VerificationKey signer)
    {
        if (!string.Equals(PayloadSha256Hex, Hex.Lower(SHA256.HashData(envelope.Payload)), StringComparison.OrdinalIgnoreCase))
        {
            return "its payloadHash is not the SHA-256 of the bundle's DSSE payload";
        }
        if (Signatures.Count != 1 || envelope.Signatures.Count != 1) return $"it records {Signatures.Count} signatures, the bundle {envelope.Signatures.Count}; exactly one is expected";
        if (!Signatures[0].Signature.AsSpan().SequenceEqual(envelope.Signatures[0].Signature)) return "its signature is not the bundle's DSSE signature";
        VerificationKey logged;
        try
        {
            logged = VerificationKey.FromPem(Encoding.UTF8.GetString(Signatures[0].VerifierPem), "the log entry's verifier");
        }
        catch (Exception e) when (e is Diagnostics.BuildSigningException or CryptographicException or ArgumentException)
        {
            return "its verifier is not a PEM public key";
        }
        return logged.Id.Equals(signer.Id) ? null : $"its verifier is key {logged.Id.Hex}, not the bundle's signer {signer.Id.Hex}";
    }
}
