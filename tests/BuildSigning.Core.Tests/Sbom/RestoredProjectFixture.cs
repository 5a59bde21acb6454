using System.Text.Json;
using BuildSigning.Core.Sbom;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Sbom;

[CollectionDefinition(Name)]
public sealed class RestoredProjectCollection : ICollectionFixture<RestoredProjectFixture>
{
    public const string Name = "Restored project";
}

/// <summary>
/// One real `dotnet restore -r linux-x64` of a small app with real packages (Serilog 3.1.1, Serilog.Sinks.Console
/// 5.0.0 -> Serilog, Polly 8.5.2 -> Polly.Core, and Newtonsoft.Json 13.0.3 through a referenced library project),
/// giving a project.assets.json with the targets net10.0 and net10.0/linux-x64.
/// </summary>
public sealed class RestoredProjectFixture : IDisposable
{
    public const string TargetFramework = "net10.0";
    public const string RuntimeIdentifier = "linux-x64";

    private readonly TempDirectory _root = new("bs-sbom");

    public RestoredProjectFixture()
    {
        _root.WriteFile("Directory.Build.props", "<Project />\n");
        _root.WriteFile("Directory.Build.targets", "<Project />\n");
        _root.WriteFile("app/App.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{TargetFramework}</TargetFramework>
                <Version>1.2.3</Version>
                <Authors>App Authors</Authors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Serilog" Version="3.1.1" />
                <PackageReference Include="Serilog.Sinks.Console" Version="5.0.0" />
                <PackageReference Include="Polly" Version="8.5.2" />
                <ProjectReference Include="../lib/Lib.csproj" />
              </ItemGroup>
            </Project>
            """);
        _root.WriteFile("lib/Lib.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{TargetFramework}</TargetFramework>
                <Version>2.0.0</Version>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
              </ItemGroup>
            </Project>
            """);
        ProjectPath = _root.Combine("app", "App.csproj");
        var restore = ProcessRunner.Run("dotnet", ["restore", ProjectPath, "-r", RuntimeIdentifier, "-nologo"],
            workingDirectory: _root.Path, timeout: TimeSpan.FromMinutes(5));
        if (restore.ExitCode != 0) throw new InvalidOperationException($"dotnet restore failed:\n{restore}");
        AssetsPath = _root.Combine("app", "obj", "project.assets.json");
        if (!File.Exists(AssetsPath)) throw new InvalidOperationException($"dotnet restore wrote no project.assets.json:\n{restore}");
        using var document = JsonDocument.Parse(File.ReadAllBytes(AssetsPath));
        PackageFolders = document.RootElement.GetProperty("packageFolders").EnumerateObject().Select(p => p.Name).ToArray();
    }

    public string ProjectPath { get; }
    public string AssetsPath { get; }
    public IReadOnlyList<string> PackageFolders { get; }

    public TempDirectory Root => _root;

    /// <summary>The libraries the assets file lists for a target, read independently of ProjectAssetsFile: key -> type.</summary>
    public Dictionary<string, string> TargetLibraries(string? runtimeIdentifier)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(AssetsPath));
        string key = runtimeIdentifier is null ? TargetFramework : $"{TargetFramework}/{runtimeIdentifier}";
        return document.RootElement.GetProperty("targets").GetProperty(key).EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("type").GetString()!);
    }

    /// <summary>The base64 content of a package's .nupkg.sha512 file in the global packages folder.</summary>
    public string NupkgSha512(string id, string version)
    {
        foreach (string folder in PackageFolders)
        {
            string path = Path.Combine(folder, id.ToLowerInvariant(), version.ToLowerInvariant(), $"{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg.sha512");
            if (File.Exists(path)) return File.ReadAllText(path).Trim();
        }
        throw new FileNotFoundException($"No .nupkg.sha512 for {id} {version}.");
    }

    public static SbomInput Input(string? runtimeIdentifier, IReadOnlyList<SbomFile>? files = null, DateTimeOffset? created = null) => new()
    {
        ProjectName = "App",
        ProjectVersion = "1.2.3",
        ProjectPath = "app/App.csproj",
        TargetFramework = TargetFramework,
        RuntimeIdentifier = runtimeIdentifier,
        SdkVersion = "10.0.100",
        IsApplication = true,
        Authors = "App Authors",
        LicenseExpression = "MIT",
        Files = files,
        Created = created ?? DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        ToolVersion = "0.1.0",
    };

    public void Dispose() => _root.Dispose();
}
