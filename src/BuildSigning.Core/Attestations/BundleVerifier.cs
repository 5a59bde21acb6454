using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Attestations;

/// <summary>A statement whose DSSE signature verified with one of the trusted keys.</summary>
public sealed record VerifiedStatement(string BundlePath, InTotoStatement Statement, VerificationKey SignedBy, SigstoreBundle Bundle)
{
    /// <summary>The bundle's RFC 3161 timestamps, each checked to cover the signature and to be signed by its TSA certificate.</summary>
    public IReadOnlyList<Rfc3161Timestamp> Timestamps { get; init; } = [];
}

/// <summary>Checks Sigstore bundles offline against public keys the caller trusts.</summary>
public static class BundleVerifier
{
    public static SigstoreBundle ReadBundle(string path)
    {
        byte[] json;
        try
        {
            json = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.BundleMalformed(path, Errors.Sentence(e), e);
        }
        return SigstoreBundle.TryParse(json, out string reason) ?? throw Errors.BundleMalformed(path, reason);
    }

    public static VerifiedStatement VerifyStatement(string path, IReadOnlyCollection<VerificationKey> trustedKeys) =>
        VerifyStatement(path, ReadBundle(path), trustedKeys);

    public static VerifiedStatement VerifyStatement(string path, SigstoreBundle bundle, IReadOnlyCollection<VerificationKey> trustedKeys)
    {
        if (bundle.Dsse is not { } envelope) throw Errors.BundleMalformed(path, "it holds no DSSE envelope.");
        if (envelope.Signatures.Count != 1) throw Errors.BundleMalformed(path, $"its DSSE envelope has {envelope.Signatures.Count} signatures; exactly one is expected.");
        if (envelope.PayloadType != InTotoStatement.PayloadType)
        {
            throw Errors.BundleMalformed(path, $"its payloadType is '{envelope.PayloadType}', not '{InTotoStatement.PayloadType}'.");
        }
        VerificationKey key = FindSigner(path, bundle, trustedKeys);
        var signature = envelope.Signatures[0];
        if (signature.KeyId.Length > 0 && signature.KeyId != key.Id.Base64 && signature.KeyId != key.Id.Hex)
        {
            throw Errors.BundleMalformed(path, "its DSSE signature's keyid does not match its verification material.");
        }
        if (!key.Verify(Pae.Encode(envelope.PayloadType, envelope.Payload), signature.Signature))
        {
            throw Errors.BundleSignatureInvalid(path, key.Id.Hex);
        }
        var statement = InTotoStatement.TryParse(envelope.Payload, out string reason) ?? throw Errors.BundleMalformed(path, reason);
        return new VerifiedStatement(path, statement, key, bundle) { Timestamps = VerifyTimestamps(path, bundle, signature.Signature) };
    }

    /// <summary>Checks a message-signature bundle against the artifact's bytes.</summary>
    public static VerificationKey VerifyBlob(string path, SigstoreBundle bundle, Stream artifact, IReadOnlyCollection<VerificationKey> trustedKeys)
    {
        if (bundle.Message is not { } message) throw Errors.BundleMalformed(path, "it holds no messageSignature.");
        VerificationKey key = FindSigner(path, bundle, trustedKeys);
        if (message.DigestAlgorithm != key.Algorithm.SigstoreDigestName()) throw Errors.BundleMalformed(path, $"its digest algorithm {message.DigestAlgorithm} does not fit the key.");
        bool verified;
        if (key.Algorithm.SignsDigest())
        {
            byte[] digest = key.HashStream(artifact);
            verified = digest.AsSpan().SequenceEqual(message.Digest) && key.VerifyHash(digest, message.Signature);
        }
        else
        {
            // Ed25519 (PureEdDSA) signed the artifact's bytes themselves.
            byte[] content = AttestationSigner.ReadAll(artifact);
            verified = key.HashStream(new MemoryStream(content, writable: false)).AsSpan().SequenceEqual(message.Digest) && key.Verify(content, message.Signature);
        }
        if (!verified)
        {
            throw Errors.BundleSignatureInvalid(path, key.Id.Hex);
        }
        VerifyTimestamps(path, bundle, message.Signature);
        return key;
    }

    /// <summary>
    /// A timestamp must cover exactly this signature (its imprint is the signature's SHA-256) and carry a valid TSA
    /// signature. Whether the TSA itself is trusted is the verifier's policy; BuildSigning reports who it is.
    /// </summary>
    private static IReadOnlyList<Rfc3161Timestamp> VerifyTimestamps(string path, SigstoreBundle bundle, byte[] signature) =>
        bundle.Rfc3161Timestamps.Select(token => Rfc3161Client.Verify(token, signature, path)).ToArray();

    private static VerificationKey FindSigner(string path, SigstoreBundle bundle, IReadOnlyCollection<VerificationKey> trustedKeys)
    {
        string signerId;
        if (bundle.CertificateDer is { } der)
        {
            try
            {
                using var certificate = X509CertificateLoader.LoadCertificate(der);
                signerId = KeyId.FromSubjectPublicKeyInfo(certificate.PublicKey.ExportSubjectPublicKeyInfo()).Base64;
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw Errors.BundleMalformed(path, "its certificate cannot be read.", e);
            }
        }
        else
        {
            signerId = bundle.PublicKeyHint!;
        }
        var match = trustedKeys.FirstOrDefault(k => k.Id.Base64 == signerId);
        if (match is null)
        {
            string shown = KeyId.TryParse(signerId, out var parsed) ? parsed!.Hex : signerId;
            throw Errors.BundleKeyNotTrusted(path, shown);
        }
        return match;
    }
}
