using System.IO.Compression;
using System.Text.Json;
using BuildSigning.TestSupport;
using Xunit.Abstractions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// A package signed by key, without an X.509 code-signing certificate: `dotnet pack` with an EC key and
/// BuildSigningSignPackage=false embeds .buildsigning/package.sigstore.json, `buildsign verify --key` accepts it, restore
/// trusts it through the trust policy's trustedKeys; and `buildsign verify` fails closed on anything it cannot pin.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class KeySignedPackageTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private const string NupkgName = $"{PackedLibrary.Id}.{PackedLibrary.Version}.nupkg";
    private const string ContentsEntry = ".buildsigning/package.sigstore.json";

    [Fact]
    public void PackageSignedByKeyOnly_VerifiesByThatKey_AndPassesRestoreUnderTrustedKeys()
    {
        var library = PackedLibrary.Get(product);
        string keys = Directory.CreateDirectory(Path.Combine(product.Root, "team-keys")).FullName;
        string teamKey = Path.Combine(keys, "team.pem");
        PackagedBuildSigning.Require(product.BuildSign("keygen", "--out", teamKey));
        string teamPublicKey = Path.Combine(keys, "team.pub.pem");

        // With a certificate-less key, a NuGet signature is impossible: the error says how to sign by key instead.
        var refused = library.Pack("out-keyonly-refused", null, "dotnet", $"-p:BuildSigningKeyFile={teamKey}");
        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.Contains("error BS6017", refused.Output);
        Assert.Contains("BuildSigningSignPackage=false", refused.Output);
        Assert.Contains("trustedKeys", refused.Output);

        var pack = library.Pack("out-keyonly", null, "dotnet", $"-p:BuildSigningKeyFile={teamKey}", "-p:BuildSigningSignPackage=false");
        output.WriteLine(pack.ToString());
        Assert.True(pack.ExitCode == 0, pack.ToString());
        string package = Path.Combine(library.OutputDirectory("out-keyonly"), NupkgName);
        Assert.False(PackedLibrary.HasNuGetSignature(package));
        AssertContentsStatementCoversEveryEntry(package);

        var verified = product.BuildSign("verify", package, "--key", teamPublicKey);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Contains("signed by key only", verified.StandardOutput);
        Assert.Contains(ContentsEntry, verified.StandardOutput);

        // No key: nothing vouches for the package (the hint does not send the user back to BS6017).
        var unpinned = product.BuildSign("verify", package);
        Assert.NotEqual(0, unpinned.ExitCode);
        Assert.Contains("error BS6020", unpinned.StandardError);
        Assert.Contains("--key", unpinned.StandardError);
        Assert.DoesNotContain("BS6017", unpinned.StandardError);
        var otherKey = product.BuildSign("verify", package, "--key", product.DevelopmentPublicKey);
        Assert.NotEqual(0, otherKey.ExitCode);

        // An entry changed after signing: the carried statement no longer holds.
        string tampered = Path.Combine(product.Root, "keyonly-tampered", NupkgName);
        Directory.CreateDirectory(Path.GetDirectoryName(tampered)!);
        File.Copy(package, tampered);
        using (var zip = ZipFile.Open(tampered, ZipArchiveMode.Update))
        {
            using var writer = new StreamWriter(zip.CreateEntry("lib/net10.0/extra.txt").Open());
            writer.Write("added after signing");
        }
        var tamperedResult = product.BuildSign("verify", tampered, "--key", teamPublicKey);
        Assert.NotEqual(0, tamperedResult.ExitCode);
        Assert.Contains("error BS6031", tamperedResult.StandardError);
        Assert.Contains("lib/net10.0/extra.txt", tamperedResult.StandardError);

        // Restore: trusted by key through trustedKeys, rejected when the policy trusts another key.
        string feed = Directory.CreateDirectory(Path.Combine(product.Root, "keyonly-feed")).FullName;
        File.Copy(package, Path.Combine(feed, NupkgName), overwrite: true);
        string consumer = PackedLibrary.CreateConsumer(product, "keyonly-consumer", feed);
        File.Copy(teamPublicKey, Path.Combine(consumer, "team.pub.pem"));
        File.Copy(product.DevelopmentPublicKey, Path.Combine(consumer, "other.pub.pem"));
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(product.Root, "keyonly-packages") };
        string policy = Path.Combine(consumer, "buildsigning.trust.json");

        File.WriteAllText(policy, Policy("other.pub.pem"));
        var untrusted = product.Dotnet(consumer, environment, "restore");
        Assert.True(untrusted.ExitCode != 0, untrusted.ToString());
        Assert.Contains($"'{PackedLibrary.Id} {PackedLibrary.Version}'", untrusted.Output);

        File.WriteAllText(policy, Policy("team.pub.pem"));
        var trusted = product.Dotnet(consumer, environment, "restore", "-v", "n");
        output.WriteLine(trusted.ToString());
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.DoesNotContain("error BS", trusted.Output);
    }

    [Fact]
    public void SelfSignedPackage_FailsVerifyWithoutAPin_AndPassesPinnedByFingerprintOrByKey()
    {
        var library = PackedLibrary.Get(product);

        var unpinned = product.BuildSign("verify", library.Nupkg);
        Assert.NotEqual(0, unpinned.ExitCode);
        Assert.Contains("error BS6032", unpinned.StandardError);
        Assert.Contains(library.DevelopmentCertificateFingerprint, unpinned.StandardError);
        Assert.Contains("--certificate-fingerprint", unpinned.StandardError);

        var byFingerprint = product.BuildSign("verify", library.Nupkg, "--certificate-fingerprint", library.DevelopmentCertificateFingerprint);
        Assert.True(byFingerprint.ExitCode == 0, byFingerprint.ToString());
        Assert.Contains("accepted because it is pinned", byFingerprint.StandardOutput);

        // The development pack carries a statement by the development key too: pinning that key is a pin.
        var byKey = product.BuildSign("verify", library.Nupkg, "--key", product.DevelopmentPublicKey);
        Assert.True(byKey.ExitCode == 0, byKey.ToString());
        Assert.Contains(ContentsEntry, byKey.StandardOutput);
    }

    private static void AssertContentsStatementCoversEveryEntry(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var entry = zip.GetEntry(ContentsEntry);
        Assert.NotNull(entry);
        using var stream = entry!.Open();
        using var bundle = JsonDocument.Parse(stream);
        var statement = JsonDocument.Parse(Convert.FromBase64String(bundle.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!)).RootElement;
        Assert.Equal("https://buildsigning.dev/attestation/package-contents/v1", statement.GetProperty("predicateType").GetString());
        var subjects = statement.GetProperty("subject").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("digest").GetProperty("sha256").GetString()!);
        var entries = zip.Entries.Where(e => !e.FullName.StartsWith(".buildsigning/", StringComparison.Ordinal) && !e.FullName.EndsWith('/')).ToArray();
        Assert.Equal(entries.Select(e => e.FullName).Order(StringComparer.Ordinal), subjects.Keys.Order(StringComparer.Ordinal));
        foreach (var packaged in entries)
        {
            using var content = packaged.Open();
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), subjects[packaged.FullName]);
        }
    }

    private static string Policy(string publicKeyFile) => $$"""
        {
          "version": 1,
          "trustedKeys": [ { "name": "team", "publicKeyFile": "{{publicKeyFile}}" } ],
          "packages": [ { "id": "Contoso.*", "signers": ["team"], "reason": "our packages are signed by the team key" } ]
        }
        """;
}
