using System.Formats.Asn1;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;

namespace BuildSigning.Core.Keys.Pkcs11;

/// <summary>
/// An ECDSA key whose private half stays in a PKCS#11 token: SignHash is one C_Sign (CKM_ECDSA, IEEE P1363 r||s, which
/// the base class converts to DER when asked); everything public comes from the token's public key.
/// </summary>
internal sealed class Pkcs11ECDsa : ECDsa
{
    private readonly Pkcs11KeyHandle _handle;
    private readonly ECDsa _public;

    public Pkcs11ECDsa(Pkcs11KeyHandle handle, ECParameters publicParameters)
    {
        _handle = handle;
        _public = ECDsa.Create(publicParameters);
        KeySizeValue = _public.KeySize;
        LegalKeySizesValue = [new KeySizes(KeySizeValue, KeySizeValue, 0)];
    }

    public override byte[] SignHash(byte[] hash) => _handle.Sign(CKM.CKM_ECDSA, hash);

    public override bool VerifyHash(byte[] hash, byte[] signature) => _public.VerifyHash(hash, signature);

    public override ECParameters ExportParameters(bool includePrivateParameters) =>
        includePrivateParameters ? throw new CryptographicException("The private key stays in the PKCS#11 token.") : _public.ExportParameters(false);

    public override ECParameters ExportExplicitParameters(bool includePrivateParameters) =>
        includePrivateParameters ? throw new CryptographicException("The private key stays in the PKCS#11 token.") : _public.ExportExplicitParameters(false);

    public override void ImportParameters(ECParameters parameters) => throw new NotSupportedException("A PKCS#11 token key cannot be replaced.");

    public override void GenerateKey(ECCurve curve) => throw new NotSupportedException("A PKCS#11 token key cannot be replaced.");

    protected override byte[] HashData(byte[] data, int offset, int count, HashAlgorithmName hashAlgorithm) =>
        CryptographicOperations.HashData(hashAlgorithm, data.AsSpan(offset, count));

    protected override byte[] HashData(Stream data, HashAlgorithmName hashAlgorithm) => CryptographicOperations.HashData(hashAlgorithm, data);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
            _public.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// An RSA key whose private half stays in a PKCS#11 token: PKCS#1 v1.5 signatures as one C_Sign (CKM_RSA_PKCS over the
/// DigestInfo), which is what DSSE (RsaPkcs1Sha256) and CmsSigner (NuGet author signatures) ask of it.
/// </summary>
internal sealed class Pkcs11Rsa : RSA
{
    private readonly Pkcs11KeyHandle _handle;
    private readonly RSA _public;

    public Pkcs11Rsa(Pkcs11KeyHandle handle, RSAParameters publicParameters)
    {
        _handle = handle;
        _public = RSA.Create(publicParameters);
        KeySizeValue = _public.KeySize;
        LegalKeySizesValue = [new KeySizes(KeySizeValue, KeySizeValue, 0)];
    }

    public override byte[] SignHash(byte[] hash, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding)
    {
        if (padding != RSASignaturePadding.Pkcs1) throw new CryptographicException($"The PKCS#11 key signs with PKCS#1 v1.5 padding only, not {padding}.");
        return _handle.Sign(CKM.CKM_RSA_PKCS, DigestInfo(hashAlgorithm, hash));
    }

    public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
        _public.VerifyHash(hash, signature, hashAlgorithm, padding);

    public override RSAParameters ExportParameters(bool includePrivateParameters) =>
        includePrivateParameters ? throw new CryptographicException("The private key stays in the PKCS#11 token.") : _public.ExportParameters(false);

    public override void ImportParameters(RSAParameters parameters) => throw new NotSupportedException("A PKCS#11 token key cannot be replaced.");

    public override byte[] Encrypt(byte[] data, RSAEncryptionPadding padding) => _public.Encrypt(data, padding);

    public override byte[] Decrypt(byte[] data, RSAEncryptionPadding padding) => throw new NotSupportedException("BuildSigning only signs with a PKCS#11 key.");

    protected override byte[] HashData(byte[] data, int offset, int count, HashAlgorithmName hashAlgorithm) =>
        CryptographicOperations.HashData(hashAlgorithm, data.AsSpan(offset, count));

    protected override byte[] HashData(Stream data, HashAlgorithmName hashAlgorithm) => CryptographicOperations.HashData(hashAlgorithm, data);

    /// <summary>DER DigestInfo ::= SEQUENCE { SEQUENCE { algorithm OID, NULL }, OCTET STRING digest } (RFC 8017 section 9.2).</summary>
    internal static byte[] DigestInfo(HashAlgorithmName hashAlgorithm, byte[] hash)
    {
        (string oid, int length) = hashAlgorithm.Name switch
        {
            "SHA256" => ("2.16.840.1.101.3.4.2.1", 32),
            "SHA384" => ("2.16.840.1.101.3.4.2.2", 48),
            "SHA512" => ("2.16.840.1.101.3.4.2.3", 64),
            _ => throw new CryptographicException($"The PKCS#11 key does not sign {hashAlgorithm.Name} digests."),
        };
        if (hash.Length != length) throw new CryptographicException($"A {hashAlgorithm.Name} digest has {length} bytes, not {hash.Length}.");
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(oid);
                writer.WriteNull();
            }
            writer.WriteOctetString(hash);
        }
        return writer.Encode();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
            _public.Dispose();
        }
        base.Dispose(disposing);
    }
}
