using System.Security.Cryptography;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>
/// The readers of what a signing command prints and of Ed25519 public keys, over mutated inputs: the signature decoders only
/// say yes or no, and a damaged public key is a coded error (BS1013), never another exception.
/// </summary>
public sealed class KeyEncodingFuzzTests
{
    private static readonly byte[] DerSignature = SeedSignature();
    private static readonly byte[] Ed25519Spki = Ed25519Key.Generate().ExportSubjectPublicKeyInfo();

    private static byte[] SeedSignature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.SignHash(new byte[32], DSASignatureFormat.Rfc3279DerSequence);
    }

    [Fact]
    public void Ecdsa_signature_conversions_never_throw()
    {
        Fuzz.Run(1050, 3000, [DerSignature, new byte[64]], input =>
        {
            foreach (int size in new[] { 32, 48 })
            {
                if (EcdsaSignatureFormat.TryDerToP1363(input, size, out byte[] p1363))
                {
                    if (p1363.Length != 2 * size) throw new InvalidOperationException("wrong P1363 length");
                    if (!EcdsaSignatureFormat.TryP1363ToDer(p1363, size, out _)) throw new InvalidOperationException("no round trip");
                }
                _ = EcdsaSignatureFormat.DerCandidates(input, size).ToArray();
            }
            _ = SignerCommand.DecodeBase64(System.Text.Encoding.Latin1.GetString(input));
        }, codedErrorsAllowed: false);
    }

    [Fact]
    public void Damaged_Ed25519_public_keys_are_BS1013_or_valid()
    {
        Fuzz.Run(1051, 2000, [Ed25519Spki], input =>
        {
            try
            {
                var key = VerificationKey.FromSubjectPublicKeyInfo(input, "fuzz.pub.pem");
                _ = key.Verify("x"u8, new byte[64]);
            }
            catch (BuildSigningException e) when (e.Code == "BS1013")
            {
            }
        }, codedErrorsAllowed: false);
    }
}
