using System.Text;
using System.Text.Json;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Keys that never touch the project: BuildSigningSignerCommand (a shell script around openssl stands in for a cloud KMS, its
/// private key in a folder of its own) and Ed25519 key files, through the packed package, checked with `buildsign verify`
/// and openssl (`dgst -verify` for ECDSA, `pkeyutl -verify -rawin` for PureEdDSA over the DSSE PAE bytes).
/// </summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class ExternalSignerTests(PackagedBuildSigning product)
{
    [Fact]
    public void PublishAndPack_SignedThroughTheSignerCommand_OneSignaturePerStatement_VerifyWithBuildsignAndOpenssl()
    {
        using var kms = new TempDirectory("bs-kms");
        string project = product.CopySample("signer-command");
        string privateKey = TestKeys.WritePrivateKeyPem(Path.Combine(kms.Path, "release.pem"), TestKeyKind.EcdsaP256);
        string publicKey = TestKeys.WritePublicKeyPem(Path.Combine(project, "release.pub.pem"), TestKeyKind.EcdsaP256);
        // The key service answers in IEEE P1363 (r||s), as AWS KMS and Azure Key Vault can: BuildSigning stores DER.
        string script = OpenSslSigner.WriteScript(Path.Combine(kms.Path, "kms-sign.sh"), privateKey, SignerBehaviour.P1363);
        string calls = Path.Combine(kms.Path, "calls.log");
        string command = $"echo call >> '{calls}' && '{script}'";

        string publish = Path.Combine(project, "out");
        // A CI build requires a real key: the signer command is one (no BS1010, no development-key warning).
        var result = product.Dotnet(project, "publish", "-c", "Release", "-o", publish, "-p:ContinuousIntegrationBuild=true",
            $"-p:BuildSigningSignerCommand={command}", "-p:BuildSigningPublicKeyFile=release.pub.pem");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("BS1011", result.Output);
        Assert.DoesNotContain(privateKey, result.Output);

        var verify = product.BuildSign("verify", publish, "--key", publicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.NotEqual(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);

        var bundles = Directory.GetFiles(Path.Combine(publish, ".buildsigning"), "*.sigstore.json");
        Assert.True(bundles.Length >= 3, "files, SBOMs and provenance bundles");
        using var work = new TempDirectory();
        foreach (string bundle in bundles)
        {
            var openssl = Bundles.VerifyWithOpenSsl(bundle, publicKey, work.Path);
            Assert.True(openssl.ExitCode == 0 && openssl.StandardOutput.Contains("Verified OK"), bundle + "\n" + openssl);
        }
        // One command run per signed statement (the build output's bundles and the publish folder's), never per file.
        var buildBundles = Directory.GetFiles(Path.Combine(project, "bin", "Release", "net10.0", ".buildsigning"), "*.sigstore.json");
        Assert.Equal(bundles.Length + buildBundles.Length, File.ReadAllLines(calls).Length);

        // pack: the bundles beside the package are signed through the command; a NuGet author signature cannot be (BS1059).
        string packages = Path.Combine(project, "packages");
        var refused = product.Dotnet(project, "pack", "-c", "Release", "--no-build", "-o", packages,
            $"-p:BuildSigningSignerCommand={command}", "-p:BuildSigningPublicKeyFile=release.pub.pem");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("error BS1059", refused.Output);

        var pack = product.Dotnet(project, "pack", "-c", "Release", "--no-build", "-o", packages, "-p:BuildSigningSignPackage=false",
            $"-p:BuildSigningSignerCommand={command}", "-p:BuildSigningPublicKeyFile=release.pub.pem");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        string nupkg = Assert.Single(Directory.GetFiles(packages, "*.nupkg"));
        string blobSignature = Path.Combine(work.Path, "nupkg.sig");
        File.WriteAllBytes(blobSignature, MessageSignature(nupkg + ".sigstore.json"));
        var blob = ProcessRunner.Run("openssl", ["dgst", "-sha256", "-verify", publicKey, "-signature", blobSignature, nupkg], work.Path);
        Assert.True(blob.ExitCode == 0, blob.ToString());
        foreach (string statement in Directory.GetFiles(packages, "*.nupkg.*.sigstore.json"))
        {
            var openssl = Bundles.VerifyWithOpenSsl(statement, publicKey, work.Path);
            Assert.True(openssl.ExitCode == 0, statement + "\n" + openssl);
        }
    }

    [Fact]
    public void Pack_AuthorSignedThroughTheSignerCommandWithAnRsaKeyAndItsCertificate_IsAcceptedByDotnetNuGetVerify()
    {
        using var kms = new TempDirectory("bs-kms-rsa");
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        using var rsa = System.Security.Cryptography.X509Certificates.RSACertificateExtensions.GetRSAPrivateKey(certificate)!;
        string project = product.CopySample("signer-command-nuget");
        string privateKey = TestKeys.WritePrivateKeyPem(Path.Combine(kms.Path, "release.pem"), rsa);
        string publicKey = TestKeys.WritePublicKeyPem(Path.Combine(project, "release.pub.pem"), rsa);
        File.WriteAllText(Path.Combine(project, "release.crt"), certificate.ExportCertificatePem());
        string script = OpenSslSigner.WriteScript(Path.Combine(kms.Path, "kms-sign.sh"), privateKey);

        string packages = Path.Combine(project, "packages");
        var pack = product.Dotnet(project, "pack", "-c", "Release", "-o", packages, "-v:n", $"-p:BuildSigningSignerCommand={script}",
            "-p:BuildSigningPublicKeyFile=release.pub.pem", "-p:BuildSigningCertificateFile=release.crt", "-p:BuildSigningRequireSigningKey=true");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.DoesNotContain(privateKey, pack.Output);
        string nupkg = Assert.Single(Directory.GetFiles(packages, "*.nupkg"));
        string fingerprint = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(certificate.RawData));
        Assert.Contains($"(certificate SHA-256 {fingerprint}", pack.Output, StringComparison.OrdinalIgnoreCase);

        string config = NuGetSignatureConfig.WriteVerifyConfig(Path.Combine(product.Root, "verify-signer-command", "nuget.config"), fingerprint);
        var verify = ProcessRunner.Run("dotnet", ["nuget", "verify", "--all", nupkg, "--certificate-fingerprint", fingerprint, "--configfile", config, "-v", "n"],
            Path.GetDirectoryName(config), product.Environment(), TimeSpan.FromMinutes(2));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Successfully verified package", verify.StandardOutput);

        // The bundles beside it are signed through the same command: buildsign checks them and the NuGet signature.
        var buildsign = product.BuildSign("verify", nupkg, "--key", publicKey, "--certificate-fingerprint", fingerprint);
        Assert.True(buildsign.ExitCode == 0, buildsign.ToString());
    }

    [Theory]
    [InlineData(SignerBehaviour.Fail, "BS1053", "access denied by test KMS")]
    [InlineData(SignerBehaviour.WrongDigest, "BS1056", "ECDSA_P256_SHA256")]
    [InlineData(SignerBehaviour.Hang, "BS1054", "waiting for the test KMS")]
    public void AFailingSignerCommand_FailsTheBuildWithACodedError_AndWritesNoBundle(SignerBehaviour behaviour, string code, string expected)
    {
        using var kms = new TempDirectory("bs-kms");
        string project = product.CopySample("signer-fails-" + behaviour.ToString().ToLowerInvariant());
        string privateKey = TestKeys.WritePrivateKeyPem(Path.Combine(kms.Path, "release.pem"), TestKeyKind.EcdsaP256);
        string publicKey = TestKeys.WritePublicKeyPem(Path.Combine(kms.Path, "release.pub.pem"), TestKeyKind.EcdsaP256);
        string script = OpenSslSigner.WriteScript(Path.Combine(kms.Path, "kms-sign.sh"), privateKey, behaviour);

        var result = product.Dotnet(project, "build", $"-p:BuildSigningSignerCommand={script}", $"-p:BuildSigningPublicKeyFile={publicKey}",
            "-p:BuildSigningSignerTimeout=3");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"error {code}", result.Output);
        Assert.Contains(expected, result.Output);
        string output = Path.Combine(project, "bin", "Debug", "net10.0");
        Assert.True(File.Exists(Path.Combine(output, "HelloSigned.dll")));
        Assert.Empty(Directory.Exists(Path.Combine(output, ".buildsigning")) ? Directory.GetFiles(Path.Combine(output, ".buildsigning")) : []);
    }

    [Fact]
    public void Ed25519Publish_VerifiesWithBuildsignAndOpensslRawin_AndCannotAuthorSignAPackage()
    {
        using var keys = new TempDirectory("bs-ed25519-keys");
        string privateKey = Path.Combine(keys.Path, "ed25519.pem");
        var keygen = product.BuildSign("keygen", "--type", "ed25519", "--out", privateKey);
        Assert.True(keygen.ExitCode == 0, keygen.ToString());
        string publicKey = Path.Combine(keys.Path, "ed25519.pub.pem");
        Assert.Contains("ED25519", ProcessRunner.Run("openssl", ["pkey", "-pubin", "-in", publicKey, "-text", "-noout"]).Output);

        string project = product.CopySample("ed25519-publish");
        string publish = Path.Combine(project, "out");
        var result = product.Dotnet(project, "publish", "-c", "Release", "-o", publish, $"-p:BuildSigningKeyFile={privateKey}");
        Assert.True(result.ExitCode == 0, result.ToString());

        var verify = product.BuildSign("verify", publish, "--key", publicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.NotEqual(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);

        using var work = new TempDirectory();
        var bundles = Directory.GetFiles(Path.Combine(publish, ".buildsigning"), "*.sigstore.json");
        Assert.True(bundles.Length >= 3, "files, SBOMs and provenance bundles");
        foreach (string bundle in bundles)
        {
            var (pae, signature) = WritePaeAndSignature(bundle, work.Path);
            Assert.Equal(64, new FileInfo(signature).Length);
            var openssl = ProcessRunner.Run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-in", pae, "-sigfile", signature], work.Path);
            Assert.True(openssl.ExitCode == 0 && openssl.StandardOutput.Contains("Signature Verified Successfully"), bundle + "\n" + openssl);

            // A changed payload byte fails openssl's check too: the test can fail.
            byte[] tampered = File.ReadAllBytes(pae);
            tampered[^2] ^= 0x01;
            File.WriteAllBytes(pae, tampered);
            Assert.NotEqual(0, ProcessRunner.Run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-in", pae, "-sigfile", signature], work.Path).ExitCode);
        }

        // NuGet signatures stay RSA: packing with an Ed25519 key and the default BuildSigningSignPackage=true is BS1058.
        string packages = Path.Combine(project, "packages");
        var pack = product.Dotnet(project, "pack", "-c", "Release", "--no-build", "-o", packages, $"-p:BuildSigningKeyFile={privateKey}");
        Assert.NotEqual(0, pack.ExitCode);
        Assert.Contains("error BS1058", pack.Output);
        Assert.Empty(Directory.Exists(packages) ? Directory.GetFiles(packages, "*.sigstore.json") : []);

        // Without the NuGet signature, the bundles beside the package are Ed25519: the message signature covers the whole file.
        var unsigned = product.Dotnet(project, "pack", "-c", "Release", "--no-build", "-o", packages, "-p:BuildSigningSignPackage=false",
            $"-p:BuildSigningKeyFile={privateKey}");
        Assert.True(unsigned.ExitCode == 0, unsigned.ToString());
        string nupkg = Assert.Single(Directory.GetFiles(packages, "*.nupkg"));
        string blobSignature = Path.Combine(work.Path, "nupkg.sig");
        File.WriteAllBytes(blobSignature, MessageSignature(nupkg + ".sigstore.json"));
        var blob = ProcessRunner.Run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-in", nupkg, "-sigfile", blobSignature], work.Path);
        Assert.True(blob.ExitCode == 0 && blob.StandardOutput.Contains("Signature Verified Successfully"), blob.ToString());
        var statements = Directory.GetFiles(packages, "*.nupkg.*.sigstore.json");
        Assert.NotEmpty(statements);
        foreach (string statement in statements)
        {
            var (pae, signature) = WritePaeAndSignature(statement, work.Path);
            var openssl = ProcessRunner.Run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-in", pae, "-sigfile", signature], work.Path);
            Assert.True(openssl.ExitCode == 0, statement + "\n" + openssl);
        }
    }

    private static byte[] MessageSignature(string bundlePath)
    {
        using var bundle = JsonDocument.Parse(File.ReadAllBytes(bundlePath));
        return Convert.FromBase64String(bundle.RootElement.GetProperty("messageSignature").GetProperty("signature").GetString()!);
    }

    /// <summary>The DSSE PAE bytes rebuilt by hand from the bundle's JSON, and the raw signature, as files for openssl.</summary>
    private static (string Pae, string Signature) WritePaeAndSignature(string bundlePath, string directory)
    {
        using var bundle = JsonDocument.Parse(File.ReadAllBytes(bundlePath));
        var envelope = bundle.RootElement.GetProperty("dsseEnvelope");
        string payloadType = envelope.GetProperty("payloadType").GetString()!;
        byte[] payload = Convert.FromBase64String(envelope.GetProperty("payload").GetString()!);
        byte[] header = Encoding.UTF8.GetBytes($"DSSEv1 {Encoding.UTF8.GetByteCount(payloadType)} {payloadType} {payload.Length} ");
        string pae = Path.Combine(directory, "pae.bin");
        string signature = Path.Combine(directory, "sig.bin");
        File.WriteAllBytes(pae, [.. header, .. payload]);
        File.WriteAllBytes(signature, Convert.FromBase64String(envelope.GetProperty("signatures")[0].GetProperty("sig").GetString()!));
        return (pae, signature);
    }
}
