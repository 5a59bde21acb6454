using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BuildSigning.Core.Keys;

/// <summary>A private key that signs, with its optional certificate. Never printed or serialized by BuildSigning except by keygen.</summary>
public sealed class SigningKey : IDisposable
{
    private readonly AsymmetricAlgorithm _key;

    internal SigningKey(AsymmetricAlgorithm key, SignatureAlgorithm algorithm, string source, X509Certificate2? certificate, bool isDevelopmentKey)
    {
        _key = key;
        Algorithm = algorithm;
        Source = source;
        Certificate = certificate;
        IsDevelopmentKey = isDevelopmentKey;
        byte[] spki = key switch
        {
            ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
            RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
            Ed25519Key ed => ed.ExportSubjectPublicKeyInfo(),
            _ => throw new ArgumentException("Only ECDSA, RSA and Ed25519 keys are supported.", nameof(key)),
        };
        PublicKey = VerificationKey.FromSubjectPublicKeyInfo(spki, source);
    }

    public SignatureAlgorithm Algorithm { get; }
    public string Source { get; }
    public X509Certificate2? Certificate { get; }
    public bool IsDevelopmentKey { get; }
    public VerificationKey PublicKey { get; }
    public KeyId Id => PublicKey.Id;

    internal AsymmetricAlgorithm Key => _key;

    /// <summary>Signs data with the key's scheme; ECDSA signatures are ASN.1 DER as DSSE and Sigstore expect.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => _key switch
    {
        ECDsa ec => ec.SignData(data, Algorithm.HashAlgorithm(), DSASignatureFormat.Rfc3279DerSequence),
        RSA rsa => rsa.SignData(data, Algorithm.HashAlgorithm(), RSASignaturePadding.Pkcs1),
        Ed25519Key ed => ed.SignData(data),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Signs a digest computed elsewhere (streamed), with the key's hash algorithm. Not for Ed25519, which signs messages (see <see cref="SignatureAlgorithms.SignsDigest"/>).</summary>
    public byte[] SignHash(ReadOnlySpan<byte> digest) => _key switch
    {
        ECDsa ec => ec.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence),
        RSA rsa => rsa.SignHash(digest, Algorithm.HashAlgorithm(), RSASignaturePadding.Pkcs1),
        _ => throw new InvalidOperationException(),
    };

    public void Dispose()
    {
        _key.Dispose();
        Certificate?.Dispose();
    }
}
