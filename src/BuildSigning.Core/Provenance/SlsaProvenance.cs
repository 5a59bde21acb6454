using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Core.Provenance;

/// <summary>How a dotnet build/publish/pack was run: the inputs for a SLSA provenance v1 predicate.</summary>
public sealed record ProvenanceInput
{
    /// <summary>"publish", "pack" or "build".</summary>
    public required string Command { get; init; }

    /// <summary>$(MSBuildProjectFullPath); recorded relative to the repository when it is inside one.</summary>
    public required string ProjectPath { get; init; }

    public string? Configuration { get; init; }

    public required string TargetFramework { get; init; }

    public string? RuntimeIdentifier { get; init; }

    /// <summary>Properties that change the output (see <see cref="SlsaProvenance.OutputAffectingProperties"/>); empty values are left out.</summary>
    public IReadOnlyDictionary<string, string?>? Properties { get; init; }

    /// <summary>$(NETCoreSdkVersion).</summary>
    public required string SdkVersion { get; init; }

    /// <summary>$(MSBuildVersion).</summary>
    public string? MSBuildVersion { get; init; }

    /// <summary>The resolved packages (from <see cref="SbomModel"/>); each becomes a resolved dependency with its SHA-512.</summary>
    public IReadOnlyList<SbomComponent> Packages { get; init; } = [];

    /// <summary>The source commit and repository (<see cref="GitSource.Resolve"/>), when known.</summary>
    public SourceRevision? Source { get; init; }

    public required BuilderInfo Builder { get; init; }

    public string ToolName { get; init; } = "BuildSigning";

    public string? ToolVersion { get; init; }

    /// <summary>When the build started and finished; with SOURCE_DATE_EPOCH set, pass that time for both.</summary>
    public DateTimeOffset? StartedOn { get; init; }

    public DateTimeOffset? FinishedOn { get; init; }
}

/// <summary>
/// Builds the SLSA provenance v1 predicate (https://slsa.dev/spec/v1.0/provenance) for a .NET build, with the build
/// type https://buildsigning.dev/buildtypes/dotnet/v1 (documented in docs/buildtypes/dotnet-v1.md).
/// </summary>
public static class SlsaProvenance
{
    public const string PredicateType = "https://slsa.dev/provenance/v1";
    public const string BuildType = "https://buildsigning.dev/buildtypes/dotnet/v1";

    /// <summary>MSBuild properties that change what a build produces; the task passes the ones that are set.</summary>
    public static IReadOnlyList<string> OutputAffectingProperties { get; } =
    [
        "AssemblyName", "AssemblyVersion", "ContinuousIntegrationBuild", "DebugSymbols", "DebugType", "DefineConstants",
        "Deterministic", "FileVersion", "IncludeSymbols", "InformationalVersion", "InvariantGlobalization", "LangVersion",
        "Optimize", "PackageId", "PackageVersion", "PathMap", "Platform", "PublishAot", "PublishReadyToRun",
        "PublishSingleFile", "PublishTrimmed", "SelfContained", "SymbolPackageFormat", "TrimMode", "UseAppHost", "Version",
    ];

    public static JsonObject BuildPredicate(ProvenanceInput input)
    {
        var external = new JsonObject
        {
            ["command"] = input.Command,
            ["project"] = RelativeProjectPath(input.ProjectPath, input.Source?.WorkingDirectory),
        };
        if (!string.IsNullOrEmpty(input.Configuration)) external["configuration"] = input.Configuration;
        external["targetFramework"] = input.TargetFramework;
        if (!string.IsNullOrEmpty(input.RuntimeIdentifier)) external["runtimeIdentifier"] = input.RuntimeIdentifier;
        var properties = new JsonObject();
        foreach (var (name, value) in (input.Properties ?? new Dictionary<string, string?>()).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!string.IsNullOrEmpty(value)) properties[name] = value;
        }
        if (properties.Count > 0) external["properties"] = properties;
        if (input.Source?.RepositoryUrl is { } repository)
        {
            var source = new JsonObject { ["repository"] = repository };
            if (input.Source.Ref is { } gitRef) source["ref"] = gitRef;
            external["source"] = source;
        }

        var internalParameters = new JsonObject { ["sdkVersion"] = input.SdkVersion };
        if (!string.IsNullOrEmpty(input.MSBuildVersion)) internalParameters["msbuildVersion"] = input.MSBuildVersion;

        var dependencies = new JsonArray();
        if (input.Source is { } revision)
        {
            var descriptor = new JsonObject();
            if (revision.Uri is { } uri) descriptor["uri"] = uri;
            else descriptor["name"] = "source";
            descriptor["digest"] = new JsonObject { ["gitCommit"] = revision.Commit };
            dependencies.Add(descriptor);
        }
        foreach (var package in input.Packages
            .Where(p => p.Kind == SbomComponentKind.Package)
            .OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Version, StringComparer.OrdinalIgnoreCase))
        {
            var descriptor = new JsonObject { ["uri"] = package.Purl!, ["name"] = package.Name };
            if (package.Sha512Hex is not null) descriptor["digest"] = new JsonObject { ["sha512"] = package.Sha512Hex };
            dependencies.Add(descriptor);
        }

        var builder = new JsonObject { ["id"] = input.Builder.Id };
        if (!string.IsNullOrEmpty(input.ToolVersion)) builder["version"] = new JsonObject { [input.ToolName] = input.ToolVersion };

        var metadata = new JsonObject();
        if (input.Builder.InvocationId is { } invocation) metadata["invocationId"] = invocation;
        if (input.StartedOn is { } started) metadata["startedOn"] = SbomJson.Timestamp(started);
        if (input.FinishedOn is { } finished) metadata["finishedOn"] = SbomJson.Timestamp(finished);

        var runDetails = new JsonObject { ["builder"] = builder };
        if (metadata.Count > 0) runDetails["metadata"] = metadata;

        return new JsonObject
        {
            ["buildDefinition"] = new JsonObject
            {
                ["buildType"] = BuildType,
                ["externalParameters"] = external,
                ["internalParameters"] = internalParameters,
                ["resolvedDependencies"] = dependencies,
            },
            ["runDetails"] = runDetails,
        };
    }

    /// <summary>The provenance as an in-toto Statement v1 about the subjects (at most 1024).</summary>
    public static InTotoStatement Statement(IReadOnlyList<Subject> subjects, ProvenanceInput input)
    {
        if (subjects.Count == 0) throw new ArgumentException("A statement needs at least one subject.", nameof(subjects));
        if (subjects.Count > InTotoStatement.MaxSubjects)
        {
            throw new ArgumentException($"A statement may have at most {InTotoStatement.MaxSubjects} subjects.", nameof(subjects));
        }
        return new InTotoStatement(subjects, PredicateType, BuildPredicate(input));
    }

    /// <summary>
    /// The project path relative to the repository with '/' separators when it is inside one; otherwise only its file
    /// name. Never the absolute path: it would leak the machine's folder layout and make equal builds differ.
    /// </summary>
    public static string RelativeProjectPath(string projectPath, string? repositoryRoot)
    {
        if (!Path.IsPathRooted(projectPath)) return projectPath.Replace('\\', '/');
        if (string.IsNullOrEmpty(repositoryRoot)) return Path.GetFileName(projectPath);
        string relative = Path.GetRelativePath(repositoryRoot, projectPath);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? Path.GetFileName(projectPath)
            : relative.Replace('\\', '/');
    }
}
