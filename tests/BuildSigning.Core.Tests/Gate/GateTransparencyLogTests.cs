using System.Security.Cryptography;
using BuildSigning.Core.Gate;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Tests.Outputs;
using BuildSigning.Core.Transparency;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Gate;

/// <summary>The gate policy's <c>transparencyLogs</c>: reading it, counting only logged signatures, and the integrated time as signing time.</summary>
public sealed class GateTransparencyLogTests : SignedOutputTestBase, IDisposable
{
    private readonly RekorTestLog _log = new();
    private readonly RekorTestLog _otherLog = new();

    public new void Dispose()
    {
        _log.Dispose();
        _otherLog.Dispose();
        base.Dispose();
    }

    private SigningRecorder Recorder => new() { TransparencyLogUrl = _log.Url, TransparencyLogKey = _log.PublicKey };

    private void SignOutput(bool logged)
    {
        CreateOutput();
        OutputSigner.Sign(new OutputSigningRequest(Root, Description) { Recorder = logged ? Recorder : null }, _key);
    }

    private (string Private, string Public) Approver(string name)
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return (TestKeys.WritePrivateKeyPem(_temp.Combine("keys", name + ".pem"), ec), TestKeys.WritePublicKeyPem(_temp.Combine(name + ".pub.pem"), ec));
    }

    private void Approve(string privateKey, bool logged)
    {
        using var key = TestKeys.Load(privateKey);
        Core.Gate.Approver.Approve(Root, key, [_key.PublicKey], recorder: logged ? Recorder : null);
    }

    private string WritePolicy(string body)
    {
        File.WriteAllText(_temp.Combine("build.pub.pem"), _key.PublicKey.ExportPem());
        File.WriteAllText(_temp.Combine("rekor.pub.pem"), _log.PublicKey.ExportPem());
        File.WriteAllText(_temp.Combine("other.pub.pem"), _otherLog.PublicKey.ExportPem());
        return _temp.WriteFile("policy.json", body);
    }

    private GatePolicy Policy(string body) => GatePolicyReader.ReadFile(WritePolicy(body));

    private static string Logs(string file = "rekor.pub.pem", int threshold = 1) =>
        $$""" "transparencyLogs": { "keys": [ { "name": "rekor-internal", "publicKeyFile": "{{file}}" } ], "threshold": {{threshold}} }, """;

    private static GateCheck Check(GateResult result, string name) => Assert.Single(result.Checks, c => c.Name == name);

    [Fact]
    public void Reader_accepts_transparencyLogs_and_refuses_unknown_fields_and_a_threshold_above_the_distinct_keys()
    {
        var policy = Policy("""
            { "version": 1,
              "keys": [ { "name": "build", "publicKeyFile": "build.pub.pem" } ],
              "transparencyLogs": {
                // comments are allowed, as everywhere in the policy
                "keys": [ { "name": "rekor-internal", "publicKeyFile": "rekor.pub.pem" }, { "name": "other", "publicKey": "PEM" } ],
                "threshold": 2 } }
            """.Replace("PEM", _otherLog.PublicKey.ExportPem().ReplaceLineEndings("\\n")));
        Assert.Equal(2, policy.TransparencyLogs!.Threshold);
        Assert.Equal(["rekor-internal", "other"], policy.TransparencyLogs.Keys.Select(k => k.Name));
        Assert.Equal(_log.PublicKey.SubjectPublicKeyInfo, policy.TransparencyLogs.Keys[0].Key.SubjectPublicKeyInfo);

        string unknown = WritePolicy("{ \"version\": 1,\n  \"transparencyLogs\": {\n    \"keys\": [ { \"name\": \"r\", \"publicKeyFile\": \"rekor.pub.pem\", \"url\": \"x\" } ] } }");
        var errors = GatePolicyReader.TryRead(File.ReadAllBytes(unknown), unknown, out var refused);
        Assert.Null(refused);
        var error = Assert.Single(errors);
        Assert.StartsWith("BS3032", error.Formatted);
        Assert.Contains("(3,64)", error.Formatted);
        Assert.Contains("'url'", error.Formatted);

        // The same key under two names is one log: a threshold of 2 cannot be met.
        string twice = WritePolicy("""
            { "version": 1, "transparencyLogs": { "keys": [ { "name": "a", "publicKeyFile": "rekor.pub.pem" }, { "name": "b", "publicKeyFile": "rekor.pub.pem" } ], "threshold": 2 } }
            """);
        errors = GatePolicyReader.TryRead(File.ReadAllBytes(twice), twice, out refused);
        Assert.Null(refused);
        Assert.Contains("1 distinct public key", Assert.Single(errors).Formatted);

        foreach (string bad in new[] { "\"transparencyLogs\": { \"threshold\": 1 }", "\"transparencyLogs\": { \"keys\": [ { \"name\": \"a\" } ] }",
                     "\"transparencyLogs\": { \"keys\": [ { \"name\": \"a\", \"publicKeyFile\": \"rekor.pub.pem\" } ], \"threshold\": 0 }", "\"transparencyLogs\": { \"keys\": [] }" })
        {
            string path = WritePolicy("{ \"version\": 1, " + bad + " }");
            Assert.NotEmpty(GatePolicyReader.TryRead(File.ReadAllBytes(path), path, out refused));
            Assert.Null(refused);
        }
    }

    [Fact]
    public void Only_signatures_with_entries_verified_by_a_trusted_log_count()
    {
        SignOutput(logged: true);
        var alice = Approver("alice");
        var bob = Approver("bob");
        Approve(alice.Private, logged: true);
        Approve(bob.Private, logged: false);
        const string Keys = """
            "keys": [ { "name": "build", "publicKeyFile": "build.pub.pem" }, { "name": "alice", "publicKeyFile": "alice.pub.pem" }, { "name": "bob", "publicKeyFile": "bob.pub.pem" } ],
            """;

        // Without transparencyLogs, bob's unlogged approval counts: 3 of 3.
        var unchecked_ = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + " \"threshold\": { \"count\": 3 } }"));
        Assert.True(unchecked_.Passed, string.Join("\n", unchecked_.Checks));
        Assert.DoesNotContain(unchecked_.Checks, c => c.Name == GateEvaluator.TransparencyLogCheck);

        // With the log: the build and alice count, bob does not, and the check names his bundle.
        var two = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + Logs() + " \"threshold\": { \"count\": 2 } }"));
        Assert.True(Check(two, GateEvaluator.ThresholdCheck).Passed, Check(two, GateEvaluator.ThresholdCheck).Reason);
        var logCheck = Check(two, GateEvaluator.TransparencyLogCheck);
        Assert.False(logCheck.Passed);
        Assert.Contains("(bob)", logCheck.Reason);
        Assert.Contains("no transparency-log entry", logCheck.Reason);
        Assert.Contains(two.Signers, s => s.Names.Contains("bob") && !s.Counted);
        Assert.Contains(two.Signers, s => s.Names.Contains("alice") && s.Counted && s.Detail.Contains("integrated time"));
        var three = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + Logs() + " \"threshold\": { \"count\": 3 } }"));
        Assert.False(Check(three, GateEvaluator.ThresholdCheck).Passed);

        // Another log's key: nothing counts, and the reason says the log is not trusted.
        var other = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + Keys + Logs("other.pub.pem") + " \"threshold\": { \"count\": 1 } }"));
        Assert.False(other.Passed);
        Assert.False(Check(other, GateEvaluator.ThresholdCheck).Passed);
        Assert.Contains("a log the policy does not trust", Check(other, GateEvaluator.TransparencyLogCheck).Reason);
    }

    [Fact]
    public void The_integrated_time_decides_a_key_validity_window()
    {
        SignOutput(logged: true);
        var signedAround = DateTimeOffset.UtcNow;
        string window = $$"""
            "keys": [ { "name": "build", "publicKeyFile": "build.pub.pem", "notBefore": "{{signedAround.AddHours(-1):yyyy-MM-ddTHH:mm:ssZ}}", "notAfter": "{{signedAround.AddHours(1):yyyy-MM-ddTHH:mm:ssZ}}" } ],
            """;
        var later = signedAround.AddDays(30);

        // Verified a month later without a trusted time: "now" is outside the window.
        var untimed = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + window + " }"), later);
        Assert.False(Check(untimed, GateEvaluator.ThresholdCheck).Passed);
        Assert.Contains(untimed.Signers, s => s.Detail.Contains("outside"));

        // With the log trusted, the entry's integrated time (inside the window) is the signing time.
        var logged = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + window + Logs() + " }"), later);
        Assert.True(logged.Passed, string.Join("\n", logged.Checks));
        Assert.Contains(logged.Signers, s => s.Counted && s.Detail.Contains("integrated time of entry"));

        // And a window that had closed before the integrated time fails even when verified inside it.
        string closed = window.Replace(signedAround.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ"), signedAround.AddMinutes(-30).ToString("yyyy-MM-ddTHH:mm:ssZ"));
        var early = GateEvaluator.Evaluate(Root, Policy("{ \"version\": 1, " + closed + Logs() + " }"), signedAround.AddMinutes(-45));
        Assert.False(Check(early, GateEvaluator.ThresholdCheck).Passed);
    }
}
