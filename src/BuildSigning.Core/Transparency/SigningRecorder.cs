using System.Security.Cryptography;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Transparency;

/// <summary>Who signs what, for the audit log: the kind of signing and the build it belongs to.</summary>
public sealed record SigningContext(string EventKind, string? Project = null, string? Configuration = null, string? Commit = null, string? BuilderId = null);

/// <summary>
/// Puts every new signature on the record: a DSSE statement goes to the transparency log (its entry into the bundle),
/// then the event into the audit log. Either may be off. A failure throws before the bundle is written, so no bundle
/// claims a log entry it does not have.
/// </summary>
public sealed class SigningRecorder : ISignatureRecorder
{
    public Uri? TransparencyLogUrl { get; init; }
    /// <summary>The log's public key, when known: the entry's SET and checkpoint are checked at signing too.</summary>
    public VerificationKey? TransparencyLogKey { get; init; }
    public string? AuditLogPath { get; init; }
    public SigningContext Context { get; init; } = new("sign");

    public bool IsActive => TransparencyLogUrl is not null || AuditLogPath is not null;

    /// <summary>Logs a signed DSSE bundle and returns it with its tlog entry; appends the audit line.</summary>
    public SigstoreBundle RecordStatement(SigstoreBundle bundle, SigningKey key, string? bundlePath)
    {
        var envelope = bundle.Dsse ?? throw new ArgumentException("A DSSE bundle is expected.", nameof(bundle));
        if (TransparencyLogUrl is { } url)
        {
            var entry = RekorClient.Submit(url, envelope, key, TransparencyLogKey, bundlePath ?? "a statement");
            bundle = bundle with { TlogEntries = [entry] };
        }
        if (AuditLogPath is { } auditLog)
        {
            var statement = InTotoStatement.TryParse(envelope.Payload, out _);
            AuditLog.Append(auditLog, Event(key, "sha256:" + Hex.Lower(SHA256.HashData(envelope.Payload)), bundlePath) with
            {
                EventKind = Context.EventKind,
                PredicateType = statement?.PredicateType,
                SubjectCount = statement?.Subjects.Count ?? 0,
                TransparencyLog = bundle.TlogEntries.Count > 0 ? TransparencyLogUrl?.OriginalString : null,
                TransparencyLogIndex = bundle.TlogEntries.Count > 0 ? bundle.TlogEntries[0].LogIndex : null,
            }, data => key.Sign(data));
        }
        return bundle;
    }

    /// <summary>Audits a message signature over a file (not logged in the transparency log: see docs/transparency-log.md).</summary>
    public void RecordBlob(MessageSignature message, SigningKey key, string? bundlePath)
    {
        if (AuditLogPath is not { } auditLog) return;
        string algorithm = message.DigestAlgorithm.Replace("SHA2_", "sha", StringComparison.Ordinal);
        AuditLog.Append(auditLog, Event(key, algorithm + ":" + Hex.Lower(message.Digest), bundlePath) with
        {
            EventKind = Context.EventKind + "-file",
            SubjectCount = 1,
        }, data => key.Sign(data));
    }

    private AuditEvent Event(SigningKey key, string digest, string? bundlePath) => new()
    {
        Time = DateTimeOffset.UtcNow,
        KeyId = key.Id.Hex,
        KeyKind = key.Source.StartsWith("pkcs11:", StringComparison.OrdinalIgnoreCase) ? "pkcs11"
            : key.Certificate is not null ? "certificate" : key.IsDevelopmentKey ? "development" : "file",
        Signer = key.Certificate?.Subject,
        StatementDigest = digest,
        Bundle = bundlePath,
        Project = Context.Project,
        Configuration = Context.Configuration,
        Commit = Context.Commit,
        BuilderId = Context.BuilderId,
    };
}
