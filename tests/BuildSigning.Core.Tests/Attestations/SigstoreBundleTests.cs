using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Attestations;

public sealed class SigstoreBundleTests : IDisposable
{
    private const string DigestA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private readonly TempDirectory _temp = new("bs-bundle");

    public void Dispose() => _temp.Dispose();

    private static InTotoStatement Statement(string digest = DigestA) =>
        new([new Subject("app.dll", digest), new Subject("lib/x.dll", new string('b', 64))], "https://example.com/p/v1", new JsonObject { ["k"] = "v" });

    private SigningKey Key(TestKeyKind kind = TestKeyKind.EcdsaP256) => TestKeys.LoadSigningKey(_temp, kind);

    private string WriteBundle(SigstoreBundle bundle, string name = "b.sigstore.json") => _temp.WriteFile(name, bundle.ToJsonBytes());

    private static JsonObject Json(SigstoreBundle bundle) => (JsonObject)JsonNode.Parse(bundle.ToJsonBytes())!;

    private string WriteJson(JsonNode json, string name = "edited.sigstore.json") => _temp.WriteFile(name, json.ToJsonString());

    private static BuildSigningException Fails(Action action) => Assert.Throws<BuildSigningException>(action);

    // ---- DSSE bundles ----

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256)]
    [InlineData(TestKeyKind.EcdsaP384)]
    [InlineData(TestKeyKind.Rsa2048)]
    public void Dsse_bundle_round_trips_through_a_file_and_verifies(TestKeyKind kind)
    {
        using var key = Key(kind);
        var statement = Statement();

        string path = WriteBundle(AttestationSigner.SignStatement(statement, key));
        var verified = BundleVerifier.VerifyStatement(path, [key.PublicKey]);

        Assert.Equal(path, verified.BundlePath);
        Assert.Equal(key.Id, verified.SignedBy.Id);
        Assert.Equal(statement.Subjects, verified.Statement.Subjects);
        Assert.Equal(statement.ToJsonBytes(), verified.Statement.ToJsonBytes());
    }

    [Fact]
    public void Bundle_json_has_the_v03_shape_with_a_public_key_hint()
    {
        using var key = Key();
        using var reference = TestKeys.Create(TestKeyKind.EcdsaP256);
        string expectedHint = Convert.ToBase64String(SHA256.HashData(reference.ExportSubjectPublicKeyInfo()));
        var statement = Statement();

        var json = Json(AttestationSigner.SignStatement(statement, key));

        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", (string?)json["mediaType"]);
        Assert.Equal(SigstoreBundle.MediaType, (string?)json["mediaType"]);
        var material = json["verificationMaterial"]!.AsObject();
        Assert.Equal(expectedHint, (string?)material["publicKey"]!["hint"]);
        Assert.Null(material["certificate"]);
        Assert.Empty(material["tlogEntries"]!.AsArray());
        Assert.Null(material["timestampVerificationData"]);
        var envelope = json["dsseEnvelope"]!.AsObject();
        Assert.Null(json["messageSignature"]);
        Assert.Equal("application/vnd.in-toto+json", (string?)envelope["payloadType"]);
        Assert.Equal(statement.ToJsonBytes(), Convert.FromBase64String((string)envelope["payload"]!));
        var signature = Assert.Single(envelope["signatures"]!.AsArray())!;
        Assert.Equal(expectedHint, (string?)signature["keyid"]);
        // ECDSA signatures are ASN.1 DER (a SEQUENCE), not raw r||s.
        byte[] sig = Convert.FromBase64String((string)signature["sig"]!);
        Assert.Equal(0x30, sig[0]);
        Assert.True(reference is ECDsa ec && ec.VerifyData(Pae.Encode(InTotoStatement.PayloadType, statement.ToJsonBytes()), sig, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void Bundle_file_ends_with_a_newline_and_is_valid_json()
    {
        using var key = Key();
        byte[] bytes = AttestationSigner.SignStatement(Statement(), key).ToJsonBytes();
        Assert.Equal((byte)'\n', bytes[^1]);
        using var _ = JsonDocument.Parse(bytes);
    }

    [Fact]
    public void Altered_payload_is_BS3002()
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        byte[] otherPayload = Statement(new string('c', 64)).ToJsonBytes();
        json["dsseEnvelope"]!["payload"] = Convert.ToBase64String(otherPayload);
        string path = WriteJson(json);

        var e = Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey]));

        Assert.Equal("BS3002", e.Code);
        Assert.Contains(path, e.Message);
        Assert.Contains(key.Id.Hex, e.Message);
    }

    [Fact]
    public void Altered_payload_type_is_rejected()
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        json["dsseEnvelope"]!["payloadType"] = "application/json";
        string path = WriteJson(json);

        var e = Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey]));

        Assert.Contains(e.Code, new[] { "BS3001", "BS3002" });
    }

    [Fact]
    public void Altered_signature_is_BS3002()
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        byte[] sig = Convert.FromBase64String((string)json["dsseEnvelope"]!["signatures"]![0]!["sig"]!);
        sig[^3] ^= 0x01;
        json["dsseEnvelope"]!["signatures"]![0]!["sig"] = Convert.ToBase64String(sig);
        string path = WriteJson(json);

        Assert.Equal("BS3002", Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey])).Code);
    }

    [Fact]
    public void Signature_by_another_key_with_a_forged_hint_is_BS3002()
    {
        using var trusted = Key();
        using var otherEc = TestKeys.CreateOtherP256();
        using var attacker = TestKeys.Load(TestKeys.WritePrivateKeyPem(_temp.Combine("attacker.pem"), otherEc));
        var json = Json(AttestationSigner.SignStatement(Statement(), attacker));
        json["verificationMaterial"]!["publicKey"]!["hint"] = trusted.Id.Base64;
        json["dsseEnvelope"]!["signatures"]![0]!["keyid"] = trusted.Id.Base64;
        string path = WriteJson(json);

        Assert.Equal("BS3002", Fails(() => BundleVerifier.VerifyStatement(path, [trusted.PublicKey])).Code);
    }

    [Fact]
    public void Unknown_key_is_BS3003_and_names_the_signer()
    {
        using var signer = Key();
        using var otherEc = TestKeys.CreateOtherP256();
        using var other = TestKeys.Load(TestKeys.WritePrivateKeyPem(_temp.Combine("other.pem"), otherEc));
        string path = WriteBundle(AttestationSigner.SignStatement(Statement(), signer));

        var e = Fails(() => BundleVerifier.VerifyStatement(path, [other.PublicKey]));

        Assert.Equal("BS3003", e.Code);
        Assert.Contains(signer.Id.Hex, e.Message);
        Assert.Equal("BS3003", Fails(() => BundleVerifier.VerifyStatement(path, [])).Code);
    }

    [Fact]
    public void Verifies_when_the_signer_is_one_of_several_trusted_keys()
    {
        using var signer = Key();
        using var otherEc = TestKeys.CreateOtherP256();
        using var other = TestKeys.Load(TestKeys.WritePrivateKeyPem(_temp.Combine("other.pem"), otherEc));
        string path = WriteBundle(AttestationSigner.SignStatement(Statement(), signer));

        var verified = BundleVerifier.VerifyStatement(path, [other.PublicKey, signer.PublicKey]);

        Assert.Equal(signer.Id, verified.SignedBy.Id);
    }

    [Theory]
    [InlineData("{ this is not json")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{}")]
    public void Corrupted_json_is_BS3001(string content)
    {
        using var key = Key();
        string path = _temp.WriteFile("bad.sigstore.json", content);
        var e = Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey]));
        Assert.Equal("BS3001", e.Code);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Truncated_bundle_is_BS3001()
    {
        using var key = Key();
        byte[] bytes = AttestationSigner.SignStatement(Statement(), key).ToJsonBytes();
        string path = _temp.WriteFile("t.sigstore.json", bytes[..(bytes.Length / 2)]);
        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey])).Code);
    }

    [Theory]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.2")]
    [InlineData("application/json")]
    [InlineData(null)]
    public void Wrong_media_type_is_BS3001(string? mediaType)
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        json["mediaType"] = mediaType;
        string path = WriteJson(json);

        var e = Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey]));

        Assert.Equal("BS3001", e.Code);
        Assert.Contains("mediaType", e.Message);
    }

    [Fact]
    public void Bundle_saved_with_a_byte_order_mark_still_verifies()
    {
        // The signed content is inside, base64-encoded: an editor that re-saved the file as "UTF-8 with signature" changed nothing.
        using var key = Key();
        byte[] bytes = AttestationSigner.SignStatement(Statement(), key).ToJsonBytes();
        string path = _temp.WriteFile("bom.sigstore.json", [0xEF, 0xBB, 0xBF, .. bytes]);

        Assert.Equal(Statement().Subjects, BundleVerifier.VerifyStatement(path, [key.PublicKey]).Statement.Subjects);
    }

    [Theory]
    [InlineData("publicKey", "\"hint\"")]
    [InlineData("publicKey", "[]")]
    [InlineData("certificate", "\"MIIB\"")]
    public void Verification_material_of_the_wrong_kind_is_BS3001_naming_what_is_missing(string field, string value)
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        json["verificationMaterial"] = JsonNode.Parse($"{{\"{field}\": {value}, \"tlogEntries\": []}}");

        var e = Fails(() => BundleVerifier.VerifyStatement(WriteJson(json), [key.PublicKey]));

        Assert.Equal("BS3001", e.Code);
        Assert.Contains("names neither a public key nor a certificate", e.Message);
    }

    [Fact]
    public void Signed_statement_that_is_not_valid_text_is_BS3001_not_a_crash()
    {
        // Found by Fuzzing/InTotoStatementFuzzTests: a byte that is not UTF-8 in a signed statement threw InvalidOperationException.
        using var key = Key();
        byte[] payload = Statement().ToJsonBytes();
        payload[Array.IndexOf(payload, (byte)'/')] = 0x86;
        string path = WriteBundle(AttestationSigner.SignPayload(InTotoStatement.PayloadType, payload, key));

        var e = Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey]));

        Assert.Equal("BS3001", e.Code);
        Assert.Contains("not valid UTF-8", e.Message);
    }

    [Fact]
    public void Invalid_base64_is_BS3001()
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        json["dsseEnvelope"]!["payload"] = "@@@ not base64 @@@";
        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyStatement(WriteJson(json), [key.PublicKey])).Code);
    }

    [Fact]
    public void Keyid_that_does_not_match_the_verification_material_is_BS3001()
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        json["dsseEnvelope"]!["signatures"]![0]!["keyid"] = Convert.ToBase64String(new byte[32]);
        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyStatement(WriteJson(json), [key.PublicKey])).Code);
    }

    [Fact]
    public void Two_signatures_is_BS3001()
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        var signatures = json["dsseEnvelope"]!["signatures"]!.AsArray();
        signatures.Add(signatures[0]!.DeepClone());
        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyStatement(WriteJson(json), [key.PublicKey])).Code);
    }

    [Fact]
    public void No_verification_material_is_BS3001()
    {
        using var key = Key();
        var json = Json(AttestationSigner.SignStatement(Statement(), key));
        json["verificationMaterial"]!.AsObject().Remove("publicKey");
        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyStatement(WriteJson(json), [key.PublicKey])).Code);
    }

    [Fact]
    public void Duplicate_json_keys_in_a_bundle_are_BS3001_not_a_crash()
    {
        using var key = Key();
        string text = Encoding.UTF8.GetString(AttestationSigner.SignStatement(Statement(), key).ToJsonBytes());
        string duplicated = text.Replace("\"mediaType\":", "\"mediaType\": \"x\", \"mediaType\":");
        Assert.NotEqual(text, duplicated);
        string path = _temp.WriteFile("dup.sigstore.json", duplicated);

        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey])).Code);
        Assert.Null(SigstoreBundle.TryParse(Encoding.UTF8.GetBytes(duplicated), out string reason));
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void Signed_payload_that_is_not_an_in_toto_statement_is_BS3001()
    {
        using var key = Key();
        string path = WriteBundle(AttestationSigner.SignPayload(InTotoStatement.PayloadType, "{\"hello\":1}"u8.ToArray(), key));
        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyStatement(path, [key.PublicKey])).Code);
    }

    [Fact]
    public void Certificate_key_puts_the_certificate_in_the_bundle()
    {
        string pfx = TestKeys.WritePfx(_temp.Combine("k.pfx"), TestKeyKind.EcdsaP256, null);
        using var key = TestKeys.Load(pfx);

        var bundle = AttestationSigner.SignStatement(Statement(), key);
        var json = Json(bundle);
        string path = WriteBundle(bundle);

        Assert.Equal(key.Certificate!.RawData, Convert.FromBase64String((string)json["verificationMaterial"]!["certificate"]!["rawBytes"]!));
        Assert.Null(json["verificationMaterial"]!["publicKey"]);
        var verified = BundleVerifier.VerifyStatement(path, [VerificationKey.FromCertificate(key.Certificate, "cert")]);
        Assert.Equal(key.Id, verified.SignedBy.Id);
    }

    [Fact]
    public void Timestamps_survive_serialization()
    {
        using var key = Key();
        var bundle = AttestationSigner.SignStatement(Statement(), key) with { Rfc3161Timestamps = [[1, 2, 3], [4, 5]] };

        var parsed = SigstoreBundle.TryParse(bundle.ToJsonBytes(), out _)!;

        Assert.Equal(2, parsed.Rfc3161Timestamps.Count);
        Assert.Equal(new byte[] { 4, 5 }, parsed.Rfc3161Timestamps[1]);
        Assert.Equal(bundle.ToJsonBytes(), parsed.ToJsonBytes());
    }

    // ---- message signatures (cosign sign-blob style) ----

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256, "SHA2_256")]
    [InlineData(TestKeyKind.EcdsaP384, "SHA2_384")]
    [InlineData(TestKeyKind.Rsa2048, "SHA2_256")]
    public void Blob_signature_round_trips_and_verifies(TestKeyKind kind, string digestName)
    {
        using var key = Key(kind);
        byte[] blob = Encoding.UTF8.GetBytes("the artifact bytes\n");

        var bundle = AttestationSigner.SignBlob(new MemoryStream(blob), key);
        string path = WriteBundle(bundle);
        var read = BundleVerifier.ReadBundle(path);
        var signer = BundleVerifier.VerifyBlob(path, read, new MemoryStream(blob), [key.PublicKey]);

        Assert.Equal(key.Id, signer.Id);
        var json = Json(bundle);
        Assert.Equal(digestName, (string?)json["messageSignature"]!["messageDigest"]!["algorithm"]);
        byte[] expectedDigest = kind == TestKeyKind.EcdsaP384 ? SHA384.HashData(blob) : SHA256.HashData(blob);
        Assert.Equal(expectedDigest, Convert.FromBase64String((string)json["messageSignature"]!["messageDigest"]!["digest"]!));
        Assert.Null(json["dsseEnvelope"]);
    }

    [Fact]
    public void Tampered_blob_is_BS3002()
    {
        using var key = Key();
        var bundle = AttestationSigner.SignBlob(new MemoryStream("original"u8.ToArray()), key);

        var e = Fails(() => BundleVerifier.VerifyBlob("b", bundle, new MemoryStream("Original"u8.ToArray()), [key.PublicKey]));

        Assert.Equal("BS3002", e.Code);
    }

    [Fact]
    public void Blob_bundle_with_digest_rewritten_to_match_a_new_blob_is_BS3002()
    {
        using var key = Key();
        var bundle = AttestationSigner.SignBlob(new MemoryStream("original"u8.ToArray()), key);
        var forged = bundle with { Message = bundle.Message! with { Digest = SHA256.HashData("evil"u8) } };

        Assert.Equal("BS3002", Fails(() => BundleVerifier.VerifyBlob("b", forged, new MemoryStream("evil"u8.ToArray()), [key.PublicKey])).Code);
    }

    [Fact]
    public void Blob_signed_by_an_untrusted_key_is_BS3003()
    {
        using var key = Key();
        using var otherEc = TestKeys.CreateOtherP256();
        using var other = TestKeys.Load(TestKeys.WritePrivateKeyPem(_temp.Combine("o.pem"), otherEc));
        var bundle = AttestationSigner.SignBlob(new MemoryStream("x"u8.ToArray()), key);

        Assert.Equal("BS3003", Fails(() => BundleVerifier.VerifyBlob("b", bundle, new MemoryStream("x"u8.ToArray()), [other.PublicKey])).Code);
    }

    [Fact]
    public void Blob_and_statement_bundles_are_not_interchangeable()
    {
        using var key = Key();
        var blob = AttestationSigner.SignBlob(new MemoryStream("x"u8.ToArray()), key);
        var statement = AttestationSigner.SignStatement(Statement(), key);

        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyStatement("b", blob, [key.PublicKey])).Code);
        Assert.Equal("BS3001", Fails(() => BundleVerifier.VerifyBlob("b", statement, new MemoryStream("x"u8.ToArray()), [key.PublicKey])).Code);
    }

    // ---- independent checks with the openssl CLI ----

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256, "-sha256")]
    [InlineData(TestKeyKind.EcdsaP384, "-sha384")]
    [InlineData(TestKeyKind.Rsa2048, "-sha256")]
    [InlineData(TestKeyKind.Rsa3072, "-sha256")]
    public void Openssl_verifies_the_dsse_signature_over_the_pae_bytes(TestKeyKind kind, string digest)
    {
        using var key = Key(kind);
        var bundle = AttestationSigner.SignStatement(Statement(), key);
        var json = Json(bundle);
        byte[] payload = Convert.FromBase64String((string)json["dsseEnvelope"]!["payload"]!);
        byte[] sig = Convert.FromBase64String((string)json["dsseEnvelope"]!["signatures"]![0]!["sig"]!);
        _temp.WriteFile("pae.bin", Pae.Encode((string)json["dsseEnvelope"]!["payloadType"]!, payload));
        _temp.WriteFile("sig.der", sig);
        _temp.WriteFile("pub.pem", key.PublicKey.ExportPem());

        var result = ProcessRunner.Run("openssl", ["dgst", digest, "-verify", "pub.pem", "-signature", "sig.der", "pae.bin"], _temp.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Verified OK", result.StandardOutput);

        // And the check can fail: one flipped payload byte.
        byte[] pae = File.ReadAllBytes(_temp.Combine("pae.bin"));
        pae[^2] ^= 0x20;
        _temp.WriteFile("pae.bin", pae);
        var tampered = ProcessRunner.Run("openssl", ["dgst", digest, "-verify", "pub.pem", "-signature", "sig.der", "pae.bin"], _temp.Path);
        Assert.NotEqual(0, tampered.ExitCode);
        Assert.Contains("Verification failure", tampered.Output);
    }

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256, "-sha256")]
    [InlineData(TestKeyKind.Rsa2048, "-sha256")]
    public void Openssl_verifies_the_blob_signature_over_the_file(TestKeyKind kind, string digest)
    {
        using var key = Key(kind);
        byte[] blob = new byte[100_000];
        new Random(3).NextBytes(blob);
        _temp.WriteFile("blob.bin", blob);
        var bundle = AttestationSigner.SignBlob(new MemoryStream(blob), key);
        _temp.WriteFile("sig.der", bundle.Message!.Signature);
        _temp.WriteFile("pub.pem", key.PublicKey.ExportPem());

        var result = ProcessRunner.Run("openssl", ["dgst", digest, "-verify", "pub.pem", "-signature", "sig.der", "blob.bin"], _temp.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Verified OK", result.StandardOutput);
    }

    [Theory]
    [InlineData(TestKeyKind.EcdsaP256)]
    [InlineData(TestKeyKind.Rsa2048)]
    public void Bundle_signed_by_openssl_verifies(TestKeyKind kind)
    {
        string keyPath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), kind);
        using var key = TestKeys.Load(keyPath);
        byte[] payload = Statement().ToJsonBytes();
        _temp.WriteFile("pae.bin", Pae.Encode(InTotoStatement.PayloadType, payload));
        TestKeys.OpenSsl(_temp.Path, "dgst", "-sha256", "-sign", keyPath, "-out", "sig.der", "pae.bin");

        var bundle = new SigstoreBundle
        {
            PublicKeyHint = key.Id.Base64,
            Dsse = new DsseEnvelope(InTotoStatement.PayloadType, payload, [new DsseSignature(key.Id.Base64, File.ReadAllBytes(_temp.Combine("sig.der")))]),
        };
        var verified = BundleVerifier.VerifyStatement(WriteBundle(bundle), [key.PublicKey]);

        Assert.Equal(Statement().Subjects, verified.Statement.Subjects);
    }
}
