using System.Text.Json.Nodes;
using BuildSigning.TestSupport;
using Xunit.Abstractions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// The deployment gate through the installed buildsign tool: a real publish (and the real packed library) signed by the
/// build, approved with `buildsign approve` by keys made with `buildsign keygen`, then `buildsign verify --policy` against
/// policies that must pass and policies that must fail, each for its own reason.
/// </summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class DeploymentGateTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private const string ReleaseBuilder = "https://ci.example.com/builders/release";
    private static readonly string[] Approvers = ["alice", "bob", "carol", "dave"];

    private static readonly Dictionary<string, string?> LocalBuild = new()
    {
        ["GITHUB_ACTIONS"] = null, ["TF_BUILD"] = null, ["GITLAB_CI"] = null, ["JENKINS_URL"] = null, ["SOURCE_DATE_EPOCH"] = null,
    };

    private string Workspace(string name) => Directory.CreateDirectory(Path.Combine(product.Root, "gate", name)).FullName;

    /// <summary>Keys alice..dave made with buildsign keygen, and the build's (development) public key, in <paramref name="directory"/>.</summary>
    private void MakeKeys(string directory)
    {
        foreach (string name in Approvers)
        {
            Require(Run(directory, null, "keygen", "--out", Path.Combine(directory, name + ".pem")));
        }
    }

    /// <summary>The build's (development) public key: made by the first build of the run, so copied after a build.</summary>
    private void CopyBuildKey(string directory) => File.Copy(product.DevelopmentPublicKey, Path.Combine(directory, "build.pub.pem"), overwrite: true);

    private ProcessResult Run(string workingDirectory, IDictionary<string, string?>? environment, params string[] arguments)
    {
        var result = ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"), arguments, workingDirectory, product.Environment(environment));
        output.WriteLine(result.ToString());
        return result;
    }

    private static ProcessResult Require(ProcessResult result, int exitCode = 0)
    {
        Assert.True(result.ExitCode == exitCode, $"expected exit code {exitCode}:\n{result}");
        Assert.DoesNotContain("Exception", result.Output);
        return result;
    }

    private static string Policy(string directory, string name, string body)
    {
        string path = Path.Combine(directory, name + ".policy.json");
        File.WriteAllText(path, body);
        return path;
    }

    private const string KeyList = """
          "keys": [
            { "name": "build", "publicKeyFile": "build.pub.pem" },
            { "name": "alice", "publicKeyFile": "alice.pub.pem" },
            { "name": "bob", "publicKeyFile": "bob.pub.pem", "notBefore": "2025-01-01", "notAfter": "2099-01-01" },
            { "name": "carol", "publicKeyFile": "carol.pub.pem" },
            { "name": "dave", "publicKeyFile": "dave.pub.pem" },
            // the same public key as alice under another name: it must count once
            { "name": "alice-laptop", "publicKeyFile": "alice.pub.pem" }
          ],
        """;

    private static string GoodPolicy(string threshold = "\"count\": 2, \"keys\": [\"alice\", \"bob\", \"carol\"]", string builder = ReleaseBuilder,
        string deniedLicenses = "\"GPL-3.0-only\", \"AGPL-3.0-only\"", string deniedVersions = "[13.0.1]", string revoked = "", string keys = KeyList) => $$"""
        {
          // comments are allowed
          "version": 1,
        {{keys}}
          "revoked": [ {{revoked}} ],
          "threshold": { {{threshold}} },
          "require": ["spdx", "cyclonedx", "provenance"],
          "provenance": { "builderIds": ["{{builder}}"] },
          "sbom": {
            "deniedLicenses": [{{deniedLicenses}}],
            "deniedPackages": [ { "id": "Newtonsoft.Json", "versions": "{{deniedVersions}}", "reason": "known-bad version" } ]
          }
        }
        """;

    private static void CopyDirectory(string source, string destination)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public void PublishFolder_KOfNApprovals_RequiredAttestations_ProvenanceAndSbomRules_JsonAndGitHubOutput()
    {
        string work = Workspace("publish");
        MakeKeys(work);
        string project = product.CopySample("gate-publish");
        string publish = Path.Combine(work, "out");
        PackagedBuildSigning.Require(product.Dotnet(project, LocalBuild, "publish", "-c", "Release", "-o", publish, $"-p:BuildSigningBuilderId={ReleaseBuilder}"));
        CopyBuildKey(work);

        // Approvals: alice and bob, each a separate bundle per statement; alice again adds nothing; nothing existing changes.
        var before = Directory.EnumerateFiles(Path.Combine(publish, ".buildsigning")).ToDictionary(p => p, File.ReadAllBytes);
        foreach (string approver in new[] { "alice", "bob" })
        {
            Assert.Contains("bundle(s) added", Require(Run(work, null, "approve", publish, "--key", Path.Combine(work, approver + ".pem"), "--signer-key", "build.pub.pem")).StandardOutput);
        }
        Assert.Contains("Nothing added", Require(Run(work, null, "approve", publish, "--key", "alice.pem", "--signer-key", "build.pub.pem")).StandardOutput);
        foreach (var (path, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(path));
        string aliceApprovals = Directory.EnumerateDirectories(Path.Combine(publish, ".buildsigning", "approvals")).First();
        Assert.Equal(2, Directory.EnumerateDirectories(Path.Combine(publish, ".buildsigning", "approvals")).Count());
        Assert.Contains(Directory.EnumerateFiles(aliceApprovals), f => Path.GetFileName(f) == "files.sigstore.json");
        // The plain verifier still accepts the folder with its approvals beside the signatures.
        Require(Run(work, null, "verify", publish, "--key", "build.pub.pem"));
        // Each approval verifies on its own with openssl: an ECDSA P-256 signature over the DSSE PAE of the same payload.
        string aliceFiles = Path.Combine(aliceApprovals, "files.sigstore.json");
        var openssl = Bundles.VerifyWithOpenSsl(aliceFiles, Path.Combine(work, Directory.EnumerateFiles(work, "*.pub.pem").Select(Path.GetFileName)
            .Single(f => KeyIdOf(Path.Combine(work, f!)) == Path.GetFileName(aliceApprovals))!), work);
        Assert.True(openssl.ExitCode == 0, openssl.ToString());
        Assert.Equal(Bundles.ReadStatement(Path.Combine(publish, ".buildsigning", "files.sigstore.json")).GetRawText(), Bundles.ReadStatement(aliceFiles).GetRawText());

        // 2 of {alice, bob, carol}: passes, one line per check.
        var pass = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "two-of-three", GoodPolicy())));
        foreach (string check in new[] { "signature", "threshold", "require-spdx", "require-cyclonedx", "require-provenance", "provenance", "sbom-licenses", "sbom-packages" })
        {
            Assert.Contains($"pass  {check}: ", pass.StandardOutput);
        }

        // The JSON object parses and names each check, the signers counted and the files checked.
        var json = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "two-of-three", GoodPolicy()), "--format", "json"));
        var result = JsonNode.Parse(json.StandardOutput)!.AsObject();
        Assert.Equal("pass", (string?)result["verdict"]);
        var checks = result["checks"]!.AsArray().Select(c => (Name: (string?)c!["name"], Status: (string?)c["status"], Reason: (string?)c["reason"])).ToArray();
        Assert.Equal(["signature", "threshold", "require-spdx", "require-cyclonedx", "require-provenance", "provenance", "sbom-licenses", "sbom-packages"], checks.Select(c => c.Name));
        Assert.All(checks, c => Assert.Equal("pass", c.Status));
        Assert.All(checks, c => Assert.False(string.IsNullOrWhiteSpace(c.Reason)));
        var counted = result["signers"]!.AsArray().Where(s => (bool)s!["counted"]!).SelectMany(s => s!["names"]!.AsArray().Select(n => (string?)n)).ToArray();
        Assert.Contains("alice", counted);
        Assert.Contains("bob", counted);
        Assert.Contains(result["files"]!.AsArray(), f => (string?)f!["name"] == "HelloSigned.dll" && ((string?)f["sha256"])!.Length == 64);

        // 1 of 3: only alice of {alice, carol, dave} signed.
        var one = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "one-of-three", GoodPolicy("\"count\": 2, \"keys\": [\"alice\", \"carol\", \"dave\"]"))), 1);
        Assert.Contains("fail  threshold: 1 of 2", one.StandardOutput);

        // One key listed twice under two names counts once.
        var twice = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "twice", GoodPolicy("\"count\": 2, \"keys\": [\"alice\", \"alice-laptop\", \"carol\"]"))), 1);
        Assert.Contains("fail  threshold: 1 of 2", twice.StandardOutput);
        Assert.Contains("3 names but 2 distinct public keys", twice.StandardOutput);

        // A revoked key, and a key outside its window, do not count.
        string bobId = KeyIdOf(Path.Combine(work, "bob.pub.pem"));
        var revoked = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "revoked",
            GoodPolicy(revoked: $$"""{ "keyId": "{{bobId}}", "revokedOn": "2025-06-01", "reason": "left the team" }"""))), 1);
        Assert.Contains("fail  threshold: 1 of 2", revoked.StandardOutput);
        Assert.Contains("left the team", revoked.StandardOutput);
        var window = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "window",
            GoodPolicy(keys: KeyList.Replace("\"notAfter\": \"2099-01-01\"", "\"notAfter\": \"2025-06-01\"")))), 1);
        Assert.Contains("fail  threshold: 1 of 2", window.StandardOutput);
        Assert.Contains("outside the key's validity", window.StandardOutput);

        // A provenance with the wrong builder id fails, naming the builder it has.
        var builder = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "builder", GoodPolicy(builder: "https://ci.example.com/builders/other"))), 1);
        Assert.Contains("fail  provenance: ", builder.StandardOutput);
        Assert.Contains(ReleaseBuilder, builder.StandardOutput);

        // A denied licence and a denied package version fail with their reason.
        var licence = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "licence", GoodPolicy(deniedLicenses: "\"MIT\""))), 1);
        Assert.Matches(@"fail  sbom-licenses: .*Newtonsoft\.Json 13\.0\.3 is licensed 'MIT': MIT is denied", licence.StandardOutput);
        var package = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "package", GoodPolicy(deniedVersions: "[13.0.3]"))), 1);
        Assert.Matches(@"fail  sbom-packages: Newtonsoft\.Json 13\.0\.3 is denied \(Newtonsoft\.Json \[13\.0\.3\]\): known-bad version", package.StandardOutput);

        // In GitHub Actions: ::error annotations and a Markdown summary.
        string summary = Path.Combine(work, "step-summary.md");
        var github = Require(Run(work, new Dictionary<string, string?> { ["GITHUB_ACTIONS"] = "true", ["GITHUB_STEP_SUMMARY"] = summary },
            "verify", publish, "--policy", Path.Combine(work, "package.policy.json")), 1);
        Assert.Contains("::error title=buildsign gate%3A sbom-packages::Newtonsoft.Json 13.0.3 is denied", github.StandardOutput);
        Assert.Contains("| sbom-packages | **fail** |", File.ReadAllText(summary));

        // A policy with an unknown field is a usage error (exit 2) with its line and column; so is a missing folder.
        var unknown = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "unknown", "{\n  \"version\": 1,\n  \"treshold\": { \"count\": 1 }\n}")), 2);
        Assert.Contains("BS3032", unknown.StandardError);
        Assert.Contains("(3,3)", unknown.StandardError);
        Require(Run(work, null, "verify", Path.Combine(work, "no-such-folder"), "--policy", Path.Combine(work, "two-of-three.policy.json")), 2);

        // Tampering after approval fails the signature check.
        File.AppendAllText(Path.Combine(publish, "HelloSigned.dll"), "x");
        var tampered = Require(Run(work, null, "verify", publish, "--policy", Path.Combine(work, "two-of-three.policy.json")), 1);
        Assert.Contains("fail  signature: ", tampered.StandardOutput);
        Require(Run(work, null, "approve", publish, "--key", "carol.pem", "--signer-key", "build.pub.pem"), 2);
    }

    [Fact]
    public void PublishWithoutSbom_FailsAPolicyThatRequiresOne()
    {
        string work = Workspace("no-sbom");
        MakeKeys(work);
        string project = product.CopySample("gate-no-sbom");
        string publish = Path.Combine(work, "out");
        PackagedBuildSigning.Require(product.Dotnet(project, LocalBuild, "publish", "-c", "Release", "-o", publish, "-p:BuildSigningSbomFormats=none", $"-p:BuildSigningBuilderId={ReleaseBuilder}"));
        CopyBuildKey(work);
        Require(Run(work, null, "approve", publish, "--key", "alice.pem", "--signer-key", "build.pub.pem"));
        Require(Run(work, null, "approve", publish, "--key", "bob.pem", "--signer-key", "build.pub.pem"));
        var result = Require(Run(work, null, "verify", publish, "--policy", Policy(work, "require", GoodPolicy()), "--format", "json"), 1);
        var checks = JsonNode.Parse(result.StandardOutput)!["checks"]!.AsArray();
        Assert.Equal("fail", (string?)checks.Single(c => (string?)c!["name"] == "require-spdx")!["status"]);
        Assert.Equal("fail", (string?)checks.Single(c => (string?)c!["name"] == "require-cyclonedx")!["status"]);
        Assert.Equal("pass", (string?)checks.Single(c => (string?)c!["name"] == "require-provenance")!["status"]);
        Assert.Equal("pass", (string?)checks.Single(c => (string?)c!["name"] == "threshold")!["status"]);
    }

    [Fact]
    public void Nupkg_ApprovalsBesideThePackage_KOfN_DeniedPackage_AndJson()
    {
        string work = Workspace("nupkg");
        MakeKeys(work);
        var library = PackedLibrary.Get(product);
        CopyBuildKey(work);
        string folder = Directory.CreateDirectory(Path.Combine(work, "packages")).FullName;
        foreach (string file in Directory.EnumerateFiles(Path.GetDirectoryName(library.Nupkg)!, Path.GetFileName(library.Nupkg) + "*"))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }
        string nupkg = Path.Combine(folder, Path.GetFileName(library.Nupkg));
        var before = Directory.EnumerateFiles(folder).ToDictionary(p => p, File.ReadAllBytes);
        Require(Run(work, null, "approve", nupkg, "--key", "alice.pem", "--signer-key", "build.pub.pem"));
        Require(Run(work, null, "approve", nupkg, "--key", "bob.pem", "--signer-key", "build.pub.pem"));
        Assert.Contains("Nothing added", Require(Run(work, null, "approve", nupkg, "--key", "bob.pem", "--signer-key", "build.pub.pem")).StandardOutput);
        Assert.Equal(before.Keys.Order(), Directory.EnumerateFiles(folder).Order());
        foreach (var (path, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.True(Directory.Exists(nupkg + ".approvals"));
        // The package itself still verifies as before, NuGet signature included.
        Require(Run(work, null, "verify", nupkg, "--key", "build.pub.pem"));

        // Packages carry no provenance rule here (the library was packed by a local builder).
        string policy = GoodPolicy().Replace($"\"provenance\": {{ \"builderIds\": [\"{ReleaseBuilder}\"] }},", "");
        var json = Require(Run(work, null, "verify", nupkg, "--policy", Policy(work, "two-of-three", policy), "--format", "json"));
        var result = JsonNode.Parse(json.StandardOutput)!.AsObject();
        Assert.Equal("pass", (string?)result["verdict"]);
        Assert.Equal("package", (string?)result["targetKind"]);
        Assert.Equal(["signature", "threshold", "require-spdx", "require-cyclonedx", "require-provenance", "sbom-licenses", "sbom-packages"],
            result["checks"]!.AsArray().Select(c => (string?)c!["name"]));
        Assert.Equal(Path.GetFileName(nupkg), (string?)result["files"]![0]!["name"]);

        var one = Require(Run(work, null, "verify", nupkg, "--policy", Policy(work, "one", policy.Replace("[\"alice\", \"bob\", \"carol\"]", "[\"alice\", \"carol\", \"dave\"]"))), 1);
        Assert.Contains("fail  threshold: 1 of 2", one.StandardOutput);
        var twice = Require(Run(work, null, "verify", nupkg, "--policy", Policy(work, "twice", policy.Replace("[\"alice\", \"bob\", \"carol\"]", "[\"alice\", \"alice-laptop\"]"))), 1);
        Assert.Contains("fail  threshold: 1 of 2", twice.StandardOutput);
        var denied = Require(Run(work, null, "verify", nupkg, "--policy", Policy(work, "denied", policy.Replace("[13.0.1]", "[13.0.3]"))), 1);
        Assert.Contains("known-bad version", denied.StandardOutput);
        var builder = Require(Run(work, null, "verify", nupkg, "--policy", Policy(work, "builder", GoodPolicy(builder: "https://ci.example.com/builders/other"))), 1);
        Assert.Contains("fail  provenance: ", builder.StandardOutput);
        Assert.Contains("https://buildsigning.dev/builders/local", builder.StandardOutput);
    }

    private static string KeyIdOf(string publicKeyPem)
    {
        using var key = System.Security.Cryptography.ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(publicKeyPem));
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(key.ExportSubjectPublicKeyInfo())).ToLowerInvariant();
    }
}
