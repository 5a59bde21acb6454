using System.Text.RegularExpressions;
using BuildSigning.Core.Gate;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>Mutated gate policies through the reader: a policy, or coded errors (BS30xx), never an exception.</summary>
public sealed class GatePolicyReaderFuzzTests
{
    private static readonly byte[][] Seeds = [Fuzz.Seed("complete.gate.json")];

    private static readonly string Source = Fuzz.SeedPath("fuzzed.gate.json");

    [Fact]
    public void Seed_is_a_valid_policy()
    {
        var errors = GatePolicyReader.TryRead(Seeds[0], Source, out var policy);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(3, policy!.Keys.Count);
        Assert.Equal(2, policy.Revoked.Count);
    }

    [Fact]
    public void Read_returns_a_policy_or_coded_errors_for_any_input() =>
        Fuzz.Run(seed: 30_300, cases: 3000, Seeds, input =>
        {
            var errors = GatePolicyReader.TryRead(input, Source, out var policy);
            if ((policy is null) == (errors.Count == 0)) throw new InvalidDataException("The result holds both a policy and errors, or neither.");
            foreach (var error in errors)
            {
                if (!Regex.IsMatch(error.Code, "^BS30[3-6][0-9]$")) throw new InvalidDataException($"Uncoded policy error: {error}");
            }
        }, codedErrorsAllowed: false);
}
