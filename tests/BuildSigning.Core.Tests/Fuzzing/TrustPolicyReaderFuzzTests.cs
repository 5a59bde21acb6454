using System.Text.RegularExpressions;
using BuildSigning.Core.Trust;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>Mutated trust policies (the sample's, the restore tests' and one with every field) through the reader.</summary>
public sealed class TrustPolicyReaderFuzzTests
{
    private static readonly byte[][] Seeds =
    [
        Fuzz.Seed("sample.trust.json"), Fuzz.Seed("complete.trust.json"), Fuzz.Seed("exception.trust.json"), Fuzz.Seed("author-signer.trust.json"),
    ];

    // Beside the seeds, so that a publicKeyFile in a mutated policy resolves as it does in the seed.
    private static readonly string Source = Fuzz.SeedPath("fuzzed.trust.json");

    [Fact]
    public void Seeds_are_valid_policies()
    {
        foreach (var seed in Seeds)
        {
            var result = TrustPolicyReader.Read(seed, Source);
            Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        }
    }

    [Fact]
    public void Read_returns_a_policy_or_coded_errors_for_any_input() =>
        Fuzz.Run(seed: 40_400, cases: 5000, Seeds, input =>
        {
            var result = TrustPolicyReader.Read(input, Source);
            if ((result.Policy is null) == (result.Errors.Count == 0)) throw new InvalidDataException("The result holds both a policy and errors, or neither.");
            foreach (var error in result.Errors)
            {
                if (!Regex.IsMatch(error.Code, "^BS4[0-9]{3}$")) throw new InvalidDataException($"Uncoded policy error: {error}");
            }
            _ = result.Policy?.Hash;
        }, codedErrorsAllowed: false);
}
