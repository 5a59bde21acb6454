using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Transparency;

/// <summary>A transparency-log entry that verified: where it sits in which log, and the log's (trusted) time of logging.</summary>
public sealed record VerifiedLogEntry(long LogIndex, DateTimeOffset IntegratedTime, VerificationKey LogKey, long TreeSize);

/// <summary>
/// Offline checks of a bundle's Rekor entry against log keys the verifier trusts, as sigstore-js (@sigstore/verify) makes them:
/// <list type="number">
/// <item><b>body</b>: the entry is dsse 0.0.1 and its canonicalized body records this bundle (payload hash, signature, verifier key);</item>
/// <item><b>log id</b>: logId.keyId is the SHA-256 of a trusted log key's DER SubjectPublicKeyInfo;</item>
/// <item><b>signed entry timestamp</b>: the SET verifies over RFC 8785 JSON <c>{"body","integratedTime","logID","logIndex"}</c>;</item>
/// <item><b>inclusion proof</b>: RFC 6962 hashing leads from the body's leaf hash to the proof's root hash;</item>
/// <item><b>checkpoint</b>: the signed note is signed by the log key and names the same tree size and root hash.</item>
/// </list>
/// A verified entry's integrated time is a trusted signing time (the log vouches the signature existed then), like an
/// RFC 3161 timestamp. This is the API a deployment-gate policy calls (a threshold counts distinct log keys).
/// </summary>
public static class TransparencyLogVerifier
{
    public const string BodyCheck = "body";
    public const string LogIdCheck = "log id";
    public const string SetCheck = "signed entry timestamp";
    public const string ProofCheck = "inclusion proof";
    public const string CheckpointCheck = "checkpoint";

    /// <summary>Verifies every tlog entry of a DSSE bundle; at least one is required. Throws BS7006-BS7008.</summary>
    public static IReadOnlyList<VerifiedLogEntry> Verify(string path, SigstoreBundle bundle, VerificationKey signer, IReadOnlyCollection<VerificationKey> logKeys)
    {
        if (bundle.TlogEntries.Count == 0) throw Errors.TransparencyLogEntryMissing(path);
        if (bundle.Dsse is not { } envelope) throw Errors.TransparencyLogEntryInvalid(path, BodyCheck, "the bundle holds no DSSE envelope");
        var verified = new List<VerifiedLogEntry>();
        foreach (var entry in bundle.TlogEntries)
        {
            var logKey = logKeys.FirstOrDefault(k => SHA256.HashData(k.SubjectPublicKeyInfo).AsSpan().SequenceEqual(entry.LogId))
                ?? throw Errors.TransparencyLogNotTrusted(path, Hex.Lower(entry.LogId));
            if (Check(entry, envelope, signer, logKey) is { } failure) throw Errors.TransparencyLogEntryInvalid(path, failure.Check, failure.Reason);
            verified.Add(new VerifiedLogEntry(entry.LogIndex, entry.IntegratedAt, logKey, entry.InclusionProof!.TreeSize));
        }
        return verified;
    }

    /// <summary>
    /// The first check the entry fails, or null. Without <paramref name="logKey"/> (a signer that was not given the log's
    /// key) the signatures of the log (SET, checkpoint) are not checked, everything else is.
    /// </summary>
    public static (string Check, string Reason)? Check(TransparencyLogEntry entry, DsseEnvelope envelope, VerificationKey signer, VerificationKey? logKey)
    {
        if (entry.Kind != DsseLogBody.Kind || entry.Version != DsseLogBody.ApiVersion)
        {
            return (BodyCheck, $"the entry is of kind {entry.Kind} {entry.Version}, not dsse 0.0.1");
        }
        if (DsseLogBody.TryParse(entry.CanonicalizedBody, out string reason) is not { } body) return (BodyCheck, reason);
        if (body.Mismatch(envelope, signer) is { } mismatch) return (BodyCheck, mismatch);

        if (logKey is not null)
        {
            if (!SHA256.HashData(logKey.SubjectPublicKeyInfo).AsSpan().SequenceEqual(entry.LogId)) return (LogIdCheck, "logId.keyId is not the SHA-256 of the log key");
            if (entry.SignedEntryTimestamp is not { } set) return (SetCheck, "the entry carries no inclusionPromise.signedEntryTimestamp");
            if (!logKey.Verify(SetPayload(entry), set)) return (SetCheck, "the signed entry timestamp does not verify with the log key over this body, integrated time, log index and log id");
        }

        if (entry.InclusionProof is not { } proof) return (ProofCheck, "the entry carries no inclusionProof");
        byte[]? root = Merkle.RootFromInclusionProof(proof.LogIndex, proof.TreeSize, Merkle.LeafHash(entry.CanonicalizedBody), proof.Hashes);
        if (root is null) return (ProofCheck, $"{proof.Hashes.Count} hashes cannot prove index {proof.LogIndex} in a tree of {proof.TreeSize}");
        if (!root.AsSpan().SequenceEqual(proof.RootHash)) return (ProofCheck, "the proof's hashes do not lead from this body to the proof's root hash");

        if (SignedCheckpoint.TryParse(proof.Checkpoint, out reason) is not { } checkpoint) return (CheckpointCheck, "the checkpoint cannot be read: " + reason);
        if (checkpoint.TreeSize != proof.TreeSize || !checkpoint.RootHash.AsSpan().SequenceEqual(proof.RootHash))
        {
            return (CheckpointCheck, $"the checkpoint names tree size {checkpoint.TreeSize} and another root than the proof (tree size {proof.TreeSize})");
        }
        if (logKey is not null && !checkpoint.IsSignedBy(logKey)) return (CheckpointCheck, "the checkpoint is not signed by the log key");
        return null;
    }

    /// <summary>What the SET signs: RFC 8785 JSON of body (base64), integratedTime, logID (hex), logIndex.</summary>
    public static byte[] SetPayload(TransparencyLogEntry entry) => SetPayload(entry.CanonicalizedBody, entry.IntegratedTime, entry.LogId, entry.LogIndex);

    public static byte[] SetPayload(byte[] body, long integratedTime, byte[] logId, long logIndex) => CanonicalJson.Serialize(new JsonObject
    {
        ["body"] = Convert.ToBase64String(body),
        ["integratedTime"] = integratedTime,
        ["logID"] = Hex.Lower(logId),
        ["logIndex"] = logIndex,
    });

    /// <summary>Loads trusted log keys (PEM public keys); throws BS7009 for one that cannot be used.</summary>
    public static IReadOnlyList<VerificationKey> LoadKeys(IEnumerable<string> paths) => paths.Select(LoadKey).ToArray();

    public static VerificationKey LoadKey(string path)
    {
        try
        {
            return VerificationKey.FromFile(path);
        }
        catch (BuildSigningException e)
        {
            throw Errors.TransparencyLogKeyUnusable(path, e.Diagnostic.Text);
        }
    }

    internal static string Describe(long value) => value.ToString(CultureInfo.InvariantCulture);
}
