using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace BuildSigning.Benchmarks;

/// <summary>
/// In-process runs (no generated project per benchmark, so a run takes seconds, not minutes, and works from any artifacts
/// path), a few warm-up iterations, the median next to the mean, and GitHub-flavoured markdown tables.
/// </summary>
public static class BenchmarkConfig
{
    public static IConfig Create() => ManualConfig.CreateEmpty()
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(9)
            .WithId("InProcess"))
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
        .AddDiagnoser(MemoryDiagnoser.Default)
        .AddExporter(MarkdownExporter.GitHub)
        .AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default)
        .WithOptions(ConfigOptions.DisableLogFile);

    /// <summary>A scratch folder under the temp folder, removed by the caller.</summary>
    public static string ScratchDirectory(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), "buildsigning-bench", name + "-" + Environment.ProcessId);
        Directory.CreateDirectory(path);
        return path;
    }
}
