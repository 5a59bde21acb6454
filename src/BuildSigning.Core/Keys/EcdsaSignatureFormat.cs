using System.Formats.Asn1;
using System.Numerics;

namespace BuildSigning.Core.Keys;

/// <summary>
/// The two encodings of an ECDSA signature: ASN.1 DER <c>SEQUENCE { INTEGER r, INTEGER s }</c> (RFC 3279, what DSSE, Sigstore
/// and X.509 use) and IEEE P1363 <c>r || s</c>, each a big-endian integer of the curve's field size (what some key services return).
/// </summary>
public static class EcdsaSignatureFormat
{
    /// <summary>The byte length of r (and of s) for a scheme: 32 for P-256, 48 for P-384.</summary>
    public static int FieldSize(SignatureAlgorithm algorithm) => algorithm switch
    {
        SignatureAlgorithm.EcdsaP256Sha256 => 32,
        SignatureAlgorithm.EcdsaP384Sha384 => 48,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), "Not an ECDSA scheme."),
    };

    /// <summary>r || s to DER; false when the input is not 2 × <paramref name="fieldSize"/> bytes.</summary>
    public static bool TryP1363ToDer(ReadOnlySpan<byte> p1363, int fieldSize, out byte[] der)
    {
        der = [];
        if (p1363.Length != 2 * fieldSize) return false;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(new BigInteger(p1363[..fieldSize], isUnsigned: true, isBigEndian: true));
            writer.WriteInteger(new BigInteger(p1363[fieldSize..], isUnsigned: true, isBigEndian: true));
        }
        der = writer.Encode();
        return true;
    }

    /// <summary>
    /// DER to r || s; false unless the input is exactly one DER SEQUENCE of two positive INTEGERs that fit the field size
    /// (nothing before or after it).
    /// </summary>
    public static bool TryDerToP1363(ReadOnlySpan<byte> der, int fieldSize, out byte[] p1363)
    {
        p1363 = [];
        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var result = new byte[2 * fieldSize];
            for (int i = 0; i < 2; i++)
            {
                BigInteger value = sequence.ReadInteger();
                if (value.Sign <= 0) return false;
                int length = value.GetByteCount(isUnsigned: true);
                if (length > fieldSize) return false;
                value.TryWriteBytes(result.AsSpan(i * fieldSize + fieldSize - length, length), out _, isUnsigned: true, isBigEndian: true);
            }
            sequence.ThrowIfNotEmpty();
            p1363 = result;
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>
    /// The DER forms a key service's ECDSA signature may stand for: itself when it is DER, and its DER conversion when it has
    /// the P1363 length. The caller keeps the one that verifies.
    /// </summary>
    public static IEnumerable<byte[]> DerCandidates(byte[] signature, int fieldSize)
    {
        if (TryDerToP1363(signature, fieldSize, out byte[] p1363) && TryP1363ToDer(p1363, fieldSize, out byte[] canonical))
        {
            yield return canonical;
        }
        if (TryP1363ToDer(signature, fieldSize, out byte[] der)) yield return der;
    }
}
