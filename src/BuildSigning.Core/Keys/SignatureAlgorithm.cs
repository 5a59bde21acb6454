using System.Security.Cryptography;

namespace BuildSigning.Core.Keys;

/// <summary>The signature schemes BuildSigning signs and verifies with (the ones cosign and sigstore verifiers accept).</summary>
public enum SignatureAlgorithm
{
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    RsaPkcs1Sha256,
    /// <summary>PureEdDSA (RFC 8032) over the message itself: the DSSE PAE bytes, or a blob's whole content.</summary>
    Ed25519,
}

public static class SignatureAlgorithms
{
    public const int MinimumRsaKeySize = 2048;

    public static HashAlgorithmName HashAlgorithm(this SignatureAlgorithm algorithm) => algorithm switch
    {
        SignatureAlgorithm.EcdsaP384Sha384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA256,
    };

    /// <summary>The Sigstore protobuf name of the message digest algorithm.</summary>
    public static string SigstoreDigestName(this SignatureAlgorithm algorithm) => algorithm switch
    {
        SignatureAlgorithm.EcdsaP384Sha384 => "SHA2_384",
        _ => "SHA2_256",
    };

    /// <summary>Whether the scheme signs a digest (ECDSA, RSA) rather than the message itself (Ed25519).</summary>
    public static bool SignsDigest(this SignatureAlgorithm algorithm) => algorithm != SignatureAlgorithm.Ed25519;

    /// <summary>Returns the scheme for a key, or a description of why it is not usable.</summary>
    public static SignatureAlgorithm? ForKey(AsymmetricAlgorithm key, out string description)
    {
        switch (key)
        {
            case ECDsa ec:
                var curve = ec.ExportParameters(false).Curve;
                string name = curve.Oid?.FriendlyName ?? curve.Oid?.Value ?? "an explicit curve";
                description = $"an ECDSA key on curve {name}";
                return curve.Oid?.Value switch
                {
                    "1.2.840.10045.3.1.7" => SignatureAlgorithm.EcdsaP256Sha256,
                    "1.3.132.0.34" => SignatureAlgorithm.EcdsaP384Sha384,
                    _ => null,
                };
            case Ed25519Key:
                description = "an Ed25519 key";
                return SignatureAlgorithm.Ed25519;
            case RSA rsa:
                description = $"a {rsa.KeySize}-bit RSA key";
                return rsa.KeySize >= MinimumRsaKeySize ? SignatureAlgorithm.RsaPkcs1Sha256 : null;
            default:
                description = $"a {key.GetType().Name} key";
                return null;
        }
    }
}
