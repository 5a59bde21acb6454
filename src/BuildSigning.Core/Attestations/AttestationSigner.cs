using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Attestations;

/// <summary>Signs statements as DSSE Sigstore bundles and blobs as message-signature bundles.</summary>
public static class AttestationSigner
{
    public static SigstoreBundle SignStatement(InTotoStatement statement, SigningKey key) =>
        SignPayload(InTotoStatement.PayloadType, statement.ToJsonBytes(), key);

    public static SigstoreBundle SignPayload(string payloadType, byte[] payload, SigningKey key)
    {
        byte[] signature = key.Sign(Pae.Encode(payloadType, payload));
        return WithVerificationMaterial(key) with
        {
            Dsse = new DsseEnvelope(payloadType, payload, [new DsseSignature(key.Id.Base64, signature)]),
        };
    }

    /// <summary>A detached signature over a file's bytes, as cosign sign-blob makes.</summary>
    public static SigstoreBundle SignBlob(Stream content, SigningKey key)
    {
        byte[] digest = key.PublicKey.HashStream(content);
        return WithVerificationMaterial(key) with
        {
            Message = new MessageSignature(key.Algorithm.SigstoreDigestName(), digest, key.SignHash(digest)),
        };
    }

    private static SigstoreBundle WithVerificationMaterial(SigningKey key) => key.Certificate is { } certificate
        ? new SigstoreBundle { CertificateDer = certificate.RawData }
        : new SigstoreBundle { PublicKeyHint = key.Id.Base64 };
}
