using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Gate;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Tests.Outputs;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Gate;

public sealed class GateTests : SignedOutputTestBase
{
    private readonly Dictionary<string, (string Private, string Public, KeyId Id)> _keys = [];

    private (string Private, string Public, KeyId Id) Key(string name)
    {
        if (_keys.TryGetValue(name, out var k)) return k;
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string priv = TestKeys.WritePrivateKeyPem(_temp.Combine("keys", name + ".pem"), ec);
        string pub = TestKeys.WritePublicKeyPem(_temp.Combine("keys", name + ".pub.pem"), ec);
        return _keys[name] = (priv, pub, KeyId.FromSubjectPublicKeyInfo(ec.ExportSubjectPublicKeyInfo()));
    }

    private static JsonObject Spdx(string license = "MIT", string version = "13.0.3") => JsonNode.Parse($$"""
        { "spdxVersion": "SPDX-2.3", "packages": [
          { "SPDXID": "SPDXRef-App", "name": "App", "versionInfo": "1.0.0", "licenseDeclared": "NOASSERTION" },
          { "SPDXID": "SPDXRef-N", "name": "Newtonsoft.Json", "versionInfo": "{{version}}", "licenseDeclared": "{{license}}",
            "externalRefs": [ { "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:nuget/Newtonsoft.Json@{{version}}" } ] } ] }
        """)!.AsObject();

    private static JsonObject Provenance(string builder = "https://ci.example.com/builders/release") => JsonNode.Parse($$"""
        { "buildDefinition": { "buildType": "https://buildsigning.dev/buildtypes/dotnet/v1",
            "externalParameters": { "source": { "repository": "https://git.example.com/contoso/app" } },
            "resolvedDependencies": [ { "uri": "git+https://git.example.com/contoso/app@refs/heads/main", "digest": { "gitCommit": "0123456789abcdef0123456789abcdef01234567" } } ] },
          "runDetails": { "builder": { "id": "{{builder}}" } } }
        """)!.AsObject();

    private void SignOutput(bool sbom = true, string license = "MIT", string builder = "https://ci.example.com/builders/release")
    {
        CreateOutput();
        var documents = new List<AttestationDocument>();
        if (sbom) documents.Add(new AttestationDocument("sbom.spdx", "https://spdx.dev/Document/v2.3", Spdx(license), [], true));
        documents.Add(new AttestationDocument("provenance", "https://slsa.dev/provenance/v1", Provenance(builder), [], false));
        OutputSigner.Sign(new OutputSigningRequest(Root, Description) { Attestations = (_, _) => documents }, _key);
    }

    private void Approve(string name)
    {
        using var key = TestKeys.Load(Key(name).Private);
        Approver.Approve(Root, key, [_key.PublicKey]);
    }

    private GatePolicy Policy(string body)
    {
        File.WriteAllText(_temp.Combine("build.pub.pem"), _key.PublicKey.ExportPem());
        foreach (string name in new[] { "alice", "bob", "carol" }) File.Copy(Key(name).Public, _temp.Combine(name + ".pub.pem"), overwrite: true);
        string path = _temp.WriteFile("policy.json", body);
        return GatePolicyReader.ReadFile(path);
    }

    private const string Keys = """
        "keys": [
          { "name": "build", "publicKeyFile": "build.pub.pem" },
          { "name": "alice", "publicKeyFile": "alice.pub.pem" },
          { "name": "bob", "publicKeyFile": "bob.pub.pem" },
          { "name": "carol", "publicKeyFile": "carol.pub.pem" },
          { "name": "alice-again", "publicKeyFile": "alice.pub.pem" } ],
        """;

    private static GateCheck Check(GateResult result, string name) => Assert.Single(result.Checks, c => c.Name == name);

    [Fact]
    public void TheIssueExample_IsAcceptedAsWritten()
    {
        foreach (string name in new[] { "alice", "bob", "ci" }) File.Copy(Key(name).Public, _temp.Combine(name + ".pub.pem"), overwrite: true);
        string path = _temp.WriteFile("example.json", """
            {
              "version": 1,
              "keys": [
                { "name": "alice", "publicKeyFile": "alice.pub.pem" },
                { "name": "bob", "publicKeyFile": "bob.pub.pem" },
                { "name": "ci", "publicKeyFile": "ci.pub.pem", "notBefore": "2025-01-01", "notAfter": "2030-01-01" }
              ],
              "revoked": [ { "keyId": "HEX", "revokedOn": "2026-06-01", "reason": "left the team" } ],
              "threshold": { "count": 2, "keys": ["alice", "bob", "ci"] },
              "require": ["spdx", "cyclonedx", "provenance"],
              "provenance": { "builderIds": ["https://ci.example.com/builders/release"], "sourceRepository": "https://git.example.com/contoso/app" },
              "sbom": {
                "deniedLicenses": ["GPL-3.0-only", "AGPL-3.0-only"],
                "deniedPackages": [ { "id": "Newtonsoft.Json", "versions": "[13.0.1]", "reason": "known-bad version" } ]
              }
            }
            """.Replace("HEX", Key("bob").Id.Hex));
        var policy = GatePolicyReader.ReadFile(path);
        Assert.Equal(3, policy.Keys.Count);
        Assert.Equal(2, policy.Threshold!.Count);
        Assert.Equal(3, policy.Require.Count);
        Assert.Equal(Key("bob").Id, policy.Revoked[0].KeyId);
        Assert.Equal("known-bad version", policy.Sbom!.DeniedPackages[0].Reason);
    }

    [Fact]
    public void UnknownField_IsRefusedWithLineAndColumn()
    {
        string path = _temp.WriteFile("bad.json", "{\n  \"version\": 1,\n  // a comment\n  \"thresold\": {}\n}");
        var errors = GatePolicyReader.TryRead(File.ReadAllBytes(path), path, out var policy);
        Assert.Null(policy);
        var error = Assert.Single(errors);
        Assert.StartsWith("BS3032", error.Formatted);
        Assert.Contains("(4,3)", error.Formatted);
        Assert.Contains("thresold", error.Formatted);
    }

    [Fact]
    public void TwoOfThree_PassesWithTwoApprovals_FailsWithOne_AndADuplicateListingCountsOnce()
    {
        SignOutput();
        Approve("alice");
        var one = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + " \"threshold\": { \"count\": 2, \"keys\": [\"alice\", \"bob\", \"carol\"] } }"));
        Assert.False(Check(one, GateEvaluator.ThresholdCheck).Passed, Check(one, GateEvaluator.ThresholdCheck).Reason);

        var twice = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + " \"threshold\": { \"count\": 2, \"keys\": [\"alice\", \"alice-again\", \"carol\"] } }"));
        Assert.False(Check(twice, GateEvaluator.ThresholdCheck).Passed);
        Assert.Contains("3 names but 2 distinct public keys", Check(twice, GateEvaluator.ThresholdCheck).Reason);

        Approve("bob");
        var two = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + " \"threshold\": { \"count\": 2, \"keys\": [\"alice\", \"bob\", \"carol\"] } }"));
        Assert.True(two.Passed, string.Join("\n", two.Checks));
        Assert.Contains(two.Signers, s => s.Names.Contains("alice") && s.Counted);
    }

    [Fact]
    public void RevokedKey_AndKeyOutsideItsWindow_DoNotCount()
    {
        SignOutput();
        Approve("alice");
        Approve("bob");
        var revoked = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys
            + " \"revoked\": [ { \"keyId\": \"" + Key("bob").Id.Hex + "\", \"revokedOn\": \"2020-06-01\", \"reason\": \"left the team\" } ],"
            + " \"threshold\": { \"count\": 2, \"keys\": [\"alice\", \"bob\"] } }"));
        Assert.False(revoked.Passed);
        Assert.Contains(revoked.Signers, s => s.Names.Contains("bob") && !s.Counted && s.Detail.Contains("left the team"));

        string windowKeys = Keys.Replace("\"name\": \"bob\", \"publicKeyFile\": \"bob.pub.pem\"", "\"name\": \"bob\", \"publicKeyFile\": \"bob.pub.pem\", \"notAfter\": \"2020-01-01\"");
        var expired = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + windowKeys + " \"threshold\": { \"count\": 2, \"keys\": [\"alice\", \"bob\"] } }"));
        Assert.False(Check(expired, GateEvaluator.ThresholdCheck).Passed);
        Assert.Contains(expired.Signers, s => s.Names.Contains("bob") && !s.Counted && s.Detail.Contains("outside"));
    }

    [Fact]
    public void Require_Provenance_AndSbomRules_FailWithTheirReason()
    {
        SignOutput(sbom: false, builder: "https://buildsigning.dev/builders/local");
        var result = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + """
             "require": ["spdx", "provenance"],
             "provenance": { "builderIds": ["https://ci.example.com/builders/release"] } }
            """));
        Assert.False(Check(result, "require-spdx").Passed);
        Assert.True(Check(result, "require-provenance").Passed, Check(result, "require-provenance").Reason);
        Assert.Contains("https://buildsigning.dev/builders/local", Check(result, GateEvaluator.ProvenanceCheck).Reason);
    }

    [Fact]
    public void DeniedLicence_AndDeniedPackageVersion_FailWithTheirReason()
    {
        SignOutput(license: "MIT OR GPL-3.0-only");
        var pass = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + """ "sbom": { "deniedLicenses": ["GPL-3.0-only"], "deniedPackages": [ { "id": "Newtonsoft.Json", "versions": "[13.0.1]", "reason": "known-bad version" } ] } }"""));
        Assert.True(pass.Passed, string.Join("\n", pass.Checks));
        var fail = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + """ "sbom": { "deniedLicenses": ["MIT", "GPL-3.0-only"], "deniedPackages": [ { "id": "Newtonsoft.*", "versions": "[13.0.1,13.0.3]", "reason": "known-bad version" } ] } }"""));
        Assert.Contains("Newtonsoft.Json 13.0.3", Check(fail, GateEvaluator.LicensesCheck).Reason);
        Assert.Contains("known-bad version", Check(fail, GateEvaluator.PackagesCheck).Reason);
        Assert.False(Check(fail, GateEvaluator.PackagesCheck).Passed);
    }

    [Fact]
    public void Approve_AddsNothingTwice_NeverChangesExistingFiles_AndRefusesAModifiedFolder()
    {
        SignOutput();
        var before = Directory.EnumerateFiles(AttestationDirectory).ToDictionary(p => p, File.ReadAllBytes);
        using (var alice = TestKeys.Load(Key("alice").Private))
        {
            var first = Approver.Approve(Root, alice, [_key.PublicKey]);
            Assert.Equal(3, first.Written.Count);
            var second = Approver.Approve(Root, alice, [_key.PublicKey]);
            Assert.Empty(second.Written);
            var own = Approver.Approve(Root, _key, [_key.PublicKey]);
            Assert.Empty(own.Written);
        }
        foreach (var (path, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.True(OutputVerifier.Verify(Root, [_key.PublicKey]).Succeeded);

        File.AppendAllText(Path.Combine(Root, "App.dll"), "tampered");
        using var bob = TestKeys.Load(Key("bob").Private);
        var e = Assert.Throws<BuildSigningException>(() => Approver.Approve(Root, bob, [_key.PublicKey]));
        Assert.Equal("BS3033", e.Code);
    }

    [Fact]
    public void Rotation_ATrustedTimestampInsideTheWindowCounts_WithoutTrustingTheAuthorityTheVerificationTimeIsUsed()
    {
        SignOutput();
        Approve("alice");
        using var authority = new TimestampAuthority { FixedTime = DateTimeOffset.UtcNow.AddHours(-2) };
        using (var bob = TestKeys.Load(Key("bob").Private))
        {
            Approver.Approve(Root, bob, [_key.PublicKey], authority.Url);
        }
        File.WriteAllText(_temp.Combine("tsa-root.pem"), authority.Root.ExportCertificatePem() + "\n");
        string ended = DateTimeOffset.UtcNow.AddHours(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        string keys = Keys.Replace("\"name\": \"bob\", \"publicKeyFile\": \"bob.pub.pem\"", $"\"name\": \"bob\", \"publicKeyFile\": \"bob.pub.pem\", \"notAfter\": \"{ended}\"");
        string threshold = " \"threshold\": { \"count\": 2, \"keys\": [\"alice\", \"bob\"] }";

        var trusted = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + keys + " \"timestampAuthorities\": [\"tsa-root.pem\"]," + threshold + " }"));
        Assert.True(Check(trusted, GateEvaluator.ThresholdCheck).Passed, string.Join("\n", trusted.Checks) + string.Join("\n", trusted.Signers));
        Assert.Contains(trusted.Signers, s => s.Names.Contains("bob") && s.Counted && s.Detail.Contains("trusted RFC 3161 timestamp"));

        var untrusted = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + keys + threshold + " }"));
        Assert.False(Check(untrusted, GateEvaluator.ThresholdCheck).Passed);
        Assert.Contains(untrusted.Signers, s => s.Names.Contains("bob") && !s.Counted && s.Detail.Contains("outside"));

        string revokedLater = " \"revoked\": [ { \"name\": \"bob\", \"revokedOn\": \"" + ended + "\" } ],";
        var revoked = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + revokedLater + " \"timestampAuthorities\": [\"tsa-root.pem\"]," + threshold + " }"));
        Assert.True(Check(revoked, GateEvaluator.ThresholdCheck).Passed, "a signature timestamped before the revocation still counts");
        var revokedNow = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + revokedLater + threshold + " }"));
        Assert.False(Check(revokedNow, GateEvaluator.ThresholdCheck).Passed);
    }

    [Fact]
    public void SigningAgain_KeepsApprovalsWhileNoStatementChanged_AndDropsThemWhenOneDid()
    {
        SignOutput();
        Approve("alice");
        string approvals = Path.Combine(AttestationDirectory, ApprovalLayout.DirectoryName);
        Assert.True(Directory.Exists(approvals));
        var documents = new List<AttestationDocument>
        {
            new("sbom.spdx", "https://spdx.dev/Document/v2.3", Spdx(), [], true),
            new("provenance", "https://slsa.dev/provenance/v1", Provenance(), [], false),
        };
        OutputSigner.Sign(new OutputSigningRequest(Root, Description) { Attestations = (_, _) => documents }, _key);
        Assert.True(Directory.Exists(approvals), "an unchanged signing removed the approvals");
        Write("App.dll", "a new build");
        OutputSigner.Sign(new OutputSigningRequest(Root, Description) { Attestations = (_, _) => documents }, _key);
        Assert.False(Directory.Exists(approvals), "approvals of the previous statements were kept");
    }
}
