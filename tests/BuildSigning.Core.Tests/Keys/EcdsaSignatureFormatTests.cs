using System.Security.Cryptography;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Tests.Keys;

public sealed class EcdsaSignatureFormatTests
{
    [Theory]
    [InlineData(SignatureAlgorithm.EcdsaP256Sha256)]
    [InlineData(SignatureAlgorithm.EcdsaP384Sha384)]
    public void P1363_and_DER_convert_both_ways_and_agree_with_the_BCL(SignatureAlgorithm algorithm)
    {
        int size = EcdsaSignatureFormat.FieldSize(algorithm);
        using var key = ECDsa.Create(size == 32 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
        byte[] digest = new byte[size];
        for (int i = 0; i < 50; i++)
        {
            RandomNumberGenerator.Fill(digest);
            byte[] p1363 = key.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

            Assert.True(EcdsaSignatureFormat.TryP1363ToDer(p1363, size, out byte[] der));
            Assert.True(key.VerifyHash(digest, der, DSASignatureFormat.Rfc3279DerSequence));
            Assert.True(EcdsaSignatureFormat.TryDerToP1363(der, size, out byte[] back));
            Assert.Equal(p1363, back);

            byte[] bclDer = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
            Assert.True(EcdsaSignatureFormat.TryDerToP1363(bclDer, size, out byte[] fromBcl));
            Assert.True(key.VerifyHash(digest, fromBcl, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        }
    }

    [Fact]
    public void Short_integers_are_left_padded_and_high_bits_get_DERs_sign_byte()
    {
        byte[] p1363 = new byte[64];
        p1363[31] = 0x01;                 // r = 1
        p1363[32] = 0x80;                 // s = 0x80 00..00 (high bit set)
        Assert.True(EcdsaSignatureFormat.TryP1363ToDer(p1363, 32, out byte[] der));
        Assert.Equal("3026020101022100" + "80" + new string('0', 62), Convert.ToHexStringLower(der));
        Assert.True(EcdsaSignatureFormat.TryDerToP1363(der, 32, out byte[] back));
        Assert.Equal(p1363, back);
    }

    [Theory]
    [InlineData("")]                                   // nothing
    [InlineData("3006020101020101ff")]                 // trailing byte
    [InlineData("300602010102")]                       // truncated
    [InlineData("30060201ff020101")]                   // negative r
    [InlineData("3006020100020101")]                   // r = 0
    [InlineData("3009020101020101020101")]             // three integers
    public void Malformed_DER_is_refused(string hex)
    {
        Assert.False(EcdsaSignatureFormat.TryDerToP1363(Convert.FromHexString(hex), 32, out _));
    }

    [Fact]
    public void Integers_longer_than_the_field_and_P1363_of_the_wrong_length_are_refused()
    {
        byte[] big = new byte[40];
        big[0] = 0x7f;
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(big);
            writer.WriteInteger([1]);
        }
        Assert.False(EcdsaSignatureFormat.TryDerToP1363(writer.Encode(), 32, out _));
        Assert.False(EcdsaSignatureFormat.TryP1363ToDer(new byte[63], 32, out _));
        Assert.False(EcdsaSignatureFormat.TryP1363ToDer(new byte[96], 32, out _));
    }
}
