using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace BuildSigning.Core.Keys;

/// <summary>
/// An Ed25519 key (RFC 8032 PureEdDSA, RFC 8410 encodings) behind the BCL's <see cref="AsymmetricAlgorithm"/> shape, so it
/// travels through the same loaders, PEM export and key ids as ECDSA and RSA keys. The BCL has no Ed25519: the arithmetic is
/// BouncyCastle's. PureEdDSA signs the message itself (here the DSSE PAE bytes), never a digest.
/// </summary>
public sealed class Ed25519Key : AsymmetricAlgorithm
{
    /// <summary>id-Ed25519 (RFC 8410).</summary>
    public const string Oid = "1.3.101.112";
    public const int SignatureSize = 64;

    private readonly Ed25519PrivateKeyParameters? _private;
    private readonly Ed25519PublicKeyParameters _public;

    private Ed25519Key(Ed25519PrivateKeyParameters? privateKey, Ed25519PublicKeyParameters publicKey)
    {
        _private = privateKey;
        _public = publicKey;
        KeySizeValue = 256;
        LegalKeySizesValue = [new KeySizes(256, 256, 0)];
    }

    public static Ed25519Key Generate() => FromPrivate(new Ed25519PrivateKeyParameters(new SecureRandom()));

    private static Ed25519Key FromPrivate(Ed25519PrivateKeyParameters key) => new(key, key.GeneratePublicKey());

    public bool HasPrivateKey => _private is not null;

    public override string? SignatureAlgorithm => "Ed25519";
    public override string? KeyExchangeAlgorithm => null;

    /// <summary>Reads the private key of a PKCS#8 PrivateKeyInfo whose algorithm is id-Ed25519 (its key is an OCTET STRING of 32 bytes).</summary>
    public static Ed25519Key FromPkcs8(Pkcs8PrivateKeyInfo info)
    {
        if (info.AlgorithmId.Value != Oid) throw new CryptographicException("The PKCS#8 key is not an Ed25519 key.");
        try
        {
            var reader = new AsnReader(info.PrivateKeyBytes, AsnEncodingRules.DER);
            byte[] seed = reader.ReadOctetString();
            reader.ThrowIfNotEmpty();
            if (seed.Length != Ed25519PrivateKeyParameters.KeySize) throw new CryptographicException($"An Ed25519 private key has 32 bytes, not {seed.Length}.");
            try
            {
                return FromPrivate(new Ed25519PrivateKeyParameters(seed));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("The Ed25519 private key is not a DER OCTET STRING.", e);
        }
    }

    /// <summary>True when the DER SubjectPublicKeyInfo names id-Ed25519.</summary>
    public static bool IsEd25519SubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        try
        {
            var reader = new AsnReader(spki.ToArray(), AsnEncodingRules.DER).ReadSequence();
            return reader.ReadSequence().ReadObjectIdentifier() == Oid;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>A public key from a DER SubjectPublicKeyInfo (algorithm id-Ed25519 without parameters, 32-byte key).</summary>
    public static Ed25519Key FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        try
        {
            var outer = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
            var sequence = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var algorithm = sequence.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != Oid) throw new CryptographicException("The public key is not an Ed25519 key.");
            algorithm.ThrowIfNotEmpty();
            byte[] key = sequence.ReadBitString(out int unused);
            sequence.ThrowIfNotEmpty();
            if (unused != 0 || key.Length != Ed25519PublicKeyParameters.KeySize) throw new CryptographicException("An Ed25519 public key has 32 bytes.");
            return new Ed25519Key(null, new Ed25519PublicKeyParameters(key));
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("The Ed25519 public key is not valid DER.", e);
        }
        catch (ArgumentException e)
        {
            // BouncyCastle refuses 32 bytes that are not a point of the curve.
            throw new CryptographicException("The Ed25519 public key is not a point of the curve.", e);
        }
    }

    public override byte[] ExportSubjectPublicKeyInfo()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence()) writer.WriteObjectIdentifier(Oid);
            writer.WriteBitString(_public.GetEncoded());
        }
        return writer.Encode();
    }

    public override byte[] ExportPkcs8PrivateKey()
    {
        var info = Pkcs8Info();
        return info.Encode();
    }

    public override byte[] ExportEncryptedPkcs8PrivateKey(ReadOnlySpan<char> password, PbeParameters pbeParameters) =>
        Pkcs8Info().Encrypt(password, pbeParameters);

    public override byte[] ExportEncryptedPkcs8PrivateKey(ReadOnlySpan<byte> passwordBytes, PbeParameters pbeParameters) =>
        Pkcs8Info().Encrypt(passwordBytes, pbeParameters);

    private Pkcs8PrivateKeyInfo Pkcs8Info()
    {
        var key = _private ?? throw new CryptographicException("This Ed25519 key has no private part.");
        byte[] seed = key.GetEncoded();
        try
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            writer.WriteOctetString(seed);
            return new Pkcs8PrivateKeyInfo(new Oid(Oid), algorithmParameters: null, writer.Encode(), skipCopies: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>PureEdDSA (RFC 8032) over the whole message: 64 bytes.</summary>
    public byte[] SignData(ReadOnlySpan<byte> data)
    {
        var signer = new Ed25519Signer();
        signer.Init(true, _private ?? throw new CryptographicException("This Ed25519 key has no private part."));
        signer.BlockUpdate(data);
        return signer.GenerateSignature();
    }

    public bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureSize) return false;
        var verifier = new Ed25519Signer();
        verifier.Init(false, _public);
        verifier.BlockUpdate(data);
        return verifier.VerifySignature(signature.ToArray());
    }
}
