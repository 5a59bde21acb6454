using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.Sbom;
using BuildSigning.Core.Trust;

namespace BuildSigning.Benchmarks;

/// <summary>
/// The benchmark program. Whole-process modes (run-benchmarks.sh times them next to sha256sum, openssl and dotnet):
///   gen-tree DIR [--bytes N] [--files N] [--seed N]     writes the hashing corpus (default 1 GiB over 2,000 files of mixed sizes)
///   gen-assets DIR [--packages N]                        writes a synthetic restore: DIR/obj/project.assets.json and DIR/packages/
///   hash DIR [--parallel N] [--manifest FILE]            FileDigester.DigestFiles over every file under DIR (what signing an output does)
///   verify-deps ASSETS [--cache FILE] [--policy default|allow-unsigned]
///                                                        DependencyVerifier.Verify (restore-time verification, Core entry point)
///   sbom ASSETS [--tfm TFM] [--repeat N] [--files N] [--package-files M]
///                                                    SbomDocuments.Generate (SPDX + CycloneDX) for the assets file (N published files
///                                                    listed, the first M of them the packages' runtime assets, linked to their packages;
///                                                    --parse: also parse both documents, as a publish does to sign them)
///   bdn [BenchmarkDotNet arguments]                      the in-process BenchmarkDotNet suites (Benchmarks/*.cs)
/// Each whole-process mode prints one "result key=value ..." line; times are wall-clock seconds inside the process.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: BuildSigning.Benchmarks gen-tree|gen-assets|hash|verify-deps|sbom|bdn ... (see Program.cs)");
            return 2;
        }
        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "gen-tree" => GenerateTree(rest),
                "gen-assets" => GenerateAssets(rest),
                "hash" => Hash(rest),
                "verify-deps" => VerifyDependencies(rest),
                "sbom" => Sbom(rest),
                "bdn" => RunBenchmarkDotNet(rest),
                _ => Usage(args[0]),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static int Usage(string mode)
    {
        Console.Error.WriteLine($"error: unknown mode '{mode}'");
        return 2;
    }

    private static int GenerateTree(string[] args)
    {
        string dir = Positional(args, "gen-tree DIR");
        long bytes = long.Parse(Option(args, "--bytes") ?? (1L << 30).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int files = int.Parse(Option(args, "--files") ?? "2000", CultureInfo.InvariantCulture);
        int seed = int.Parse(Option(args, "--seed") ?? "20240601", CultureInfo.InvariantCulture);
        var stopwatch = Stopwatch.StartNew();
        var tree = TreeGenerator.Generate(dir, bytes, files, seed);
        Console.WriteLine(Invariant($"result mode=gen-tree files={tree.Files} bytes={tree.Bytes} largest={tree.Largest} smallest={tree.Smallest} seconds={stopwatch.Elapsed.TotalSeconds:F3}"));
        return 0;
    }

    private static int GenerateAssets(string[] args)
    {
        string dir = Positional(args, "gen-assets DIR");
        int packages = int.Parse(Option(args, "--packages") ?? "200", CultureInfo.InvariantCulture);
        string assets = SyntheticRestore.Generate(dir, packages, seed: 7);
        Console.WriteLine(Invariant($"result mode=gen-assets packages={packages} assets={assets}"));
        return 0;
    }

    private static int Hash(string[] args)
    {
        string dir = Path.GetFullPath(Positional(args, "hash DIR"));
        int parallel = int.Parse(Option(args, "--parallel") ?? "0", CultureInfo.InvariantCulture);
        string? manifest = Option(args, "--manifest");
        var stopwatch = Stopwatch.StartNew();
        // Ordinal order, like the signed manifest; the digester itself starts the largest files first.
        var paths = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var digests = FileDigester.DigestFiles(paths, DigestAlgorithms.Sha256, parallel);
        double seconds = stopwatch.Elapsed.TotalSeconds;
        long bytes = digests.Sum(d => d.Length);
        if (manifest is not null)
        {
            // sha256sum's format, so the script can check that we and the peers computed the same digests.
            using var writer = new StreamWriter(manifest) { NewLine = "\n" };
            foreach (var digest in digests) writer.WriteLine($"{digest.Sha256Hex}  {digest.Path}");
        }
        Console.WriteLine(Invariant($"result mode=hash files={paths.Length} bytes={bytes} parallel={(parallel > 0 ? parallel : Environment.ProcessorCount)} seconds={seconds:F3} gbps={bytes / seconds / 1e9:F3}"));
        return 0;
    }

    private static int VerifyDependencies(string[] args)
    {
        string assets = Path.GetFullPath(Positional(args, "verify-deps ASSETS"));
        string? cache = Option(args, "--cache");
        var policy = Option(args, "--policy") switch
        {
            null or "default" => TrustPolicy.Default,
            "allow-unsigned" => SyntheticRestore.AllowUnsignedPolicy,
            string other => throw new ArgumentException($"unknown policy '{other}' (default, allow-unsigned)"),
        };
        var stopwatch = Stopwatch.StartNew();
        var result = DependencyVerifier.Verify(new DependencyVerificationRequest(assets, policy, cache));
        double seconds = stopwatch.Elapsed.TotalSeconds;
        foreach (var error in result.Errors.Take(5)) Console.Error.WriteLine($"  {error}");
        Console.WriteLine(Invariant($"result mode=verify-deps packages={result.Packages.Count} cacheHits={result.CacheHits} errors={result.Errors.Count} warnings={result.Warnings.Count} seconds={seconds:F3} msPerPackage={seconds * 1000 / Math.Max(1, result.Packages.Count):F2}"));
        return result.Succeeded ? 0 : 1;
    }

    private static int Sbom(string[] args)
    {
        string assets = Path.GetFullPath(Positional(args, "sbom ASSETS"));
        string tfm = Option(args, "--tfm") ?? "net10.0";
        int repeat = int.Parse(Option(args, "--repeat") ?? "1", CultureInfo.InvariantCulture);
        int files = int.Parse(Option(args, "--files") ?? "0", CultureInfo.InvariantCulture);
        int packageFiles = int.Parse(Option(args, "--package-files") ?? "0", CultureInfo.InvariantCulture);
        bool parse = args.Contains("--parse");
        var input = SyntheticRestore.SbomInputFor(tfm, files, packageFiles);
        var times = new List<double>();
        var cpuTimes = new List<double>();
        SbomDocuments? documents = null;
        using var process = Process.GetCurrentProcess();
        for (int i = 0; i < repeat; i++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var stopwatch = Stopwatch.StartNew();
            documents = SbomDocuments.Generate(assets, input);
            if (parse)
            {
                // What a publish does next (BuildAttestations): each document becomes a statement's predicate.
                _ = System.Text.Json.Nodes.JsonNode.Parse(documents.Spdx);
                _ = System.Text.Json.Nodes.JsonNode.Parse(documents.CycloneDx);
            }
            times.Add(stopwatch.Elapsed.TotalSeconds);
            process.Refresh();
            cpuTimes.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }
        double first = times[0];
        times.Sort();
        cpuTimes.Sort();
        // CPU time (all threads of the process, GC included) is what the work costs; wall time also counts waiting for a
        // core, which on a shared machine can be most of it.
        Console.WriteLine(Invariant($"result mode=sbom components={documents!.Model.Components.Count} spdxBytes={documents.Spdx.Length} cycloneDxBytes={documents.CycloneDx.Length} warnings={documents.Warnings.Count} first={first:F4} median={times[times.Count / 2]:F4} min={times[0]:F4} cpuMedian={cpuTimes[cpuTimes.Count / 2]:F4} cpuMin={cpuTimes[0]:F4}"));
        return 0;
    }

    private static int RunBenchmarkDotNet(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    private static string Positional(string[] args, string usage)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal)) { i++; continue; }
            return args[i];
        }
        throw new ArgumentException($"usage: {usage}");
    }

    private static string? Option(string[] args, string name)
    {
        int index = Array.IndexOf(args, name);
        if (index < 0) return null;
        if (index + 1 >= args.Length) throw new ArgumentException($"{name} needs a value");
        return args[index + 1];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
