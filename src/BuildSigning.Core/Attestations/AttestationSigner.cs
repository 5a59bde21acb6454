using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Attestations;

/// <summary>Signs statements as DSSE Sigstore bundles and blobs as message-signature bundles.</summary>
public static class AttestationSigner
{
    public static SigstoreBundle SignStatement(InTotoStatement statement, SigningKey key, Uri? timestampUrl = null, ISignatureRecorder? recorder = null, string? bundlePath = null) =>
        SignPayload(InTotoStatement.PayloadType, statement.ToJsonBytes(), key, timestampUrl, recorder, bundlePath);

    /// <summary>
    /// Signs a DSSE envelope. With <paramref name="timestampUrl"/>, an RFC 3161 timestamp over the signature bytes is
    /// added as verificationMaterial.timestampVerificationData.rfc3161Timestamps[0] (failures throw BS6007-BS6009).
    /// </summary>
    /// <remarks>
    /// With a <paramref name="recorder"/>, the signed envelope is then submitted to its transparency log (the entry goes into
    /// verificationMaterial.tlogEntries) and the event appended to its audit log; failures throw BS7001-BS7023.
    /// </remarks>
    public static SigstoreBundle SignPayload(string payloadType, byte[] payload, SigningKey key, Uri? timestampUrl = null, ISignatureRecorder? recorder = null, string? bundlePath = null)
    {
        byte[] signature = key.Sign(Pae.Encode(payloadType, payload));
        var bundle = WithVerificationMaterial(key, signature, timestampUrl) with
        {
            Dsse = new DsseEnvelope(payloadType, payload, [new DsseSignature(key.Id.Base64, signature)]),
        };
        return recorder is { IsActive: true } ? recorder.RecordStatement(bundle, key, bundlePath) : bundle;
    }

    /// <summary>A detached signature over a file's bytes, as cosign sign-blob makes; optionally timestamped like <see cref="SignPayload"/>.</summary>
    public static SigstoreBundle SignBlob(Stream content, SigningKey key, Uri? timestampUrl = null, ISignatureRecorder? recorder = null, string? bundlePath = null)
    {
        byte[] digest, signature;
        if (key.Algorithm.SignsDigest())
        {
            digest = key.PublicKey.HashStream(content);
            signature = key.SignHash(digest);
        }
        else
        {
            // PureEdDSA signs the content itself (Sigstore's PKIX_ED25519); the digest is recorded as for other keys.
            byte[] bytes = ReadAll(content);
            digest = key.PublicKey.HashStream(new MemoryStream(bytes, writable: false));
            signature = key.Sign(bytes);
        }
        var bundle = WithVerificationMaterial(key, signature, timestampUrl) with
        {
            Message = new MessageSignature(key.Algorithm.SigstoreDigestName(), digest, signature),
        };
        recorder?.RecordBlob(bundle.Message, key, bundlePath);
        return bundle;
    }

    internal static byte[] ReadAll(Stream content)
    {
        using var buffer = new MemoryStream();
        content.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static SigstoreBundle WithVerificationMaterial(SigningKey key, byte[] signature, Uri? timestampUrl)
    {
        var bundle = key.Certificate is { } certificate
            ? new SigstoreBundle { CertificateDer = certificate.RawData }
            : new SigstoreBundle { PublicKeyHint = key.Id.Base64 };
        if (timestampUrl is null) return bundle;
        var timestamp = Rfc3161Client.RequestTimestamp(timestampUrl, signature);
        timestamp.TsaCertificate.Dispose();
        return bundle with { Rfc3161Timestamps = [timestamp.Token] };
    }
}
