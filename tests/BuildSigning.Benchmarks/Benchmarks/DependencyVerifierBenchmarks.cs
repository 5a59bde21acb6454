using BenchmarkDotNet.Attributes;
using BuildSigning.Core.Trust;

namespace BuildSigning.Benchmarks.Benchmarks;

/// <summary>
/// Restore-time dependency verification through the Core entry point (DependencyVerifier.Verify).
/// With $BUILDSIGNING_BENCH_ASSETS (run-benchmarks.sh passes the project.assets.json of its ~100-package restore) the
/// real, nuget.org-signed packages are checked against the built-in policy (TrustPolicy.Default); without it, a
/// synthetic restore of 100 unsigned packages is checked against a policy that excepts unsigned packages.
/// </summary>
public abstract class DependencyVerifierBenchmarksBase
{
    protected string Assets = "";
    protected TrustPolicy Policy = TrustPolicy.Default;
    protected string CacheFile = "";
    private string _scratch = "";

    protected void Prepare(string name)
    {
        _scratch = BenchmarkConfig.ScratchDirectory(name);
        CacheFile = Path.Combine(_scratch, "verdicts.cache");
        string? real = Environment.GetEnvironmentVariable("BUILDSIGNING_BENCH_ASSETS");
        if (!string.IsNullOrEmpty(real))
        {
            Assets = real;
        }
        else
        {
            Assets = SyntheticRestore.Generate(Path.Combine(_scratch, "restore"), 100, seed: 11);
            Policy = SyntheticRestore.AllowUnsignedPolicy;
        }
        var first = DependencyVerifier.Verify(new DependencyVerificationRequest(Assets, Policy, CacheFile));
        Console.WriteLine($"// {Assets}: {first.Packages.Count} packages, {first.Errors.Count} errors, policy '{Policy.Source}'");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_scratch, recursive: true);
}

/// <summary>Every verdict in the cache file (a warm restore): per package a file stamp, a cache look-up, nothing else.</summary>
public class DependencyVerifierWarmBenchmarks : DependencyVerifierBenchmarksBase
{
    [GlobalSetup]
    public void Setup() => Prepare("verify-warm");

    [Benchmark(Description = "Verify, verdict cache warm")]
    public int Warm() => DependencyVerifier.Verify(new DependencyVerificationRequest(Assets, Policy, CacheFile)).CacheHits;
}

/// <summary>No cache file (a first restore): every .nupkg hashed (SHA-512) and its signature checked. The process is warm.</summary>
[InvocationCount(1)]
public class DependencyVerifierColdBenchmarks : DependencyVerifierBenchmarksBase
{
    [GlobalSetup]
    public void Setup() => Prepare("verify-cold");

    [IterationSetup]
    public void RemoveCache() => File.Delete(CacheFile);

    [Benchmark(Description = "Verify, no verdict cache")]
    public int Cold() => DependencyVerifier.Verify(new DependencyVerificationRequest(Assets, Policy, CacheFile)).Packages.Count;
}
