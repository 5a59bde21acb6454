using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Transparency;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>
/// Mutated bundles whose tlog entry came from the loopback Rekor log, and mutated Rekor answers, through the parsers and
/// the offline transparency-log verifier: each ends in a result or a coded error, never another exception or a hang.
/// </summary>
public sealed class TransparencyLogFuzzTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-fuzz-tlog");
    private readonly RekorTestLog _log = new();

    public void Dispose()
    {
        _log.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Verifying_any_mutated_logged_bundle_ends_in_a_result_or_a_coded_error()
    {
        using var key = TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP256);
        var recorder = new SigningRecorder { TransparencyLogUrl = _log.Url };
        var statement = new InTotoStatement([new Subject("a.dll", new string('a', 64)), new Subject("b.dll", new string('b', 64))], "https://example.com/p", new JsonObject { ["k"] = "v" });
        AttestationSigner.SignStatement(statement, key, recorder: recorder);
        AttestationSigner.SignStatement(statement, key, recorder: recorder);
        byte[] seed = AttestationSigner.SignStatement(statement, key, recorder: recorder).ToJsonBytes();
        TransparencyLogVerifier.Verify("seed", SigstoreBundle.TryParse(seed, out _)!, key.PublicKey, [_log.PublicKey]);

        Fuzz.Run(seed: 71_000, cases: 2000, [seed], input =>
        {
            if (SigstoreBundle.TryParse(input, out string reason) is not { } bundle)
            {
                if (string.IsNullOrWhiteSpace(reason)) throw new InvalidDataException("TryParse returned null without a reason.");
                return;
            }
            try
            {
                TransparencyLogVerifier.Verify("fuzzed.sigstore.json", bundle, key.PublicKey, [_log.PublicKey]);
            }
            catch (BuildSigningException e) when (e.Code.StartsWith("BS7", StringComparison.Ordinal))
            {
            }
        }, codedErrorsAllowed: false);
    }

    [Fact]
    public void Reading_any_mutated_Rekor_answer_ends_in_an_entry_or_a_format_error()
    {
        string answer = """
            {"24296fb24b8ad77a":{"body":"eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiZHNzZSJ9","integratedTime":1764631200,
             "logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d","logIndex":3,
             "verification":{"inclusionProof":{"checkpoint":"o - 1\n4\nAAAA\n\n\u2014 o AAAAAAA=\n","hashes":["00"],"logIndex":3,
             "rootHash":"00","treeSize":4},"signedEntryTimestamp":"AAAA"}}}
            """;
        Fuzz.Run(seed: 72_000, cases: 2000, [System.Text.Encoding.UTF8.GetBytes(answer)], input =>
        {
            try
            {
                var (_, entry) = RekorClient.ParseResponse(input);
                SignedCheckpoint.TryParse(entry.InclusionProof!.Checkpoint, out _);
                DsseLogBody.TryParse(entry.CanonicalizedBody, out _);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException)
            {
            }
        }, codedErrorsAllowed: false);
    }

    [Fact]
    public void Verifying_any_mutated_audit_log_ends_in_records_or_a_coded_error()
    {
        using var key = TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP256);
        string log = _temp.Combine("audit.jsonl");
        var recorder = new SigningRecorder { AuditLogPath = log, Context = new SigningContext("publish", "App.csproj", "Release") };
        for (int i = 0; i < 3; i++) AttestationSigner.SignStatement(new InTotoStatement([new Subject("a", new string('a', 64))], "https://example.com/p", new()), key, recorder: recorder);
        byte[] seed = File.ReadAllBytes(log);
        string fuzzed = _temp.Combine("fuzzed.jsonl");
        Fuzz.Run(seed: 73_000, cases: 1500, [seed], input =>
        {
            File.WriteAllBytes(fuzzed, input);
            try
            {
                AuditLog.Verify(fuzzed, [key.PublicKey]);
            }
            catch (BuildSigningException e) when (e.Code == "BS7022")
            {
            }
        }, codedErrorsAllowed: false);
    }
}
