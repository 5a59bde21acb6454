using BenchmarkDotNet.Attributes;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Benchmarks.Benchmarks;

/// <summary>
/// SBOM generation for a dependency graph of 200 packages (a synthetic restore: project.assets.json plus a package
/// folder with every .nuspec and .nupkg.sha512): reading the restore into the model, and writing both documents
/// (SPDX 2.3 and CycloneDX 1.6) for a build (no file list) and a publish (250 published files listed).
/// </summary>
public class SbomBenchmarks
{
    private string _scratch = "";
    private string _assets = "";
    private SbomInput _build = null!;
    private SbomInput _publish = null!;
    private SbomInput _publishLarge = null!;

    [Params(200)]
    public int Packages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _scratch = BenchmarkConfig.ScratchDirectory("sbom");
        _assets = SyntheticRestore.Generate(Path.Combine(_scratch, "restore"), Packages, seed: 7);
        _build = SyntheticRestore.SbomInputFor(SyntheticRestore.TargetFramework);
        _publish = SyntheticRestore.SbomInputFor(SyntheticRestore.TargetFramework, files: 250);
        _publishLarge = SyntheticRestore.SbomInputFor(SyntheticRestore.TargetFramework, files: 2000, packageFiles: Packages);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_scratch, recursive: true);

    [Benchmark(Description = "read restore (assets + nuspecs + sha512)")]
    public int ReadModel() => SbomModel.FromAssetsFile(_assets, SyntheticRestore.TargetFramework, null).Components.Count;

    [Benchmark(Baseline = true, Description = "SPDX + CycloneDX, build (no files)")]
    public int GenerateBuild()
    {
        var documents = SbomDocuments.Generate(_assets, _build);
        return documents.Spdx.Length + documents.CycloneDx.Length;
    }

    [Benchmark(Description = "SPDX + CycloneDX, publish (250 files)")]
    public int GeneratePublish()
    {
        var documents = SbomDocuments.Generate(_assets, _publish);
        return documents.Spdx.Length + documents.CycloneDx.Length;
    }

    /// <summary>Issue 11's budget: 200 packages and 2,000 published files, each package's DLL linked to it (50 ms at most).</summary>
    [Benchmark(Description = "SPDX + CycloneDX, publish (2,000 files, 200 linked to packages)")]
    public int GeneratePublishLarge()
    {
        var documents = SbomDocuments.Generate(_assets, _publishLarge);
        return documents.Spdx.Length + documents.CycloneDx.Length;
    }
}
