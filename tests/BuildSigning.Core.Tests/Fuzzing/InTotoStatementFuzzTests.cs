using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>Mutated in-toto statements through the parser, and signed by a trusted key through the bundle verifier.</summary>
public sealed class InTotoStatementFuzzTests : IDisposable
{
    private static readonly byte[][] Seeds =
    [
        Fuzz.Seed("statement.json"),
        Statement(Core.Sbom.SpdxWriter.PredicateType, """{"packages":[{"name":"a","licenseDeclared":"MIT"}],"files":[{"fileName":"./a.dll"}]}"""),
        Statement(Core.Sbom.CycloneDxWriter.PredicateType, """{"specVersion":"1.6","components":[{"name":"a","licenses":[{"license":{"id":"MIT"}},{"expression":"MIT OR Apache-2.0"}]}],"dependencies":[]}"""),
        Statement(SignedOutputLayout.PredicateType, """{"kind":"publish","part":1,"parts":1,"manifest":{"files":2}}"""),
    ];

    private static byte[] Statement(string predicateType, string predicate) =>
        new InTotoStatement([new Subject("My App.exe", new string('C', 64))], predicateType, (JsonObject)JsonNode.Parse(predicate)!).ToJsonBytes();

    private readonly TempDirectory _temp = new("bs-fuzz-statement");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Seeds_are_valid_statements()
    {
        foreach (var seed in Seeds) Assert.NotNull(InTotoStatement.TryParse(seed, out _));
    }

    [Fact]
    public void TryParse_returns_a_statement_that_can_be_written_back_and_summarized_or_a_reason_for_any_input() =>
        Fuzz.Run(seed: 33_000, cases: 5000, Seeds, input =>
        {
            var statement = InTotoStatement.TryParse(input, out string reason);
            if (statement is null && string.IsNullOrWhiteSpace(reason)) throw new InvalidDataException("TryParse returned null without a reason.");
            if (statement is null) return;
            statement.ToJsonBytes();
            BuildSigning.Cli.PredicateSummary.Describe(statement); // what buildsign verify and inspect print
        }, codedErrorsAllowed: false);

    [Fact]
    public void Any_statement_signed_by_a_trusted_key_verifies_or_is_a_coded_error()
    {
        using SigningKey key = TestKeys.LoadSigningKey(_temp);
        Fuzz.Run(seed: 34_000, cases: 1500, Seeds, input =>
        {
            byte[] bundle = AttestationSigner.SignPayload(InTotoStatement.PayloadType, input, key).ToJsonBytes();
            string path = _temp.WriteFile("fuzzed.sigstore.json", bundle);
            BundleVerifier.VerifyStatement(path, [key.PublicKey]);
        });
    }
}
