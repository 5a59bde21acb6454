using System.Text.Json.Nodes;
using BuildSigning.TestSupport;

namespace BuildSigning.Tasks.Tests;

/// <summary>The SBOMs written before pack, for a synthetic restore, checked against the official schemas.</summary>
public sealed class GeneratePackageSbomTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-task-sbom");
    private readonly MockBuildEngine _engine = new();
    private readonly SyntheticRestore _restore;

    public GeneratePackageSbomTests()
    {
        _restore = new SyntheticRestore(_temp)
            .Package("Contoso.Widgets", "1.2.0", "Fabrikam.Json/2.0.0")
            .Package("Fabrikam.Json", "2.0.0");
        _restore.Write();
    }

    public void Dispose()
    {
        _engine.EndBuild();
        _temp.Dispose();
    }

    private string OutputDirectory => Path.Combine(_restore.ProjectDirectory, "obj", "Release", "buildsigning");

    private GeneratePackageSbom NewTask(string formats) => new()
    {
        BuildEngine = _engine,
        TargetFrameworks = SyntheticRestore.Framework,
        OutputDirectory = OutputDirectory,
        SbomFormats = formats,
        AssetsFile = _restore.AssetsPath,
        ProjectFullPath = _restore.ProjectPath,
        PackageId = "Contoso.App",
        ProjectVersion = "3.1.0",
        Authors = "Contoso",
        PackageLicenseExpression = "MIT",
        Configuration = "Release",
        SdkVersion = "10.0.100",
        // A commit given as SourceLink gives it: no git repository is looked for (the temp folder has none).
        SourceRevisionId = "0123456789abcdef0123456789abcdef01234567",
        RepositoryUrl = "https://example.com/contoso/app.git",
    };

    private static IEnumerable<string> Purls(JsonNode document) => document.ToJsonString().Split('"').Where(s => s.StartsWith("pkg:nuget/", StringComparison.Ordinal));

    [Fact]
    public void Writes_valid_SPDX_and_CycloneDX_listing_every_restored_package()
    {
        var task = NewTask("spdx;cyclonedx");

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        Assert.Empty(_engine.Warnings);
        Assert.Equal(2, task.SbomFiles.Length);
        var spdx = Assert.Single(task.SbomFiles, f => f.GetMetadata("Format") == "spdx");
        var cdx = Assert.Single(task.SbomFiles, f => f.GetMetadata("Format") == "cdx");
        Assert.Equal(Path.Combine(OutputDirectory, "sbom.net10.0.spdx.json"), spdx.ItemSpec);
        Assert.Equal("buildsigning/sbom.net10.0.spdx.json", spdx.GetMetadata("PackagePath"));
        Assert.Equal("buildsigning/sbom.net10.0.cdx.json", cdx.GetMetadata("PackagePath"));
        Assert.Equal("https://spdx.dev/Document/v2.3", spdx.GetMetadata("PredicateType"));
        Assert.Equal("https://cyclonedx.org/bom", cdx.GetMetadata("PredicateType"));
        Assert.All(task.SbomFiles, f => Assert.Equal("net10.0", f.GetMetadata("TargetFramework")));

        string spdxJson = File.ReadAllText(spdx.ItemSpec);
        string cdxJson = File.ReadAllText(cdx.ItemSpec);
        SbomValidation.ValidSpdx(spdxJson);
        SbomValidation.ValidCycloneDx(cdxJson);
        Assert.Equal("1.6", (string?)JsonNode.Parse(cdxJson)!["specVersion"]);
        foreach (string json in new[] { spdxJson, cdxJson })
        {
            var purls = Purls(JsonNode.Parse(json)!).ToHashSet(StringComparer.Ordinal);
            Assert.Contains("pkg:nuget/Contoso.Widgets@1.2.0", purls);
            Assert.Contains("pkg:nuget/Fabrikam.Json@2.0.0", purls);
            Assert.Contains("pkg:nuget/Contoso.App@3.1.0", purls);
        }
    }

    [Fact]
    public void CycloneDx_1_7_is_written_when_asked_for()
    {
        var task = NewTask("cyclonedx1.7");

        Assert.True(task.Execute(), _engine.Log);

        string json = File.ReadAllText(Assert.Single(task.SbomFiles).ItemSpec);
        SbomValidation.ValidCycloneDx(json);
        Assert.Equal("1.7", (string?)JsonNode.Parse(json)!["specVersion"]);
    }

    [Fact]
    public void None_writes_nothing_and_succeeds()
    {
        var task = NewTask("none");

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(task.SbomFiles);
        Assert.False(Directory.Exists(OutputDirectory));
    }

    [Fact]
    public void An_unknown_format_logs_BS5013_naming_it_and_writes_nothing()
    {
        var task = NewTask("spdx;yaml");

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS5013", error.Code);
        Assert.Contains("'yaml'", error.Message);
        Assert.Empty(task.SbomFiles);
        Assert.False(Directory.Exists(OutputDirectory));
    }

    [Fact]
    public void Two_CycloneDX_versions_at_once_are_a_coded_error()
    {
        var task = NewTask("cyclonedx;cyclonedx1.7");

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.StartsWith("BS50", error.Code);
        Assert.Contains("cyclonedx1.7", error.Message);
        Assert.False(Directory.Exists(OutputDirectory));
    }

    [Fact]
    public void Each_target_framework_gets_its_own_SBOMs()
    {
        using var temp = new TempDirectory("bs-task-sbom-multi");
        var restore = new SyntheticRestore(temp, "net10.0", "netstandard2.0").Package("Fabrikam.Json", "2.0.0");
        restore.Write();
        var task = NewTask("spdx;cyclonedx");
        task.TargetFrameworks = "net10.0;netstandard2.0";
        task.AssetsFile = restore.AssetsPath;
        task.OutputDirectory = temp.Combine("obj", "buildsigning");

        Assert.True(task.Execute(), _engine.Log);

        Assert.Equal(
            ["buildsigning/sbom.net10.0.cdx.json", "buildsigning/sbom.net10.0.spdx.json", "buildsigning/sbom.netstandard2.0.cdx.json", "buildsigning/sbom.netstandard2.0.spdx.json"],
            task.SbomFiles.Select(f => f.GetMetadata("PackagePath")).Order(StringComparer.Ordinal));
        foreach (var file in task.SbomFiles)
        {
            string json = File.ReadAllText(file.ItemSpec);
            if (file.GetMetadata("Format") == "spdx") SbomValidation.ValidSpdx(json);
            else SbomValidation.ValidCycloneDx(json);
            Assert.Contains("pkg:nuget/Fabrikam.Json@2.0.0", json);
        }
    }

    [Fact]
    public void A_target_framework_the_restore_did_not_resolve_logs_BS2012()
    {
        var task = NewTask("spdx");
        task.TargetFrameworks = "net10.0;net8.0";

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS2012", error.Code);
        Assert.Contains("net8.0", error.Message);
    }

    [Fact]
    public void A_corrupt_assets_file_logs_BS2011_naming_it()
    {
        File.WriteAllText(_restore.AssetsPath, "{ \"version\": 3, \"targets\": ");
        var task = NewTask("spdx");

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS2011", error.Code);
        Assert.Contains(_restore.AssetsPath, error.Message);
        Assert.False(Directory.Exists(OutputDirectory));
    }
}
