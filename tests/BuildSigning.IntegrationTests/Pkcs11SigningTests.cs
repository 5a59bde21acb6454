using System.Text.Json;
using BuildSigning.TestSupport;
using Xunit.Abstractions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Keys that never leave a PKCS#11 token: a SoftHSM2 token made by the fixture (softhsm2-util, pkcs11-tool), used through
/// the packed package by real `dotnet publish`, `dotnet pack` and `dotnet build`, checked with the public key that
/// pkcs11-tool exports, openssl, `buildsign verify` and `dotnet nuget verify`.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class Pkcs11SigningTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private static readonly Lazy<SoftHsmToken> SharedToken = new(() => new SoftHsmToken());
    private static SoftHsmToken Token => SharedToken.Value;

    [Fact]
    public void Publish_SignedByAnEcKeyInSoftHsm_VerifiesWithTheExportedPublicKey_AndOpenssl()
    {
        string project = product.CopySample("pkcs11-publish");
        // In a project file the URI is written as cosign writes it: ';' needs no escaping there.
        string csproj = Path.Combine(project, "HelloSigned.csproj");
        File.WriteAllText(csproj, File.ReadAllText(csproj).Replace("</Project>", $"""
              <PropertyGroup>
                <BuildSigningKey>{Token.Uri("ec-release")}</BuildSigningKey>
                <BuildSigningKeyPasswordVariable>{SoftHsmToken.PinVariable}</BuildSigningKeyPasswordVariable>
                <BuildSigningRequireSigningKey>true</BuildSigningRequireSigningKey>
              </PropertyGroup>
            </Project>
            """));
        string publish = Path.Combine(project, "out");
        var result = product.Dotnet(project, Token.Environment(), "publish", "-c", "Release", "-o", publish);
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("BS1011", result.Output);
        Assert.DoesNotContain(SoftHsmToken.Pin, result.Output);

        string publicKey = Token.ExportPublicKeyPem("01");
        var verify = product.BuildSign("verify", publish, "--key", publicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.NotEqual(0, product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey).ExitCode);

        // One signature per statement, checked by openssl over the PAE bytes with the exported key.
        string bundle = Path.Combine(publish, ".buildsigning", "files.sigstore.json");
        using (var document = JsonDocument.Parse(File.ReadAllBytes(bundle)))
        {
            Assert.Equal(1, document.RootElement.GetProperty("dsseEnvelope").GetProperty("signatures").GetArrayLength());
        }
        using var work = new TempDirectory("bs-p11-openssl");
        var openssl = Bundles.VerifyWithOpenSsl(bundle, publicKey, work.Path);
        Assert.True(openssl.ExitCode == 0 && openssl.StandardOutput.Contains("Verified OK"), openssl.ToString());
    }

    [Fact]
    public void Pack_AuthorSignedByAnRsaKeyInSoftHsm_IsAcceptedByDotnetNuGetVerify_WithTheCertificateFingerprint()
    {
        var library = PackedLibrary.Get(product);
        // On the command line MSBuild splits at ';': write it %3B.
        string uri = Token.Uri("nuget").Replace(";", "%3B", StringComparison.Ordinal);
        var pack = library.Pack("out-pkcs11", Token.Environment(), "dotnet",
            $"-p:BuildSigningKey={uri}", $"-p:BuildSigningKeyPasswordVariable={SoftHsmToken.PinVariable}");
        output.WriteLine(pack.ToString());
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.DoesNotContain("BS1011", pack.Output);
        Assert.DoesNotContain(SoftHsmToken.Pin, pack.Output);

        string folder = library.OutputDirectory("out-pkcs11");
        string nupkg = Path.Combine(folder, $"{PackedLibrary.Id}.{PackedLibrary.Version}.nupkg");
        string fingerprint = Token.CertificateFingerprint;
        Assert.Contains($"author-signed {nupkg} (certificate SHA-256 {fingerprint}, no timestamp)", pack.Output);

        // NuGet's own verifier: the fingerprint on the command line, the self-signed root allowed by the config's trustedSigners.
        string config = NuGetSignatureConfig.WriteVerifyConfig(Path.Combine(product.Root, "verify-pkcs11", "nuget.config"), fingerprint);
        var verify = ProcessRunner.Run("dotnet", ["nuget", "verify", "--all", nupkg, "--certificate-fingerprint", fingerprint, "--configfile", config, "-v", "n"],
            Path.GetDirectoryName(config), product.Environment(), TimeSpan.FromMinutes(2));
        output.WriteLine(verify.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("Successfully verified package", verify.StandardOutput);
        var otherFingerprint = ProcessRunner.Run("dotnet", ["nuget", "verify", "--all", nupkg, "--certificate-fingerprint", library.DevelopmentCertificateFingerprint, "--configfile", config],
            Path.GetDirectoryName(config), product.Environment(), TimeSpan.FromMinutes(2));
        Assert.NotEqual(0, otherFingerprint.ExitCode);

        // The Sigstore bundles beside it are signed by the same token key: buildsign checks them with its certificate.
        var buildsign = product.BuildSign("verify", nupkg, "--key", Token.CertificatePemPath, "--certificate-fingerprint", fingerprint);
        output.WriteLine(buildsign.ToString());
        Assert.True(buildsign.ExitCode == 0, buildsign.ToString());
    }

    public static TheoryData<string, string> FailureCases => new()
    {
        { "wrong-pin", "BS1036" },
        { "pin-in-uri", "BS1031" },
        { "missing-token", "BS1033" },
        { "missing-object", "BS1034" },
        { "module-not-loading", "BS1032" },
        { "unsupported-key", "BS1039" },
        { "no-pin-variable", "BS1038" },
    };

    [Theory]
    [MemberData(nameof(FailureCases))]
    public void TokenFailures_FailTheBuildWithTheirCode_AndWriteNoSignature(string failure, string code)
    {
        string project = product.CopySample($"pkcs11-fail-{failure}");
        string notAModule = Path.Combine(project, "libnot-a-module.so");
        File.WriteAllText(notAModule, "not a shared library");
        var environment = Token.Environment();
        string uri = failure switch
        {
            "pin-in-uri" => Token.Uri("ec-release") + "&pin-value=" + SoftHsmToken.Pin,
            "missing-token" => Token.Uri("ec-release", token: "no-such-token"),
            "missing-object" => Token.Uri("no-such-key"),
            "module-not-loading" => $"pkcs11:token=ci;object=ec-release?module-path={notAModule}",
            "unsupported-key" => Token.Uri("weak-rsa"),
            _ => Token.Uri("ec-release"),
        };
        if (failure == "wrong-pin") environment[SoftHsmToken.PinVariable] = "0000-Wr0ng";
        if (failure == "no-pin-variable") environment[SoftHsmToken.PinVariable] = null;

        var result = product.Dotnet(project, environment, "build", "-c", "Release",
            $"-p:BuildSigningKey={uri.Replace(";", "%3B", StringComparison.Ordinal)}", $"-p:BuildSigningKeyPasswordVariable={SoftHsmToken.PinVariable}");
        output.WriteLine(result.ToString());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"error {code}", result.Output);
        Assert.DoesNotContain(SoftHsmToken.Pin, result.Output);
        Assert.DoesNotContain("0000-Wr0ng", result.Output);
        string bin = Path.Combine(project, "bin");
        Assert.True(!Directory.Exists(bin) || !Directory.EnumerateFiles(bin, "*.sigstore.json", SearchOption.AllDirectories).Any());
    }
}
