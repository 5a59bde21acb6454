using System.Text;
using System.Text.RegularExpressions;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>
/// Runs a reader over thousands of mutated inputs and fails with every distinct crash found: an exception other than a
/// coded <see cref="BuildSigningException"/>, a broken contract reported by the check itself, or a case that does not
/// finish within <see cref="CaseTimeLimit"/>. Each case is generated from <c>new Random(seed + case)</c>, so the seed and
/// case number in a failure replay it; the input itself is printed too.
/// </summary>
public static partial class Fuzz
{
    /// <summary>Generous on a loaded 2-core machine; a parser that needs this long for a few kilobytes is broken anyway.</summary>
    public static readonly TimeSpan CaseTimeLimit = TimeSpan.FromSeconds(10);

    /// <summary>BUILDSIGNING_FUZZ_SCALE=20 runs twenty times as many cases (new ones, after the usual ones) for a longer hunt.</summary>
    private static int Scale => int.TryParse(Environment.GetEnvironmentVariable("BUILDSIGNING_FUZZ_SCALE"), out int scale) && scale > 1 ? scale : 1;

    public static string SeedPath(string name) => Path.Combine(AppContext.BaseDirectory, "Fuzzing", "Seeds", name);

    public static byte[] Seed(string name) => File.ReadAllBytes(SeedPath(name));

    /// <param name="check">Runs the reader on one input; throws when the outcome breaks the reader's contract.</param>
    /// <param name="codedErrorsAllowed">Whether a coded <see cref="BuildSigningException"/> is an acceptable outcome.</param>
    public static void Run(int seed, int cases, IReadOnlyList<byte[]> seeds, Action<byte[]> check, bool codedErrorsAllowed = true)
    {
        var failures = new Dictionary<string, string>();
        cases *= Scale;
        for (int n = 0; n < cases && failures.Count < 10; n++)
        {
            var random = new Random(seed + n);
            byte[] input = JsonMutator.Mutate(seeds[random.Next(seeds.Count)], random, out string mutations);
            string? failure = RunOne(input, check, codedErrorsAllowed, out string kind);
            if (failure is null) continue;
            failures.TryAdd(kind, $"seed {seed}, case {n} (new Random({seed + n})), mutations: {mutations}\n  {failure}\n  input ({input.Length} bytes): {Show(input)}");
            if (kind == "hang") break;
        }
        Assert.True(failures.Count == 0, $"{failures.Count} kinds of failure:\n\n" + string.Join("\n\n", failures.Values));
    }

    private static string? RunOne(byte[] input, Action<byte[]> check, bool codedErrorsAllowed, out string kind)
    {
        kind = "";
        var run = Task.Factory.StartNew(() => check(input), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            if (run.Wait(CaseTimeLimit)) return null;
            kind = "hang";
            return $"did not finish within {CaseTimeLimit.TotalSeconds} s";
        }
        catch (AggregateException aggregate) when (aggregate.InnerException is { } e)
        {
            if (codedErrorsAllowed && e is BuildSigningException coded && CodePattern().IsMatch(coded.Code)) return null;
            string where = e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains(" BuildSigning.", StringComparison.Ordinal) && !l.Contains(".Tests.", StringComparison.Ordinal))?.Trim() ?? "";
            kind = $"{e.GetType().Name} {where}";
            return $"{e.GetType().FullName}: {e.Message}\n  {e.StackTrace?.Replace("\n", "\n  ")}";
        }
    }

    /// <summary>The input as text with non-printable bytes escaped, cut at 3000 characters.</summary>
    public static string Show(byte[] input)
    {
        var text = new StringBuilder();
        foreach (byte b in input.Take(3000))
        {
            if (b is >= 0x20 and < 0x7F and not (byte)'\\') text.Append((char)b);
            else text.Append($"\\x{b:X2}");
        }
        if (input.Length > 3000) text.Append($"... ({input.Length - 3000} more bytes)");
        return text.ToString();
    }

    [GeneratedRegex("^BS[0-9]{4}$")]
    private static partial Regex CodePattern();
}
