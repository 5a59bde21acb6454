using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Packages;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Keys;

public sealed class Ed25519KeyTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-ed25519");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Rfc8032_test_vector_1_signs_and_verifies_through_the_PKCS8_and_SPKI_encodings()
    {
        // RFC 8032 section 7.1, TEST 1: the empty message.
        byte[] secret = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        writer.WriteOctetString(secret);
        var info = new Pkcs8PrivateKeyInfo(new Oid(Ed25519Key.Oid), null, writer.Encode());

        using var key = Ed25519Key.FromPkcs8(info);
        byte[] signature = key.SignData([]);

        Assert.Equal("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            Convert.ToHexStringLower(signature));
        byte[] spki = key.ExportSubjectPublicKeyInfo();
        // RFC 8410 SubjectPublicKeyInfo: 30 2a 30 05 06 03 2b 65 70 03 21 00 || public key.
        Assert.Equal("302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Convert.ToHexStringLower(spki));
        var publicKey = VerificationKey.FromSubjectPublicKeyInfo(spki, "vector");
        Assert.Equal(SignatureAlgorithm.Ed25519, publicKey.Algorithm);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(spki)), publicKey.Id.Hex);
        Assert.True(publicKey.Verify([], signature));
        Assert.False(publicKey.Verify("x"u8, signature));
        signature[5] ^= 1;
        Assert.False(publicKey.Verify([], signature));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("pw-ed")]
    public void Keygen_pair_loads_signs_a_DSSE_bundle_and_verifies_with_openssl(string? password)
    {
        string privatePath = _temp.Combine("ed.pem");
        string publicPath = _temp.Combine("ed.pub.pem");
        var publicKey = KeyGenerator.WriteKeyPair(KeyKind.Ed25519, privatePath, publicPath, password, overwrite: false);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, UnixFile.GetMode(privatePath));
        Assert.Contains(password is null ? "BEGIN PRIVATE KEY" : "BEGIN ENCRYPTED PRIVATE KEY", File.ReadAllText(privatePath));

        using var key = SigningKeyLoader.Load(new SigningKeyOptions(privatePath, password is null ? null : "ED_PW"), v => v == "ED_PW" ? password : null);
        Assert.Equal(SignatureAlgorithm.Ed25519, key.Algorithm);
        Assert.Equal(publicKey.Id, key.Id);

        var statement = new InTotoStatement([new Subject("a.dll", new string('a', 64))], "https://example.com/test", new System.Text.Json.Nodes.JsonObject());
        var bundle = AttestationSigner.SignStatement(statement, key);
        Assert.Equal(64, bundle.Dsse!.Signatures[0].Signature.Length);
        string bundlePath = _temp.WriteFile("s.sigstore.json", bundle.ToJsonBytes());
        Assert.Equal(publicKey.Id, BundleVerifier.VerifyStatement(bundlePath, [VerificationKey.FromFile(publicPath)]).SignedBy.Id);

        // openssl checks the PureEdDSA signature over the PAE bytes independently.
        string pae = _temp.WriteFile("pae.bin", Pae.Encode(bundle.Dsse.PayloadType, bundle.Dsse.Payload));
        string sig = _temp.WriteFile("sig.bin", bundle.Dsse.Signatures[0].Signature);
        var openssl = ProcessRunner.Run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", publicPath, "-rawin", "-in", pae, "-sigfile", sig]);
        Assert.True(openssl.ExitCode == 0 && openssl.StandardOutput.Contains("Signature Verified Successfully"), openssl.ToString());
        // and openssl reads the private key and agrees on the public key.
        var derived = ProcessRunner.Run("openssl", password is null
            ? ["pkey", "-in", privatePath, "-pubout"]
            : ["pkey", "-in", privatePath, "-passin", "pass:" + password, "-pubout"]);
        Assert.Equal(File.ReadAllText(publicPath).Trim(), derived.StandardOutput.Trim());
    }

    [Fact]
    public void A_key_made_by_openssl_loads_and_its_blob_bundle_verifies()
    {
        string privatePath = _temp.Combine("openssl-ed.pem");
        PackagedRun("openssl", "genpkey", "-algorithm", "ed25519", "-out", privatePath);
        UnixFile.RestrictToOwner(privatePath);
        string publicPath = _temp.Combine("openssl-ed.pub.pem");
        PackagedRun("openssl", "pkey", "-in", privatePath, "-pubout", "-out", publicPath);

        using var key = TestKeys.Load(privatePath);
        Assert.Equal(VerificationKey.FromFile(publicPath).Id, key.Id);

        byte[] content = Encoding.UTF8.GetBytes("package bytes");
        var bundle = AttestationSigner.SignBlob(new MemoryStream(content), key);
        Assert.Equal(SHA256.HashData(content), bundle.Message!.Digest);
        string bundlePath = _temp.WriteFile("blob.sigstore.json", bundle.ToJsonBytes());
        var trusted = new[] { VerificationKey.FromFile(publicPath) };
        BundleVerifier.VerifyBlob(bundlePath, BundleVerifier.ReadBundle(bundlePath), new MemoryStream(content), trusted);
        var e = Assert.Throws<BuildSigningException>(() =>
            BundleVerifier.VerifyBlob(bundlePath, BundleVerifier.ReadBundle(bundlePath), new MemoryStream(Encoding.UTF8.GetBytes("package byteZ")), trusted));
        Assert.Equal("BS3002", e.Code);

        string blob = _temp.WriteFile("blob.bin", content);
        string sig = _temp.WriteFile("blob.sig", bundle.Message.Signature);
        var openssl = ProcessRunner.Run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", publicPath, "-rawin", "-in", blob, "-sigfile", sig]);
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
    }

    [Fact]
    public void An_Ed25519_key_cannot_author_sign_a_NuGet_package_BS1058()
    {
        string privatePath = _temp.Combine("ed.pem");
        KeyGenerator.WriteKeyPair(KeyKind.Ed25519, privatePath, _temp.Combine("ed.pub.pem"), null, overwrite: false);
        using var key = TestKeys.Load(privatePath);
        var e = Assert.Throws<BuildSigningException>(() =>
            PackageSigningIdentity.RequireUsableForPackages(key, new KeyConfiguration(privatePath, null, null, false)));
        Assert.Equal("BS1058", e.Code);
        Assert.Contains("BuildSigningSignPackage=false", e.Message);
    }

    private static void PackagedRun(string file, params string[] arguments)
    {
        var result = ProcessRunner.Run(file, arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
