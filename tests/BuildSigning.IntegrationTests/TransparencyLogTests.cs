using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// BuildSigningTransparencyLogUrl and BuildSigningAuditLog through the packed package: real `dotnet publish` of the sample
/// against a Rekor-compatible log on 127.0.0.1 (RekorTestLog), then the packed buildsign tool and openssl check the result.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class TransparencyLogTests(PackagedBuildSigning product) : IDisposable
{
    private readonly RekorTestLog _log = new();

    public void Dispose() => _log.Dispose();

    private ProcessResult Publish(string project, string output, string? auditLog, Uri logUrl)
    {
        var arguments = new List<string> { "publish", "-c", "Release", "-o", output, $"-p:BuildSigningTransparencyLogUrl={logUrl}" };
        if (auditLog is not null) arguments.Add($"-p:BuildSigningAuditLog={auditLog}");
        return product.Dotnet(project, new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = null }, [.. arguments]);
    }

    private static string[] BundlesIn(string directory) =>
        Directory.EnumerateFiles(Path.Combine(directory, ".buildsigning"), "*.sigstore.json").Order(StringComparer.Ordinal).ToArray();

    private static JsonNode Entry(string bundle) => JsonNode.Parse(File.ReadAllText(bundle))!["verificationMaterial"]!["tlogEntries"]!.AsArray().Single()!;

    [Fact]
    public void Publish_logs_every_bundle_which_verifies_with_the_log_key_and_the_audit_log_chains()
    {
        string project = product.CopySample("tlog-publish");
        string logKey = _log.WritePublicKey(project);
        string audit = Path.Combine(project, "signing-audit.jsonl");
        string first = Path.Combine(project, "out1");
        string second = Path.Combine(project, "out2");
        PackagedBuildSigning.Require(Publish(project, first, audit, _log.Url));
        PackagedBuildSigning.Require(Publish(project, second, audit, _log.Url));

        var bundles = BundlesIn(first);
        Assert.Contains(bundles, b => b.EndsWith("provenance.sigstore.json", StringComparison.Ordinal));
        foreach (string bundle in bundles.Concat(BundlesIn(second)))
        {
            var entry = Entry(bundle);
            Assert.Equal("dsse", (string?)entry["kindVersion"]!["kind"]);
            Assert.NotNull(entry["inclusionProof"]!["checkpoint"]!["envelope"]);
        }

        var verify = product.BuildSign("verify", first, "--key", product.DevelopmentPublicKey, "--transparency-log-key", logKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(bundles.Length, CountOccurrences(verify.StandardOutput, "(body, SET, inclusion proof and checkpoint verified)"));

        // Independently of BuildSigning: openssl checks the SET over the canonical JSON and the checkpoint's note signature.
        var e = Entry(bundles[0]);
        string payload = $"{{\"body\":\"{(string)e["canonicalizedBody"]!}\",\"integratedTime\":{(string)e["integratedTime"]!},"
            + $"\"logID\":\"{Convert.ToHexStringLower(Convert.FromBase64String((string)e["logId"]!["keyId"]!))}\",\"logIndex\":{(string)e["logIndex"]!}}}";
        OpensslVerify(project, logKey, Encoding.UTF8.GetBytes(payload), Convert.FromBase64String((string)e["inclusionPromise"]!["signedEntryTimestamp"]!));
        string checkpoint = (string)e["inclusionProof"]!["checkpoint"]!["envelope"]!;
        string note = checkpoint[..(checkpoint.IndexOf("\n\n", StringComparison.Ordinal) + 1)];
        byte[] noteSignature = Convert.FromBase64String(checkpoint.TrimEnd('\n').Split(' ')[^1])[4..];
        OpensslVerify(project, logKey, Encoding.UTF8.GetBytes(note), noteSignature);

        // The audit log: one signed line per new signature of both publishes, chained.
        var auditVerify = product.BuildSign("audit", "verify", audit, "--key", product.DevelopmentPublicKey);
        Assert.True(auditVerify.ExitCode == 0, auditVerify.ToString());
        // Every logged index of the second publish's bundles is proven by their entries (the first publish's are too: out1 was not re-signed).
        var auditWithLog = product.BuildSign("audit", "verify", audit, "--transparency-log-key", logKey);
        Assert.True(auditWithLog.ExitCode == 0, auditWithLog.ToString());
        Assert.Contains("logged index(es) proven by the entries in their bundles", auditWithLog.StandardOutput);
        var lines = File.ReadAllLines(audit);
        Assert.True(lines.Length >= bundles.Length * 2, $"{lines.Length} audit lines for {bundles.Length} bundles per publish");
        Assert.All(lines, l => Assert.NotNull(JsonNode.Parse(l)!["tlogIndex"]));
        string keyId = (string)JsonNode.Parse(lines[0])!["keyId"]!;
        var list = product.BuildSign("audit", "list", audit, "--key", keyId[..12]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(lines.Length, list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("publish", list.StandardOutput);

        string edited = Path.Combine(project, "edited.jsonl");
        File.WriteAllLines(edited, lines.Select((l, i) => i == 1 ? l.Replace("\"Release\"", "\"Debug\"", StringComparison.Ordinal) : l));
        var editedResult = product.BuildSign("audit", "verify", edited);
        Assert.Equal(2, editedResult.ExitCode);
        Assert.Contains("BS7022", editedResult.StandardError);
        Assert.Contains("at line 3:", editedResult.StandardError);
        Assert.Contains("line 2", editedResult.StandardError);

        string deleted = Path.Combine(project, "deleted.jsonl");
        File.WriteAllLines(deleted, lines.Where((_, i) => i != 2));
        var deletedResult = product.BuildSign("audit", "verify", deleted);
        Assert.Equal(2, deletedResult.ExitCode);
        Assert.Contains("at line 3:", deletedResult.StandardError);

        // An altered log entry fails the check it breaks.
        foreach (var (alteration, check) in new[] { ("body", "body"), ("index", "signed entry timestamp"), ("proof", "inclusion proof"), ("set", "signed entry timestamp") })
        {
            string copy = Path.Combine(project, "altered-" + alteration);
            CopyDirectory(first, copy);
            string bundle = BundlesIn(copy).First(b => b.EndsWith("provenance.sigstore.json", StringComparison.Ordinal));
            var json = JsonNode.Parse(File.ReadAllText(bundle))!;
            var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
            switch (alteration)
            {
                case "body":
                    string body = Encoding.UTF8.GetString(Convert.FromBase64String((string)entry["canonicalizedBody"]!));
                    var value = (string)JsonNode.Parse(body)!["spec"]!["payloadHash"]!["value"]!;
                    entry["canonicalizedBody"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(body.Replace(value, new string('0', 64), StringComparison.Ordinal)));
                    break;
                case "index": entry["logIndex"] = (long.Parse((string)entry["logIndex"]!) + 1).ToString(); break;
                case "proof":
                    var hashes = entry["inclusionProof"]!["hashes"]!.AsArray();
                    if (hashes.Count == 0) hashes.Add(Convert.ToBase64String(new byte[32]));
                    else hashes[0] = Convert.ToBase64String(new byte[32]);
                    break;
                case "set":
                    byte[] set = Convert.FromBase64String((string)entry["inclusionPromise"]!["signedEntryTimestamp"]!);
                    set[^2] ^= 0x01;
                    entry["inclusionPromise"]!["signedEntryTimestamp"] = Convert.ToBase64String(set);
                    break;
            }
            File.WriteAllText(bundle, json.ToJsonString());
            var altered = product.BuildSign("verify", copy, "--key", product.DevelopmentPublicKey, "--transparency-log-key", logKey);
            Assert.True(altered.ExitCode == 2, $"{alteration}: {altered}");
            Assert.Contains($"BS7006: The transparency-log entry of '{bundle}' fails the {check} check", altered.StandardError);
        }

        // An approval is a signing event like the others: logged in the transparency log and appended to the same audit log.
        string approver = Path.Combine(project, "approver", "approver.pem");
        PackagedBuildSigning.Require(product.BuildSign("keygen", "--out", approver));
        var approve = product.BuildSign("approve", first, "--key", approver, "--development-key",
            "--transparency-log-url", _log.Url.ToString(), "--audit-log", audit);
        Assert.True(approve.ExitCode == 0, approve.ToString());
        var approvals = Directory.GetFiles(Path.Combine(first, ".buildsigning", "approvals"), "*.sigstore.json", SearchOption.AllDirectories);
        Assert.NotEmpty(approvals);
        Assert.All(approvals, a => Assert.Equal("dsse", (string?)Entry(a)["kindVersion"]!["kind"]));
        var withApproval = File.ReadAllLines(audit);
        Assert.Equal(lines.Length + approvals.Length, withApproval.Length);
        Assert.All(withApproval.Skip(lines.Length), l => Assert.Equal("approve", (string?)JsonNode.Parse(l)!["event"]));
        var auditAfterApproval = product.BuildSign("audit", "verify", audit, "--transparency-log-key", logKey);
        Assert.True(auditAfterApproval.ExitCode == 0, auditAfterApproval.ToString());
    }

    [Fact]
    public void Pack_logs_every_statement_beside_the_package_and_buildsign_verify_checks_them()
    {
        var library = PackedLibrary.Get(product);
        string audit = Path.Combine(library.ProjectDirectory, "pack-audit.jsonl");
        var pack = library.Pack("out-tlog", null, "dotnet", $"-p:BuildSigningTransparencyLogUrl={_log.Url}", $"-p:BuildSigningAuditLog={audit}");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        string folder = library.OutputDirectory("out-tlog");
        string nupkg = Path.Combine(folder, $"{PackedLibrary.Id}.{PackedLibrary.Version}.nupkg");
        var statements = Directory.GetFiles(folder, Path.GetFileName(nupkg) + ".*.sigstore.json");
        Assert.Equal(1 + 2 * PackedLibrary.Frameworks.Length, statements.Length); // provenance, two SBOMs per framework
        foreach (string bundle in statements) Assert.Equal("dsse", (string?)Entry(bundle)["kindVersion"]!["kind"]);

        string logKey = _log.WritePublicKey(library.ProjectDirectory);
        var verify = product.BuildSign("verify", nupkg, "--key", product.DevelopmentPublicKey,
            "--certificate-fingerprint", library.DevelopmentCertificateFingerprint, "--transparency-log-key", logKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(statements.Length, CountOccurrences(verify.StandardOutput, "(body, SET, inclusion proof and checkpoint verified)"));

        // The audit log: the statements beside the .nupkg and the one carried inside it (.buildsigning/package.sigstore.json),
        // plus one pack-file line per package file (.nupkg and .snupkg).
        var auditVerify = product.BuildSign("audit", "verify", audit, "--key", product.DevelopmentPublicKey, "--transparency-log-key", logKey);
        Assert.True(auditVerify.ExitCode == 0, auditVerify.ToString());
        var events = File.ReadAllLines(audit).Select(l => (string)JsonNode.Parse(l)!["event"]!).ToArray();
        Assert.Equal(statements.Length + 1, events.Count(e => e == "pack"));
        Assert.Equal(2, events.Count(e => e == "pack-file"));
    }

    [Fact]
    public void An_unreachable_log_fails_the_publish_and_leaves_no_bundle_claiming_an_entry()
    {
        string project = product.CopySample("tlog-unreachable");
        string output = Path.Combine(project, "out");
        var result = Publish(project, output, null, TimestampAuthority.UnreachableUrl());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error BS7002", result.StandardOutput);
        var claiming = Directory.EnumerateFiles(project, "*.sigstore.json", SearchOption.AllDirectories)
            .Where(b => JsonNode.Parse(File.ReadAllText(b))!["verificationMaterial"]!["tlogEntries"]!.AsArray().Count > 0)
            .ToArray();
        Assert.Empty(claiming);
        Assert.False(Directory.Exists(Path.Combine(output, ".buildsigning")) && BundlesIn(output).Length > 0, "a publish whose signatures could not be logged left bundles");
    }

    [Fact]
    public void The_gate_counts_only_signatures_logged_in_a_log_its_policy_trusts()
    {
        // One publish through the packed package, logged in the loopback log; then the installed tool is the gate.
        string project = product.CopySample("tlog-gate");
        string output = Path.Combine(project, "out");
        PackagedBuildSigning.Require(Publish(project, output, null, _log.Url));
        string logKeyFile = Path.GetFileName(_log.WritePublicKey(project));
        File.Copy(product.DevelopmentPublicKey, Path.Combine(project, "build.pub.pem"), overwrite: true);
        using (var otherLog = new RekorTestLog()) File.WriteAllText(Path.Combine(project, "other.pub.pem"), otherLog.PublicKey.ExportPem());
        string Policy(string name, string logKey, string extraKeys = "", int count = 1)
        {
            string path = Path.Combine(project, name + ".policy.json");
            File.WriteAllText(path, $$"""
                {
                  "version": 1,
                  "keys": [ { "name": "build", "publicKeyFile": "build.pub.pem" }{{extraKeys}} ],
                  "threshold": { "count": {{count}} },
                  "transparencyLogs": { "keys": [ { "name": "rekor-internal", "publicKeyFile": "{{logKey}}" } ], "threshold": 1 }
                }
                """);
            return path;
        }
        ProcessResult Gate(string policy, int exitCode)
        {
            var result = product.BuildSign("verify", output, "--policy", policy);
            Assert.True(result.ExitCode == exitCode, $"expected exit code {exitCode}:\n{result}");
            return result;
        }

        // The log's key: every signature is logged, the check passes and says so.
        var pass = Gate(Policy("logged", logKeyFile), 0);
        Assert.Contains("pass  transparency-log: ", pass.StandardOutput);
        Assert.Contains("pass  threshold: ", pass.StandardOutput);
        var json = product.BuildSign("verify", output, "--policy", Path.Combine(project, "logged.policy.json"), "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var check = JsonNode.Parse(json.StandardOutput)!["checks"]!.AsArray().Single(c => (string?)c!["name"] == "transparency-log")!;
        Assert.Equal("pass", (string?)check["status"]);

        // Another log's key: the same folder fails, naming the transparency-log check (and nothing counts for the threshold).
        var other = Gate(Policy("other-log", "other.pub.pem"), 1);
        Assert.Contains("fail  transparency-log: ", other.StandardOutput);
        Assert.Contains("a log the policy does not trust", other.StandardOutput);
        Assert.Contains("fail  threshold: 0 of 1", other.StandardOutput);

        // An approval made without the log does not count, and the check names it; the build's logged signature still does.
        var keygen = product.BuildSign("keygen", "--out", Path.Combine(project, "alice.pem"));
        Assert.True(keygen.ExitCode == 0, keygen.ToString());
        var approve = product.BuildSign("approve", output, "--key", Path.Combine(project, "alice.pem"), "--signer-key", Path.Combine(project, "build.pub.pem"));
        Assert.True(approve.ExitCode == 0, approve.ToString());
        string alice = ", { \"name\": \"alice\", \"publicKeyFile\": \"alice.pub.pem\" }";
        var unlogged = Gate(Policy("unlogged-approval", logKeyFile, alice, count: 2), 1);
        Assert.Contains("fail  transparency-log: ", unlogged.StandardOutput);
        Assert.Contains("(alice): the bundle carries no transparency-log entry", unlogged.StandardOutput);
        Assert.Contains("fail  threshold: 1 of 2", unlogged.StandardOutput);
    }

    private static void OpensslVerify(string directory, string publicKey, byte[] data, byte[] signature)
    {
        string dataPath = Path.Combine(directory, "openssl-data.bin");
        string signaturePath = Path.Combine(directory, "openssl-sig.der");
        File.WriteAllBytes(dataPath, data);
        File.WriteAllBytes(signaturePath, signature);
        var result = ProcessRunner.Run("openssl", ["dgst", "-sha256", "-verify", publicKey, "-signature", signaturePath, dataPath]);
        Assert.True(result.ExitCode == 0 && result.StandardOutput.Contains("Verified OK"), result.ToString());
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
