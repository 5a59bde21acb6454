using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Attestations;

/// <summary>
/// Puts a new signature on the record before its bundle is written (Transparency.SigningRecorder: a transparency log
/// and an audit log). Declared here so signing does not depend on the logs it may be recorded in.
/// </summary>
public interface ISignatureRecorder
{
    bool IsActive { get; }

    /// <summary>Records a signed DSSE bundle; returns it with whatever the record adds (its transparency-log entry).</summary>
    SigstoreBundle RecordStatement(SigstoreBundle bundle, SigningKey key, string? bundlePath);

    /// <summary>Records a message signature over a file.</summary>
    void RecordBlob(MessageSignature message, SigningKey key, string? bundlePath);
}
