using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Provenance;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Cli.Tests;

public sealed class PredicateSummaryTests
{
    private static string Describe(string predicateType, string predicate) =>
        PredicateSummary.Describe(new InTotoStatement([new Subject("a.dll", new string('a', 64))], predicateType, (JsonObject)JsonNode.Parse(predicate)!));

    [Fact]
    public void Summarizes_provenance()
    {
        string summary = Describe(SlsaProvenance.PredicateType,
            """{"buildDefinition":{"buildType":"https://example.com/t","resolvedDependencies":[{},{}]},"runDetails":{"builder":{"id":"https://example.com/b"}}}""");

        Assert.Equal("SLSA provenance v1: builder https://example.com/b, build type https://example.com/t, 2 resolved dependencies", summary);
    }

    // Predicates the fuzz tests (Fuzzing/InTotoStatementFuzzTests) found throwing InvalidOperationException, which
    // `buildsign inspect` hit for any bundle and `buildsign verify` for a signed one: a predicate is whatever its signer wrote.
    [Theory]
    [InlineData(SlsaProvenance.PredicateType, """{"buildDefinition":"x","runDetails":{"builder":[1]}}""")]
    [InlineData(CycloneDxWriter.PredicateType, """{"components":[{"licenses":[{"license":"MIT"}]}]}""")]
    [InlineData(SignedOutputLayout.PredicateType, """{"kind":"publish","manifest":[]}""")]
    public void Values_of_unexpected_kinds_are_summarized_as_missing(string predicateType, string predicate) =>
        Assert.NotEmpty(Describe(predicateType, predicate));
}
