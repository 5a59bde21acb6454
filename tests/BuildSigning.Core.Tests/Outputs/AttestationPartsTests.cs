using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Outputs;

namespace BuildSigning.Core.Tests.Outputs;

/// <summary>The parts of one further attestation must carry one predicate (BS3020), however their bytes are compared.</summary>
public sealed class AttestationPartsTests : SignedOutputTestBase
{
    private static AttestationFactory Documents() => (names, _) =>
        [new AttestationDocument("sbom.test", "https://example.com/test-sbom",
            new JsonObject { ["files"] = names.Count, ["tool"] = new JsonObject { ["name"] = "test", ["version"] = "1" } }, [], WriteDocument: false)];

    private string Part(int part) => Path.Combine(AttestationDirectory, $"sbom.test.{part}.sigstore.json");

    /// <summary>Signs part 2 again with the same subjects and key, its predicate changed by <paramref name="change"/>.</summary>
    private void ResignPart2(Func<JsonObject, JsonObject> change)
    {
        var verified = BundleVerifier.VerifyStatement(Part(2), [_key.PublicKey]);
        var statement = verified.Statement with { Predicate = change((JsonObject)verified.Statement.Predicate.DeepClone()) };
        File.WriteAllBytes(Part(2), AttestationSigner.SignPayload(InTotoStatement.PayloadType, statement.ToJsonBytes(), _key).ToJsonBytes());
    }

    private OutputVerificationReport SignAndVerify()
    {
        CreateManyFiles(1100);
        OutputSigner.Sign(new OutputSigningRequest(Root, Description) { Attestations = Documents() }, _key);
        Assert.True(File.Exists(Part(2)));
        return Verify();
    }

    [Fact]
    public void Parts_with_one_predicate_verify()
    {
        var report = SignAndVerify();
        Assert.True(report.Succeeded, string.Join("\n", report.Problems));
        Assert.Equal(2, report.Attestations.Count);
    }

    [Fact]
    public void A_part_with_another_predicate_is_BS3020()
    {
        SignAndVerify();
        ResignPart2(p => { p["tool"]!["version"] = "2"; return p; });

        var report = Verify();

        Assert.Contains(report.Problems, p => p.Diagnostic.Formatted.StartsWith("BS3020", StringComparison.Ordinal));
    }

    [Fact]
    public void A_part_with_the_same_predicate_written_differently_still_verifies()
    {
        SignAndVerify();
        // Same JSON value, other bytes (properties in another order): compared as JSON, not as bytes.
        ResignPart2(p => new JsonObject { ["tool"] = p["tool"]!.DeepClone(), ["files"] = p["files"]!.DeepClone() });

        var report = Verify();

        Assert.True(report.Succeeded, string.Join("\n", report.Problems));
    }
}
