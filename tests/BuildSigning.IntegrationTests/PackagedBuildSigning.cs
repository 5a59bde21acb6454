using System.Reflection;
using System.Text.RegularExpressions;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// The product as a user gets it: the BuildSigning package and the buildsign tool packed from this repository into a
/// local feed, consumed by temporary projects with an isolated NuGet packages folder and an isolated BUILDSIGNING_HOME.
/// Packed once per test run and shared by every collection (the collections run in parallel); removed when the test
/// process exits.
/// </summary>
public sealed class PackagedBuildSigning : IDisposable
{
    private static readonly object Gate = new();
    private static (TempDirectory Root, string Version)? s_packed;
    private readonly TempDirectory _root;

    public PackagedBuildSigning()
    {
        RepositoryRoot = typeof(PackagedBuildSigning).Assembly.GetCustomAttribute<RepositoryRootAttribute>()!.Path;
        lock (Gate)
        {
            _root = s_packed?.Root ?? new TempDirectory("bsint");
            Feed = Directory.CreateDirectory(_root.Combine("feed")).FullName;
            PackagesFolder = Directory.CreateDirectory(_root.Combine("nuget-packages")).FullName;
            Home = Directory.CreateDirectory(_root.Combine("buildsigning-home")).FullName;
            ToolPath = _root.Combine("tools");
            if (s_packed is { } packed)
            {
                Version = packed.Version;
                return;
            }
            Version = Pack();
            s_packed = (_root, Version);
            var root = _root;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => root.Dispose();
        }
    }

    private string Pack()
    {

        foreach (string project in new[] { "src/BuildSigning.Tasks/BuildSigning.Tasks.csproj", "src/BuildSigning.Cli/BuildSigning.Cli.csproj" })
        {
            Require(Dotnet(RepositoryRoot, "pack", Path.Combine(RepositoryRoot, project), "-c", "Release", "-o", Feed,
                "--artifacts-path", _root.Combine("pack-artifacts")));
        }
        string package = Directory.GetFiles(Feed, "BuildSigning.*.nupkg").Single(p => !Path.GetFileName(p).StartsWith("BuildSigning.Cli.", StringComparison.Ordinal));
        string version = Regex.Match(Path.GetFileName(package), @"^BuildSigning\.(.+)\.nupkg$").Groups[1].Value;
        Require(Dotnet(_root.Path, "tool", "install", "BuildSigning.Cli", "--tool-path", ToolPath, "--add-source", Feed, "--version", version));
        File.WriteAllText(_root.Combine("nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="buildsigning-under-test" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(_root.Combine("Directory.Build.props"), $"""
            <Project>
              <PropertyGroup>
                <BuildSigningVersion>{version}</BuildSigningVersion>
              </PropertyGroup>
            </Project>
            """);
        return version;
    }

    public string RepositoryRoot { get; }
    public string Feed { get; }
    public string PackagesFolder { get; }
    public string Home { get; }
    public string ToolPath { get; }
    public string Version { get; }
    public string Root => _root.Path;

    public string DevelopmentPublicKey => Path.Combine(Home, "development-key.pub.pem");

    public Dictionary<string, string?> Environment(IDictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["NUGET_PACKAGES"] = PackagesFolder,
            ["BUILDSIGNING_HOME"] = Home,
            // A CI machine's own settings must not change what these tests build.
            ["ContinuousIntegrationBuild"] = null,
            ["CI"] = null,
            ["GITHUB_ACTIONS"] = null,
            ["TF_BUILD"] = null,
            ["GITLAB_CI"] = null,
            ["JENKINS_URL"] = null,
            ["SOURCE_DATE_EPOCH"] = null,
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>()) environment[name] = value;
        return environment;
    }

    public ProcessResult Dotnet(string workingDirectory, params string[] arguments) =>
        RunKeepingBinlogOfFailures(workingDirectory, Environment(), arguments);

    public ProcessResult Dotnet(string workingDirectory, IDictionary<string, string?> environment, params string[] arguments) =>
        RunKeepingBinlogOfFailures(workingDirectory, Environment(environment), arguments);

    private static int s_binlogs;

    /// <summary>
    /// MSBuild runs (restore, build, publish, pack, msbuild) write a binary log; it is kept, under binlogs/ beside the test
    /// assembly, only when the run fails, and its path is in the command line every failure message shows.
    /// </summary>
    private static ProcessResult RunKeepingBinlogOfFailures(string workingDirectory, IDictionary<string, string?> environment, string[] arguments)
    {
        string? binlog = null;
        if (arguments.Length > 0 && arguments[0] is "restore" or "build" or "publish" or "pack" or "msbuild"
            && !arguments.Any(a => a.StartsWith("-bl", StringComparison.OrdinalIgnoreCase) || a.StartsWith("/bl", StringComparison.OrdinalIgnoreCase)
                || a.StartsWith("-get", StringComparison.OrdinalIgnoreCase)))
        {
            string directory = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "binlogs")).FullName;
            binlog = Path.Combine(directory, $"{arguments[0]}-{Path.GetFileName(workingDirectory.TrimEnd('/'))}-{Interlocked.Increment(ref s_binlogs)}-{Guid.NewGuid():N}.binlog"[..]);
            arguments = [.. arguments, $"-bl:{binlog}"];
        }
        var result = ProcessRunner.Run("dotnet", arguments, workingDirectory, environment, TimeSpan.FromMinutes(8));
        if (binlog is not null && result.ExitCode == 0) File.Delete(binlog);
        return result;
    }

    public ProcessResult BuildSign(params string[] arguments) =>
        ProcessRunner.Run(Path.Combine(ToolPath, "buildsign"), arguments, Root, Environment());

    /// <summary>A copy of samples/HelloSigned (a console app with real NuGet dependencies) in its own folder under the feed's nuget.config.</summary>
    public string CopySample(string name, string sample = "HelloSigned")
    {
        string source = Path.Combine(RepositoryRoot, "samples", sample);
        string destination = Path.Combine(Root, name);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj") continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(destination, relative))!);
            File.Copy(file, Path.Combine(destination, relative));
        }
        return destination;
    }

    public string CreateProject(string name, string projectXml, params (string Path, string Content)[] files)
    {
        string directory = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), projectXml);
        foreach (var (path, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(directory, path))!);
            File.WriteAllText(Path.Combine(directory, path), content);
        }
        return directory;
    }

    public static ProcessResult Require(ProcessResult result)
    {
        if (result.ExitCode != 0) throw new InvalidOperationException($"Command failed:\n{result}");
        return result;
    }

    /// <summary>The packed product outlives each collection: other collections may still be using it.</summary>
    public void Dispose() { }
}

/// <summary>
/// Integration classes run in two collections, in parallel (one per core), over the same packed product: restore, pack and
/// signing tests here, publish-heavy SBOM and project-type tests, key configuration and signature completeness in
/// <see cref="PackagedPublishCollection"/>, with the build lifecycle. Keep their test time about equal (the slower one is the wall time): a run with
/// `--logger trx` gives each test's duration.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PackagedCollection : ICollectionFixture<PackagedBuildSigning>
{
    public const string Name = "packaged BuildSigning";
}

[CollectionDefinition(Name)]
public sealed class PackagedPublishCollection : ICollectionFixture<PackagedBuildSigning>
{
    public const string Name = "packaged BuildSigning, publish";
}
