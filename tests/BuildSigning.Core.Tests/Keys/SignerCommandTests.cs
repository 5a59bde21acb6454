using System.Diagnostics;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Packages;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Keys;

/// <summary>BuildSigningSignerCommand through real processes: shell scripts that sign with openssl, as a KMS would.</summary>
public sealed class SignerCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-signer");

    public void Dispose() => _temp.Dispose();

    public static TheoryData<TestKeyKind, SignerBehaviour> Schemes => new()
    {
        { TestKeyKind.EcdsaP256, SignerBehaviour.Der },
        { TestKeyKind.EcdsaP256, SignerBehaviour.P1363 },
        { TestKeyKind.EcdsaP384, SignerBehaviour.Der },
        { TestKeyKind.EcdsaP384, SignerBehaviour.P1363 },
        { TestKeyKind.Rsa2048, SignerBehaviour.Der },
    };

    [Theory]
    [MemberData(nameof(Schemes))]
    public void The_command_signs_DSSE_and_blob_bundles_that_verify_with_the_public_key(TestKeyKind kind, SignerBehaviour behaviour)
    {
        var (script, publicKey) = Setup(kind, behaviour);
        using var key = SignerCommand.CreateSigningKey(new ExternalSignerOptions(script, publicKey));
        var trusted = VerificationKey.FromFile(publicKey);
        Assert.Equal(trusted.Id, key.Id);

        var statement = new InTotoStatement([new Subject("a.dll", new string('b', 64))], "https://example.com/test", new JsonObject());
        string bundle = _temp.WriteFile("s.sigstore.json", AttestationSigner.SignStatement(statement, key).ToJsonBytes());
        Assert.Equal(trusted.Id, BundleVerifier.VerifyStatement(bundle, [trusted]).SignedBy.Id);
        // Stored as DER whatever the command printed (DSSE and Sigstore verifiers expect DER).
        var envelope = BundleVerifier.ReadBundle(bundle).Dsse!;
        if (kind != TestKeyKind.Rsa2048) Assert.Equal(0x30, envelope.Signatures[0].Signature[0]);

        byte[] content = "blob"u8.ToArray();
        string blob = _temp.WriteFile("b.sigstore.json", AttestationSigner.SignBlob(new MemoryStream(content), key).ToJsonBytes());
        BundleVerifier.VerifyBlob(blob, BundleVerifier.ReadBundle(blob), new MemoryStream(content), [trusted]);
    }

    [Fact]
    public void A_failing_command_is_BS1053_with_its_exit_code_and_stderr()
    {
        var (script, publicKey) = Setup(TestKeyKind.EcdsaP256, SignerBehaviour.Fail);
        using var key = SignerCommand.CreateSigningKey(new ExternalSignerOptions(script, publicKey));
        var e = Assert.Throws<BuildSigningException>(() => key.Sign("x"u8));
        Assert.Equal("BS1053", e.Code);
        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("access denied by test KMS", e.Message);
    }

    [Fact]
    public void A_command_that_hangs_is_stopped_after_the_timeout_BS1054()
    {
        var (script, publicKey) = Setup(TestKeyKind.EcdsaP256, SignerBehaviour.Hang);
        using var key = SignerCommand.CreateSigningKey(new ExternalSignerOptions(script, publicKey, TimeoutSeconds: 1));
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<BuildSigningException>(() => key.Sign("x"u8));
        Assert.Equal("BS1054", e.Code);
        Assert.Contains("within 1 seconds", e.Message);
        Assert.Contains("waiting for the test KMS", e.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public void A_signature_over_the_wrong_digest_or_by_another_key_is_BS1056()
    {
        var (wrongDigest, publicKey) = Setup(TestKeyKind.EcdsaP256, SignerBehaviour.WrongDigest);
        using (var key = SignerCommand.CreateSigningKey(new ExternalSignerOptions(wrongDigest, publicKey)))
        {
            var e = Assert.Throws<BuildSigningException>(() => key.Sign("x"u8));
            Assert.Equal("BS1056", e.Code);
            Assert.Contains("ECDSA_P256_SHA256", e.Message);
        }

        string otherKey = TestKeys.WritePrivateKeyPem(_temp.Combine("keys", "other.pem"), TestKeys.CreateOtherP256());
        string otherScript = OpenSslSigner.WriteScript(_temp.Combine("other-sign.sh"), otherKey);
        using var other = SignerCommand.CreateSigningKey(new ExternalSignerOptions(otherScript, publicKey));
        var wrongKey = Assert.Throws<BuildSigningException>(() => other.Sign("x"u8));
        Assert.Equal("BS1056", wrongKey.Code);
        Assert.Contains(publicKey, wrongKey.Message);
    }

    [Theory]
    [InlineData("echo 'not base64!'", "not base64")]
    [InlineData("true", "empty")]
    public void Output_that_is_no_base64_signature_is_BS1055(string command, string expected)
    {
        string publicKey = TestKeys.WritePublicKeyPem(_temp.Combine("p.pub.pem"), TestKeyKind.EcdsaP256);
        using var key = SignerCommand.CreateSigningKey(new ExternalSignerOptions(command, publicKey));
        var e = Assert.Throws<BuildSigningException>(() => key.Sign("x"u8));
        Assert.Equal("BS1055", e.Code);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_command_gets_the_digest_and_scheme_in_its_environment_and_can_print_url_safe_base64()
    {
        string publicKey = TestKeys.WritePublicKeyPem(_temp.Combine("p.pub.pem"), TestKeyKind.EcdsaP384);
        using var key = SignerCommand.CreateSigningKey(new ExternalSignerOptions(
            "echo \"$BUILDSIGNING_DIGEST_ALGORITHM $BUILDSIGNING_SIGNATURE_ALGORITHM $BUILDSIGNING_KEY_ID $BUILDSIGNING_DIGEST_HEX $BUILDSIGNING_DIGEST_BASE64\" >&2; exit 9",
            publicKey));
        var e = Assert.Throws<BuildSigningException>(() => key.Sign("abc"u8));
        string digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA384.HashData("abc"u8));
        Assert.Contains($"SHA384 ECDSA_P384_SHA384 {key.Id.Hex} {digest} {Convert.ToBase64String(Convert.FromHexString(digest))}", e.Message);

        Assert.Equal(new byte[] { 0xfb, 0xff, 0xbf }, SignerCommand.DecodeBase64("-_-_\n"));
        Assert.Equal(new byte[] { 0xfb, 0xff }, SignerCommand.DecodeBase64(" +/8 "));
        Assert.Null(SignerCommand.DecodeBase64("a"));
    }

    [Fact]
    public void Configuration_errors_are_coded()
    {
        string publicKey = TestKeys.WritePublicKeyPem(_temp.Combine("p.pub.pem"), TestKeyKind.EcdsaP256);
        Assert.Equal("BS1050", Assert.Throws<BuildSigningException>(() =>
            SigningKeyResolver.Resolve(new KeyConfiguration(null, null, null, true, Signer: new ExternalSignerOptions("true", "")))).Code);
        string keyFile = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256);
        Assert.Equal("BS1051", Assert.Throws<BuildSigningException>(() =>
            SigningKeyResolver.Resolve(new KeyConfiguration(keyFile, null, null, true, Signer: new ExternalSignerOptions("true", publicKey)))).Code);
        Assert.Equal("BS1057", Assert.Throws<BuildSigningException>(() => ExternalSignerOptions.ParseTimeout("0")).Code);
        Assert.Equal("BS1057", Assert.Throws<BuildSigningException>(() => ExternalSignerOptions.ParseTimeout("10s")).Code);
        Assert.Equal(60, ExternalSignerOptions.ParseTimeout(""));
        Assert.Equal(5, ExternalSignerOptions.ParseTimeout(" 5 "));

        string edPublic = _temp.Combine("ed.pub.pem");
        KeyGenerator.WriteKeyPair(KeyKind.Ed25519, _temp.Combine("ed.pem"), edPublic, null, false);
        Assert.Equal("BS1060", Assert.Throws<BuildSigningException>(() => SignerCommand.CreateSigningKey(new ExternalSignerOptions("true", edPublic))).Code);

        // A signing command satisfies RequireSigningKey, but cannot make a NuGet author signature.
        var configuration = new KeyConfiguration(null, null, null, RequireSigningKey: true, Signer: new ExternalSignerOptions("true", publicKey));
        using var key = SigningKeyResolver.Resolve(configuration);
        Assert.Equal("BS1059", Assert.Throws<BuildSigningException>(() => PackageSigningIdentity.RequireUsableForPackages(key, configuration)).Code);
        Assert.Equal("BS1059", Assert.Throws<BuildSigningException>(() => PackageSigningIdentity.Resolve(configuration)).Code);
    }

    private (string Script, string PublicKey) Setup(TestKeyKind kind, SignerBehaviour behaviour)
    {
        // The private key lives in its own folder, as a KMS's would: the build only gets the script and the public key.
        string privateKey = TestKeys.WritePrivateKeyPem(_temp.Combine("kms", $"{kind}.pem"), kind);
        string publicKey = TestKeys.WritePublicKeyPem(_temp.Combine("project", $"{kind}.pub.pem"), kind);
        return (OpenSslSigner.WriteScript(_temp.Combine("project", $"sign-{kind}-{behaviour}.sh"), privateKey, behaviour), publicKey);
    }
}
