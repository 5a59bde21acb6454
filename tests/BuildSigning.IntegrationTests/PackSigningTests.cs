using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BuildSigning.TestSupport;
using Xunit.Abstractions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// `dotnet pack` with BuildSigning, end to end through real dotnet runs: NuGet author signatures that NuGet itself accepts
/// (`dotnet nuget verify`, restore under signatureValidationMode=require), BuildSigning's restore-time trust policy,
/// RFC 3161 timestamps from a loopback authority, the SBOMs packed inside, the Sigstore bundles beside each package,
/// `buildsign verify`, and bad signing input failing with coded errors without leaving anything that looks signed.
/// The library (<see cref="PackedLibrary"/>) is built once; each other pack is a `dotnet pack --no-build` into its own folder.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class PackSigningTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private const string NupkgName = $"{PackedLibrary.Id}.{PackedLibrary.Version}.nupkg";
    private const string SnupkgName = $"{PackedLibrary.Id}.{PackedLibrary.Version}.snupkg";
    private const string SpdxPredicateType = "https://spdx.dev/Document/v2.3";
    private const string CycloneDxPredicateType = "https://cyclonedx.org/bom";
    private const string ProvenancePredicateType = "https://slsa.dev/provenance/v1";

    /// <summary>What sits beside a signed package of the library: the message signature, two SBOMs per framework and the provenance.</summary>
    private static string[] NupkgBundles(string nupkgName) =>
    [
        $"{nupkgName}.sigstore.json",
        .. PackedLibrary.Frameworks.SelectMany(f => new[] { $"{nupkgName}.sbom.{f}.spdx.sigstore.json", $"{nupkgName}.sbom.{f}.cdx.sigstore.json" }),
        $"{nupkgName}.provenance.sigstore.json",
    ];

    [Fact]
    public void DevelopmentCertificate_SignsTheNupkgAndSnupkg_AndDotnetNuGetVerifyTrustsExactlyThatFingerprint()
    {
        var library = PackedLibrary.Get(product);
        var pack = library.DevelopmentPack;
        output.WriteLine(pack.ToString());
        string fingerprint = library.DevelopmentCertificateFingerprint;
        Assert.Contains("warning BS6016", pack.Output);

        // File names come from NuGet's own output: a 4-part version keeps its fourth part.
        string folder = library.OutputDirectory(PackedLibrary.DevelopmentOutput);
        string[] expected = [NupkgName, SnupkgName, .. NupkgBundles(NupkgName), $"{SnupkgName}.sigstore.json"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), FileNames(folder));

        using var stranger = TestCertificates.CreateSelfSignedCodeSigning("CN=Someone Else, O=Not Contoso");
        string trusting = NuGetSignatureConfig.WriteVerifyConfig(Path.Combine(product.Root, "verify-dev", "nuget.config"), fingerprint);
        string untrusting = NuGetSignatureConfig.WriteVerifyConfig(Path.Combine(product.Root, "verify-dev-wrong", "nuget.config"), TestCertificates.Sha256Fingerprint(stranger));
        foreach (string package in new[] { library.Nupkg, library.Snupkg })
        {
            Assert.Contains($"author-signed {package} (certificate SHA-256 {fingerprint}, no timestamp)", pack.Output);
            Assert.True(PackedLibrary.HasNuGetSignature(package), $"{package} has no .signature.p7s");

            AssertOnlyTheTrustedFingerprintVerifies(package, trusting, untrusting, fingerprint, "Signature type: Author");
        }

        // The bundles are over the final, signed bytes: the message digest and every statement subject are the package's SHA-256.
        AssertBundlesCoverFinalBytes(folder, NupkgName, NupkgBundles(NupkgName));
        AssertBundlesCoverFinalBytes(folder, SnupkgName, [$"{SnupkgName}.sigstore.json"]);
    }

    [Fact]
    public void PfxCertificate_SignsTheNupkgAndSnupkg_AndOnlyItsFingerprintVerifies()
    {
        const string password = "pfx-Pa55word-for-tests";
        var library = PackedLibrary.Get(product);
        string keys = Directory.CreateDirectory(Path.Combine(product.Root, "pack-pfx-keys")).FullName;
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning("CN=Contoso Release Signing (test), O=Contoso");
        string pfx = TestCertificates.ExportPfx(certificate, Path.Combine(keys, "release.pfx"), password);
        string certificatePem = TestKeys.WriteCertificatePem(Path.Combine(keys, "release.cer.pem"), certificate);
        string fingerprint = TestCertificates.Sha256Fingerprint(certificate);

        var pack = library.Pack("out-pfx", new Dictionary<string, string?> { ["RELEASE_PFX_PASSWORD"] = password }, "dotnet",
            $"-p:BuildSigningKeyFile={pfx}", "-p:BuildSigningKeyPasswordVariable=RELEASE_PFX_PASSWORD");
        output.WriteLine(pack.ToString());
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.DoesNotContain("BS6016", pack.Output);
        Assert.DoesNotContain("BS1011", pack.Output);
        Assert.DoesNotContain(password, pack.Output);

        string folder = library.OutputDirectory("out-pfx");
        string[] expected = [NupkgName, SnupkgName, .. NupkgBundles(NupkgName), $"{SnupkgName}.sigstore.json"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), FileNames(folder));

        string trusting = NuGetSignatureConfig.WriteVerifyConfig(Path.Combine(product.Root, "verify-pfx", "nuget.config"), fingerprint);
        string trustingDevelopment = NuGetSignatureConfig.WriteVerifyConfig(Path.Combine(product.Root, "verify-pfx-dev", "nuget.config"), library.DevelopmentCertificateFingerprint);
        foreach (string package in new[] { Path.Combine(folder, NupkgName), Path.Combine(folder, SnupkgName) })
        {
            Assert.Contains($"author-signed {package} (certificate SHA-256 {fingerprint}, no timestamp)", pack.Output);
            AssertOnlyTheTrustedFingerprintVerifies(package, trusting, trustingDevelopment, fingerprint, "CN=Contoso Release Signing (test)");
        }
        AssertBundlesCoverFinalBytes(folder, NupkgName, NupkgBundles(NupkgName));
        AssertBundlesCoverFinalBytes(folder, SnupkgName, [$"{SnupkgName}.sigstore.json"]);

        // The bundles are signed with the PFX's key and carry its certificate.
        foreach (string bundle in NupkgBundles(NupkgName).Append($"{SnupkgName}.sigstore.json"))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, bundle)));
            string? rawBytes = document.RootElement.GetProperty("verificationMaterial").GetProperty("certificate").GetProperty("rawBytes").GetString();
            Assert.Equal(certificate.RawData, Convert.FromBase64String(rawBytes!));
        }

        string nupkg = Path.Combine(folder, NupkgName);
        var buildsign = product.BuildSign("verify", nupkg, "--key", certificatePem, "--certificate-fingerprint", fingerprint);
        output.WriteLine(buildsign.ToString());
        Assert.True(buildsign.ExitCode == 0, buildsign.ToString());
        foreach (string bundle in NupkgBundles(NupkgName)) Assert.Contains(bundle, buildsign.StandardOutput);

        var otherKey = product.BuildSign("verify", nupkg, "--key", product.DevelopmentPublicKey);
        Assert.True(otherKey.ExitCode == 2, otherKey.ToString());
        var otherCertificate = product.BuildSign("verify", nupkg, "--certificate-fingerprint", library.DevelopmentCertificateFingerprint);
        Assert.True(otherCertificate.ExitCode == 2, otherCertificate.ToString());
        Assert.Contains("BS6022", otherCertificate.Output);
    }

    [Fact]
    public void OutputFileNamesWithoutVersion_SignsAndAttestsTheFilesNuGetActuallyWrote()
    {
        var library = PackedLibrary.Get(product);
        var pack = library.Pack("out-noversion", null, "dotnet", "-p:OutputFileNamesWithoutVersion=true");
        output.WriteLine(pack.ToString());
        Assert.True(pack.ExitCode == 0, pack.ToString());

        string folder = library.OutputDirectory("out-noversion");
        const string nupkg = $"{PackedLibrary.Id}.nupkg";
        const string snupkg = $"{PackedLibrary.Id}.snupkg";
        string[] expected = [nupkg, snupkg, .. NupkgBundles(nupkg), $"{snupkg}.sigstore.json"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), FileNames(folder));
        AssertBundlesCoverFinalBytes(folder, nupkg, NupkgBundles(nupkg));
        AssertBundlesCoverFinalBytes(folder, snupkg, [$"{snupkg}.sigstore.json"]);

        string config = NuGetSignatureConfig.WriteVerifyConfig(Path.Combine(product.Root, "verify-noversion", "nuget.config"), library.DevelopmentCertificateFingerprint);
        foreach (string package in new[] { Path.Combine(folder, nupkg), Path.Combine(folder, snupkg) })
        {
            var verify = NuGetSignatureConfig.Verify(product, package, config);
            Assert.True(verify.ExitCode == 0, verify.ToString());
            Assert.Contains($"Successfully verified package '{PackedLibrary.Id}.{PackedLibrary.Version}'", verify.StandardOutput);
            var buildsign = product.BuildSign("verify", package, "--key", product.DevelopmentPublicKey);
            Assert.True(buildsign.ExitCode == 0, buildsign.ToString());
            Assert.Contains($"{Path.GetFileName(package)}.sigstore.json: message signature", buildsign.StandardOutput);
        }
    }

    [Fact]
    public void SignedPackage_RestoresUnderNuGetsRequireMode_OnlyWhenTheConsumerTrustsItsFingerprint()
    {
        var library = PackedLibrary.Get(product);
        string feed = SignedFeed(library);

        // No DOTNET_NUGET_SIGNATURE_VERIFICATION: on Linux the .NET SDK verifies package signatures at restore by default.
        var trusted = RestoreConsumer("require-trusted", feed, library.DevelopmentCertificateFingerprint, signatureVerification: null, out string packages);
        output.WriteLine(trusted.ToString());
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        // NU3027 (no timestamp) is a finding of NuGet's signature verification: it did look at the author signature.
        Assert.Contains($"warning NU3027: Package '{PackedLibrary.Id} {PackedLibrary.Version}'", trusted.Output);
        Assert.True(File.Exists(Path.Combine(packages, "contoso.signed", PackedLibrary.Version, $"contoso.signed.{PackedLibrary.Version}.nupkg")), "NuGet extracted the package");
        Assert.True(Directory.Exists(Path.Combine(packages, "newtonsoft.json", "13.0.3")), "nuget.org's repository signature was trusted too");

        // The check is real: a consumer that trusts another certificate is refused the same package.
        using var stranger = TestCertificates.CreateSelfSignedCodeSigning("CN=Someone Else, O=Not Contoso");
        var refused = RestoreConsumer("require-untrusted", feed, TestCertificates.Sha256Fingerprint(stranger), signatureVerification: null, out string refusedPackages);
        output.WriteLine(refused.ToString());
        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.Matches($@"error NU30(18|34): Package '{PackedLibrary.Id} {PackedLibrary.Version}'", refused.Output);
        Assert.False(File.Exists(Path.Combine(refusedPackages, "contoso.signed", PackedLibrary.Version, $"contoso.signed.{PackedLibrary.Version}.nupkg.metadata")));

        // ...and it is NuGet's signature verification that refuses it: switched off, the same consumer restores.
        var notVerified = RestoreConsumer("require-untrusted", feed, TestCertificates.Sha256Fingerprint(stranger), signatureVerification: "false", out _);
        Assert.True(notVerified.ExitCode == 0, notVerified.ToString());
        Assert.DoesNotContain("NU3018", notVerified.Output);
        Assert.DoesNotContain("NU3034", notVerified.Output);
    }

    [Fact]
    public void SignedPackage_PassesBuildSigningRestoreVerification_OnlyWithATrustPolicyNamingItsCertificate()
    {
        var library = PackedLibrary.Get(product);
        string fingerprint = library.DevelopmentCertificateFingerprint;
        string feed = SignedFeed(library);
        string consumer = PackedLibrary.CreateConsumer(product, "trust-policy-consumer", feed);
        // Its own package folder, so the package is the one signed in this run.
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(product.Root, "trust-policy-packages") };
        string policy = Path.Combine(consumer, "buildsigning.trust.json");

        // The built-in policy trusts nuget.org (Newtonsoft.Json) but not the development certificate.
        var builtIn = product.Dotnet(consumer, environment, "restore");
        output.WriteLine(builtIn.ToString());
        Assert.True(builtIn.ExitCode != 0, builtIn.ToString());
        Assert.Contains("error BS4012", builtIn.Output);
        Assert.Contains($"'{PackedLibrary.Id} {PackedLibrary.Version}'", builtIn.Output);
        Assert.Contains(fingerprint, builtIn.Output);
        Assert.DoesNotContain("'Newtonsoft.Json 13.0.3'", builtIn.Output);

        // Naming the fingerprint is not enough for a self-signed certificate: its root is not one the SDK trusts.
        File.WriteAllText(policy, TrustPolicy(fingerprint, allowUntrustedRoot: false));
        var untrustedRoot = product.Dotnet(consumer, environment, "restore");
        Assert.True(untrustedRoot.ExitCode != 0, untrustedRoot.ToString());
        Assert.Contains("error BS4022", untrustedRoot.Output);

        File.WriteAllText(policy, TrustPolicy(fingerprint, allowUntrustedRoot: true));
        var trusted = product.Dotnet(consumer, environment, "restore", "-v", "n");
        output.WriteLine(trusted.ToString());
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Contains("2 allowed, 0 rejected", trusted.Output);
        Assert.DoesNotContain("error BS", trusted.Output);
    }

    [Fact]
    public void TimestampUrl_TimestampsTheNuGetSignatureAndEveryBundle_AndNuGetVerifiesTheTimestamp()
    {
        var library = PackedLibrary.Get(product);
        var timestamped = library.Timestamped();
        var pack = timestamped.Pack;
        output.WriteLine(pack.ToString());
        Assert.True(pack.ExitCode == 0, pack.ToString());
        string folder = timestamped.Folder;
        string[] bundles = [.. NupkgBundles(NupkgName), $"{SnupkgName}.sigstore.json"];
        Assert.Equal(new[] { NupkgName, SnupkgName }.Concat(bundles).Order(StringComparer.Ordinal), FileNames(folder));
        // Two NuGet signatures and one token per bundle, all from this authority.
        Assert.True(timestamped.TimestampRequests >= 2 + bundles.Length, $"{timestamped.TimestampRequests} timestamp requests");

        string config = NuGetSignatureConfig.WriteVerifyConfig(Path.Combine(product.Root, "verify-tsa", "nuget.config"), library.DevelopmentCertificateFingerprint);
        foreach (string package in new[] { Path.Combine(folder, NupkgName), Path.Combine(folder, SnupkgName) })
        {
            Assert.Matches($@"author-signed {Regex.Escape(package)} \(certificate SHA-256 {library.DevelopmentCertificateFingerprint}, timestamp \d{{4}}-", pack.Output);
            var verify = NuGetSignatureConfig.Verify(product, package, config, timestamped.TrustingDotnet);
            output.WriteLine(verify.ToString());
            Assert.True(verify.ExitCode == 0, verify.ToString());
            Assert.Contains($"Successfully verified package '{PackedLibrary.Id}.{PackedLibrary.Version}'", verify.StandardOutput);
            Assert.Contains("Timestamp:", verify.StandardOutput);
            Assert.Contains("Verifying author primary signature's timestamp with timestamping service certificate", verify.StandardOutput);
            Assert.Contains("CN=BuildSigning Test Timestamp Authority", verify.StandardOutput);
            Assert.DoesNotContain("NU3027", verify.Output);

            // The stock SDK does not know the test authority's root: the timestamp is really checked.
            var stock = NuGetSignatureConfig.Verify(product, package, config);
            Assert.True(stock.ExitCode != 0, stock.ToString());
            Assert.Contains("NU3028", stock.Output);
        }

        // Every bundle carries an RFC 3161 token from this authority whose imprint covers the bundle's signature bytes.
        foreach (string bundle in bundles)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, bundle)));
            var root = document.RootElement;
            var tokens = root.GetProperty("verificationMaterial").GetProperty("timestampVerificationData").GetProperty("rfc3161Timestamps");
            var stamp = Assert.Single(tokens.EnumerateArray());
            Assert.True(Rfc3161TimestampToken.TryDecode(Convert.FromBase64String(stamp.GetProperty("signedTimestamp").GetString()!), out var token, out _), bundle);
            byte[] signature = root.TryGetProperty("dsseEnvelope", out var envelope)
                ? Convert.FromBase64String(envelope.GetProperty("signatures")[0].GetProperty("sig").GetString()!)
                : Convert.FromBase64String(root.GetProperty("messageSignature").GetProperty("signature").GetString()!);
            Assert.True(token!.VerifySignatureForData(signature, out X509Certificate2? signer, new X509Certificate2Collection(timestamped.AuthorityCertificate)),
                $"{bundle}: the token does not cover the signature");
            Assert.Equal(timestamped.AuthorityCertificate.Thumbprint, signer!.Thumbprint);
            Assert.InRange(token.TokenInfo.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-30), DateTimeOffset.UtcNow.AddMinutes(1));
        }
    }

    [Fact]
    public void BuildsignVerify_OfATimestampedPackage_TrustsTheTimestampRootsItShips()
    {
        var library = PackedLibrary.Get(product);
        var timestamped = library.Timestamped();
        Assert.True(timestamped.Pack.ExitCode == 0, timestamped.Pack.ToString());
        string package = Path.Combine(timestamped.Folder, NupkgName);
        string[] arguments = ["verify", package, "--key", product.DevelopmentPublicKey, "--certificate-fingerprint", library.DevelopmentCertificateFingerprint];

        // buildsign trusts the bundles it ships in trustedroots/ beside its NuGet, not any SDK's: the installed tool does
        // not trust the loopback authority, even on a DOTNET_ROOT whose SDK does.
        var untrusted = ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"), arguments, product.Root,
            product.Environment(new Dictionary<string, string?> { ["DOTNET_ROOT"] = timestamped.TrustingDotnetRoot }));
        output.WriteLine(untrusted.ToString());
        Assert.True(untrusted.ExitCode != 0, untrusted.ToString());
        Assert.Contains("BS6021", untrusted.StandardError);

        // A copy of the installed tool whose bundles also hold the authority's root trusts its timestamps.
        string trustingTool = NuGetTestTrust.CreateTrustingCopy(product.ToolPath, Path.Combine(product.Root, "tools-trusting-tsa"), TestCertificates.SharedRoot);
        string toolAssembly = Directory.GetFiles(trustingTool, "buildsign.dll", SearchOption.AllDirectories).Single();
        var verify = ProcessRunner.Run("dotnet", [toolAssembly, .. arguments], product.Root, product.Environment());
        output.WriteLine(verify.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Matches(@"timestamp: \d{4}-\d\d-\d\d [0-9:]+Z \(RFC 3161, verified\)", verify.StandardOutput);
        foreach (string bundle in NupkgBundles(NupkgName).Skip(1))
        {
            Assert.Matches($@"{Regex.Escape(bundle)}: .*RFC 3161 timestamp .* by CN=BuildSigning Test Timestamp Authority", verify.StandardOutput);
        }
    }

    [Fact]
    public void UnreachableOrFailingTimestampAuthority_FailsThePack_AndLeavesNoSignedPackage()
    {
        var library = PackedLibrary.Get(product);

        var unreachable = library.Pack("out-tsa-unreachable", null, "dotnet", $"-p:BuildSigningTimestampUrl={TimestampAuthority.UnreachableUrl()}");
        output.WriteLine(unreachable.ToString());
        AssertFailedWithoutSignedPackage(library, "out-tsa-unreachable", unreachable, "BS6007");

        using var failing = new TimestampAuthority(TimestampAuthorityMode.HttpServerError);
        var serverError = library.Pack("out-tsa-500", null, "dotnet", $"-p:BuildSigningTimestampUrl={failing.Url}");
        output.WriteLine(serverError.ToString());
        AssertFailedWithoutSignedPackage(library, "out-tsa-500", serverError, "BS6008");
        Assert.True(failing.RequestCount > 0, "the authority was asked");
    }

    public static TheoryData<string, string> BadSigningInput => new()
    {
        { "wrong-pfx-password", "BS1003" },
        { "no-code-signing-eku", "BS6001" },
        { "expired", "BS6002" },
        { "ecdsa", "BS6004" },
        { "pem-key-without-certificate", "BS6017" },
    };

    [Theory]
    [MemberData(nameof(BadSigningInput))]
    public void BadSigningInput_FailsThePackWithItsCode_AndLeavesNoSignedPackage(string kind, string code)
    {
        const string password = "right-pfx-password";
        const string wrongPassword = "Wr0ng-xyzzy-guess";
        var library = PackedLibrary.Get(product);
        string keys = Directory.CreateDirectory(Path.Combine(product.Root, $"pack-bad-{kind}")).FullName;
        string[] arguments;
        var environment = new Dictionary<string, string?> { ["BAD_INPUT_PASSWORD"] = kind == "wrong-pfx-password" ? wrongPassword : password };
        if (kind == "pem-key-without-certificate")
        {
            string key = TestKeys.WritePrivateKeyPem(Path.Combine(keys, "release.pem"), TestKeyKind.Rsa3072);
            arguments = [$"-p:BuildSigningKeyFile={key}"];
        }
        else
        {
            using var certificate = kind switch
            {
                "wrong-pfx-password" => TestCertificates.CreateSelfSignedCodeSigning(),
                "no-code-signing-eku" => TestCertificates.CreateWithoutCodeSigningEku(),
                "expired" => TestCertificates.CreateExpiredCodeSigning(),
                "ecdsa" => TestCertificates.CreateEcdsaCodeSigning(),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
            string pfx = TestCertificates.ExportPfx(certificate, Path.Combine(keys, "release.pfx"), password);
            arguments = [$"-p:BuildSigningKeyFile={pfx}", "-p:BuildSigningKeyPasswordVariable=BAD_INPUT_PASSWORD"];
        }

        string outputName = $"out-bad-{kind}";
        var pack = library.Pack(outputName, environment, "dotnet", arguments);
        output.WriteLine(pack.ToString());
        AssertFailedWithoutSignedPackage(library, outputName, pack, code);
        Assert.DoesNotContain(wrongPassword, pack.Output);
        Assert.DoesNotContain(password, pack.Output);
    }

    [Fact]
    public void EmbeddedSboms_DescribeThePackage_AndBuildsignVerifyChecksSignatureSbomsAndBundles()
    {
        var library = PackedLibrary.Get(product);
        string folder = library.OutputDirectory(PackedLibrary.DevelopmentOutput);

        using (var zip = ZipFile.OpenRead(library.Nupkg))
        {
            var sbomEntries = zip.Entries.Select(e => e.FullName).Where(n => n.StartsWith("buildsigning/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
            Assert.Equal(PackedLibrary.Frameworks.SelectMany(f => new[] { $"buildsigning/sbom.{f}.cdx.json", $"buildsigning/sbom.{f}.spdx.json" }).Order(StringComparer.Ordinal), sbomEntries);
            foreach (string framework in PackedLibrary.Frameworks)
            {
                string spdxText = ReadEntry(zip, $"buildsigning/sbom.{framework}.spdx.json");
                SbomAssertions.ValidSpdx(spdxText);
                var spdx = JsonNode.Parse(spdxText)!;
                string root = (string)spdx["relationships"]!.AsArray()
                    .Single(r => (string?)r!["spdxElementId"] == "SPDXRef-DOCUMENT" && (string?)r["relationshipType"] == "DESCRIBES")!["relatedSpdxElement"]!;
                var described = spdx["packages"]!.AsArray().Single(p => (string?)p!["SPDXID"] == root)!;
                Assert.Equal(PackedLibrary.Id, (string?)described["name"]);
                Assert.Equal(PackedLibrary.Version, (string?)described["versionInfo"]);
                Assert.Contains(spdx["packages"]!.AsArray(), p => (string?)p!["name"] == "Newtonsoft.Json" && (string?)p["versionInfo"] == "13.0.3");
                AssertSignedPredicate(Path.Combine(folder, $"{NupkgName}.sbom.{framework}.spdx.sigstore.json"), SpdxPredicateType, spdx);

                string cycloneDxText = ReadEntry(zip, $"buildsigning/sbom.{framework}.cdx.json");
                SbomAssertions.ValidCycloneDx(cycloneDxText);
                var cycloneDx = JsonNode.Parse(cycloneDxText)!;
                Assert.Equal(PackedLibrary.Id, (string?)cycloneDx["metadata"]!["component"]!["name"]);
                Assert.Equal(PackedLibrary.Version, (string?)cycloneDx["metadata"]!["component"]!["version"]);
                Assert.Contains(cycloneDx["components"]!.AsArray(), c => (string?)c!["purl"] == "pkg:nuget/Newtonsoft.Json@13.0.3");
                // The packed project is a package: a pkg:nuget purl in both formats, its Authors as supplier and SBOM author, its
                // description, and a single listed licence as CycloneDX license.id. A library needs no shared framework at run time.
                const string packedPurl = $"pkg:nuget/{PackedLibrary.Id}@{PackedLibrary.Version}";
                Assert.Equal(packedPurl, (string?)cycloneDx["metadata"]!["component"]!["purl"]);
                Assert.Equal(packedPurl, (string?)cycloneDx["metadata"]!["component"]!["bom-ref"]);
                Assert.Equal("MIT", (string?)cycloneDx["metadata"]!["component"]!["licenses"]![0]!["license"]!["id"]);
                Assert.Equal("Contoso", (string?)cycloneDx["metadata"]!["manufacturer"]!["name"]);
                Assert.DoesNotContain(cycloneDx["components"]!.AsArray(), c => (string?)c!["type"] == "framework");
                Assert.Equal(packedPurl, SbomAssertions.SpdxPurl(described));
                Assert.Equal("Organization: Contoso", (string?)described["supplier"]);
                Assert.Equal("A library packed and signed by the BuildSigning integration tests.", (string?)described["description"]);
                Assert.Contains("Organization: Contoso", spdx["creationInfo"]!["creators"]!.AsArray().Select(c => (string)c!));
                AssertSignedPredicate(Path.Combine(folder, $"{NupkgName}.sbom.{framework}.cdx.sigstore.json"), CycloneDxPredicateType, cycloneDx);
            }
        }
        Assert.Equal(ProvenancePredicateType, Bundles.ReadStatement(Path.Combine(folder, $"{NupkgName}.provenance.sigstore.json")).GetProperty("predicateType").GetString());

        var verify = product.BuildSign("verify", library.Nupkg, "--key", product.DevelopmentPublicKey, "--certificate-fingerprint", library.DevelopmentCertificateFingerprint);
        output.WriteLine(verify.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Verified {library.Nupkg} ({PackedLibrary.Id} {PackedLibrary.Version})", verify.StandardOutput);
        Assert.Contains(library.DevelopmentCertificateFingerprint, verify.StandardOutput);
        foreach (string framework in PackedLibrary.Frameworks)
        {
            Assert.Contains($"buildsigning/sbom.{framework}.spdx.json", verify.StandardOutput);
            Assert.Contains($"buildsigning/sbom.{framework}.cdx.json", verify.StandardOutput);
        }
        foreach (string bundle in NupkgBundles(NupkgName)) Assert.Contains(bundle, verify.StandardOutput);

        var symbols = product.BuildSign("verify", library.Snupkg, "--key", product.DevelopmentPublicKey, "--certificate-fingerprint", library.DevelopmentCertificateFingerprint);
        Assert.True(symbols.ExitCode == 0, symbols.ToString());
        Assert.Contains($"{SnupkgName}.sigstore.json: message signature", symbols.StandardOutput);

        // One changed byte in a copy of the package (its bundles beside it) and it no longer verifies.
        var tampered = TamperedCopy(library, "tampered-package");
        Assert.True(tampered.ExitCode == 2, tampered.ToString());
        Assert.Contains("error BS6021", tampered.Output);
        Assert.DoesNotContain("Verified ", tampered.StandardOutput);
    }

    private ProcessResult TamperedCopy(PackedLibrary library, string name)
    {
        string folder = Directory.CreateDirectory(Path.Combine(product.Root, name)).FullName;
        foreach (string file in Directory.GetFiles(library.OutputDirectory(PackedLibrary.DevelopmentOutput), NupkgName + "*"))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }
        string package = Path.Combine(folder, NupkgName);
        Assert.Equal(0, product.BuildSign("verify", package, "--key", product.DevelopmentPublicKey).ExitCode);
        byte[] bytes = File.ReadAllBytes(package);
        bytes[bytes.Length / 3] ^= 0x01; // inside the entries, before the signature and the central directory
        File.WriteAllBytes(package, bytes);
        var result = product.BuildSign("verify", package, "--key", product.DevelopmentPublicKey);
        output.WriteLine(result.ToString());
        return result;
    }

    /// <summary>The pack failed with the code; the package NuGet wrote before signing carries no NuGet signature and no bundle stands beside it.</summary>
    private static void AssertFailedWithoutSignedPackage(PackedLibrary library, string outputName, ProcessResult pack, string code)
    {
        Assert.True(pack.ExitCode != 0, pack.ToString());
        Assert.Contains($"error {code}", pack.Output);
        string folder = library.OutputDirectory(outputName);
        var packages = Directory.Exists(folder)
            ? Directory.GetFiles(folder).Where(f => f.EndsWith(".nupkg", StringComparison.Ordinal) || f.EndsWith(".snupkg", StringComparison.Ordinal)).ToArray()
            : [];
        Assert.Contains(Path.Combine(folder, NupkgName), packages);
        foreach (string package in packages) Assert.False(PackedLibrary.HasNuGetSignature(package), $"{package} looks signed after '{code}'");
        var leftovers = Directory.GetFiles(folder).Select(Path.GetFileName).Where(f => !f!.EndsWith("nupkg", StringComparison.Ordinal)).ToArray();
        Assert.True(leftovers.Length == 0, $"left beside the packages after '{code}': {string.Join(", ", leftovers)}");
        Assert.DoesNotContain("author-signed", pack.Output);
    }

    /// <summary>The message-signature bundle's digest and every statement's only subject are this file's name and final SHA-256.</summary>
    private static void AssertBundlesCoverFinalBytes(string folder, string packageName, IEnumerable<string> bundles)
    {
        string package = Path.Combine(folder, packageName);
        byte[] sha256 = SHA256.HashData(File.ReadAllBytes(package));
        foreach (string bundle in bundles)
        {
            string path = Path.Combine(folder, bundle);
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.TryGetProperty("messageSignature", out var message))
            {
                Assert.Equal("SHA2_256", message.GetProperty("messageDigest").GetProperty("algorithm").GetString());
                Assert.Equal(sha256, Convert.FromBase64String(message.GetProperty("messageDigest").GetProperty("digest").GetString()!));
                continue;
            }
            var subject = Assert.Single(Bundles.Subjects(path));
            Assert.Equal(packageName, subject.Key);
            Assert.Equal(Convert.ToHexStringLower(sha256), subject.Value);
        }
    }

    /// <summary>The statement in the bundle has this predicate type and, as its predicate, exactly the SBOM packed inside.</summary>
    private static void AssertSignedPredicate(string bundle, string predicateType, JsonNode embedded)
    {
        var statement = Bundles.ReadStatement(bundle);
        Assert.Equal(predicateType, statement.GetProperty("predicateType").GetString());
        var predicate = JsonNode.Parse(statement.GetProperty("predicate").GetRawText());
        Assert.True(JsonNode.DeepEquals(embedded, predicate), $"{Path.GetFileName(bundle)} signs another document than the SBOM in the package");
    }

    private static string ReadEntry(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"no entry '{name}' in the package");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }

    private static string[] FileNames(string folder) =>
        Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();

    /// <summary>A folder source holding only the development-signed .nupkg.</summary>
    private string SignedFeed(PackedLibrary library)
    {
        string feed = Directory.CreateDirectory(Path.Combine(product.Root, "signed-feed")).FullName;
        File.Copy(library.Nupkg, Path.Combine(feed, NupkgName), overwrite: true);
        return feed;
    }

    /// <summary>
    /// `dotnet restore` of a plain consumer of the package (no BuildSigning) under signatureValidationMode=require, trusting
    /// <paramref name="fingerprint"/> as author and nuget.org as repository, with a fresh package folder so NuGet extracts
    /// (and verifies) everything. <paramref name="signatureVerification"/> sets DOTNET_NUGET_SIGNATURE_VERIFICATION (null: unset).
    /// </summary>
    private ProcessResult RestoreConsumer(string name, string feed, string fingerprint, string? signatureVerification, out string packages)
    {
        string consumer = Path.Combine(product.Root, name);
        if (!Directory.Exists(consumer))
        {
            product.CreateProject(name, $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="{PackedLibrary.Id}" Version="{PackedLibrary.Version}" />
                  </ItemGroup>
                </Project>
                """);
            NuGetSignatureConfig.WriteRequireConfig(consumer, feed, fingerprint);
        }
        string obj = Path.Combine(consumer, "obj");
        if (Directory.Exists(obj)) Directory.Delete(obj, recursive: true);
        packages = Path.Combine(product.Root, $"{name}-packages-{Guid.NewGuid():N}");
        return product.Dotnet(consumer, new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = packages,
            ["DOTNET_NUGET_SIGNATURE_VERIFICATION"] = signatureVerification,
        }, "restore");
    }

    private static string TrustPolicy(string fingerprint, bool allowUntrustedRoot) => $$"""
        {
          // BuildSigning's restore-time trust policy (docs/trust-policy.md): our packages must be author-signed by our certificate.
          "version": 1,
          "trustedSigners": [
            {
              "name": "contoso",
              "kind": "author",
              "certificates": [
                { "fingerprint": "{{fingerprint}}", "hashAlgorithm": "SHA256", "allowUntrustedRoot": {{(allowUntrustedRoot ? "true" : "false")}} }
              ]
            }
          ],
          "packages": [
            { "id": "Contoso.*", "signers": ["contoso"], "reason": "our own packages are author-signed" }
          ]
        }
        """;

    /// <summary>`dotnet nuget verify --all` passes with a config trusting the signer's fingerprint and fails (NU3034) with one trusting another.</summary>
    private void AssertOnlyTheTrustedFingerprintVerifies(string package, string trustingConfig, string otherConfig, string fingerprint, string signerText)
    {
        var verify = NuGetSignatureConfig.Verify(product, package, trustingConfig);
        output.WriteLine(verify.ToString());
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Successfully verified package '{PackedLibrary.Id}.{PackedLibrary.Version}'", verify.StandardOutput);
        Assert.Contains(signerText, verify.StandardOutput);
        Assert.Contains($"SHA256 hash: {fingerprint}", verify.StandardOutput);

        var wrong = NuGetSignatureConfig.Verify(product, package, otherConfig);
        Assert.True(wrong.ExitCode != 0, wrong.ToString());
        Assert.Contains("NU3034", wrong.Output);
    }
}
