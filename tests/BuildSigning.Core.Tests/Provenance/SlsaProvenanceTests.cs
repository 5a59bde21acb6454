using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Provenance;
using BuildSigning.Core.Sbom;
using BuildSigning.Core.Tests.Sbom;

namespace BuildSigning.Core.Tests.Provenance;

[Collection(RestoredProjectCollection.Name)]
public sealed class SlsaProvenanceTests(RestoredProjectFixture fixture)
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private ProvenanceInput Input(SourceRevision? source = null, BuilderInfo? builder = null)
    {
        var model = SbomModel.FromAssetsFile(fixture.AssetsPath, RestoredProjectFixture.TargetFramework, RestoredProjectFixture.RuntimeIdentifier);
        return new ProvenanceInput
        {
            Command = "publish",
            ProjectPath = fixture.ProjectPath,
            Configuration = "Release",
            TargetFramework = RestoredProjectFixture.TargetFramework,
            RuntimeIdentifier = RestoredProjectFixture.RuntimeIdentifier,
            Properties = new Dictionary<string, string?> { ["SelfContained"] = "false", ["PublishTrimmed"] = "", ["Optimize"] = "true", ["Deterministic"] = "true" },
            SdkVersion = "10.0.100",
            MSBuildVersion = "18.0.0",
            Packages = model.Components,
            Source = source,
            Builder = builder ?? new BuilderInfo(BuilderIdentity.LocalBuilderId, BuilderIdentity.Local, null),
            ToolVersion = "0.1.0",
            StartedOn = Epoch,
            FinishedOn = Epoch,
        };
    }

    [Fact]
    public void Predicate_HasTheRequiredAndRecommendedFields()
    {
        var source = new SourceRevision("https://github.com/octo/app.git", new string('a', 40), "refs/heads/main", fixture.Root.Path);
        var builder = new BuilderInfo("https://github.com/actions/runner/github-hosted", BuilderIdentity.GitHubActions, "https://github.com/octo/app/actions/runs/1/attempts/1");
        var predicate = SlsaProvenance.BuildPredicate(Input(source, builder));

        var definition = predicate["buildDefinition"]!;
        Assert.Equal("https://buildsigning.dev/buildtypes/dotnet/v1", (string)definition["buildType"]!);
        var external = definition["externalParameters"]!;
        Assert.Equal("publish", (string)external["command"]!);
        Assert.Equal("app/App.csproj", (string)external["project"]!); // relative to the repository
        Assert.Equal("Release", (string)external["configuration"]!);
        Assert.Equal("net10.0", (string)external["targetFramework"]!);
        Assert.Equal("linux-x64", (string)external["runtimeIdentifier"]!);
        Assert.Equal(["Deterministic", "Optimize", "SelfContained"], external["properties"]!.AsObject().Select(p => p.Key)); // sorted, empty left out
        Assert.Equal("https://github.com/octo/app.git", (string)external["source"]!["repository"]!);
        Assert.Equal("10.0.100", (string)definition["internalParameters"]!["sdkVersion"]!);
        Assert.Equal("18.0.0", (string)definition["internalParameters"]!["msbuildVersion"]!);

        var run = predicate["runDetails"]!;
        Assert.Equal(builder.Id, (string)run["builder"]!["id"]!);
        Assert.Equal("0.1.0", (string)run["builder"]!["version"]!["BuildSigning"]!);
        Assert.Equal(builder.InvocationId, (string)run["metadata"]!["invocationId"]!);
        Assert.Equal("2023-11-14T22:13:20Z", (string)run["metadata"]!["startedOn"]!);
        Assert.Equal("2023-11-14T22:13:20Z", (string)run["metadata"]!["finishedOn"]!);
    }

    [Fact]
    public void ResolvedDependencies_AreTheSourceCommitAndEveryPackageWithItsSha512()
    {
        var source = new SourceRevision("https://github.com/octo/app.git", new string('a', 40), "refs/heads/main", null);
        var dependencies = SlsaProvenance.BuildPredicate(Input(source))["buildDefinition"]!["resolvedDependencies"]!.AsArray();

        var first = dependencies[0]!;
        Assert.Equal("git+https://github.com/octo/app.git@refs/heads/main", (string)first["uri"]!);
        Assert.Equal(new string('a', 40), (string)first["digest"]!["gitCommit"]!);

        var packages = fixture.TargetLibraries(RestoredProjectFixture.RuntimeIdentifier).Where(p => p.Value == "package").Select(p => p.Key).ToArray();
        Assert.Equal(packages.Length, dependencies.Count - 1);
        foreach (string key in packages)
        {
            string id = key[..key.IndexOf('/')], version = key[(key.IndexOf('/') + 1)..];
            var entry = dependencies.Single(d => (string?)d!["uri"] == $"pkg:nuget/{id}@{version}")!;
            Assert.Equal(SbomAssertions.Hex(fixture.NupkgSha512(id, version)), (string)entry["digest"]!["sha512"]!);
        }
        // The project reference is part of the source, not a resolved package.
        Assert.DoesNotContain(dependencies, d => ((string?)d!["uri"])?.Contains("Lib@") == true);
    }

    [Fact]
    public void WithoutSourceOrCi_TheOptionalPartsAreLeftOut()
    {
        var input = Input() with { StartedOn = null, FinishedOn = null, Configuration = null, RuntimeIdentifier = null, Properties = null };
        var predicate = SlsaProvenance.BuildPredicate(input);
        var external = predicate["buildDefinition"]!["externalParameters"]!.AsObject();
        Assert.False(external.ContainsKey("source"));
        Assert.False(external.ContainsKey("properties"));
        Assert.False(external.ContainsKey("runtimeIdentifier"));
        // Outside a repository only the file name: an absolute path would leak the machine's layout.
        Assert.Equal(Path.GetFileName(fixture.ProjectPath), (string)external["project"]!);
        Assert.False(predicate["runDetails"]!.AsObject().ContainsKey("metadata"));
        Assert.All(predicate["buildDefinition"]!["resolvedDependencies"]!.AsArray(), d => Assert.StartsWith("pkg:nuget/", (string)d!["uri"]!));
    }

    [Fact]
    public void SourceWithoutRepositoryUrl_IsNamedSource()
    {
        var source = new SourceRevision(null, new string('f', 64), null, null);
        var first = SlsaProvenance.BuildPredicate(Input(source))["buildDefinition"]!["resolvedDependencies"]![0]!;
        Assert.Equal("source", (string)first["name"]!);
        Assert.Equal(new string('f', 64), (string)first["digest"]!["gitCommit"]!);
    }

    [Fact]
    public void Statement_IsAnInTotoV1ProvenanceStatement_AndReproducible()
    {
        var subjects = new[] { new Subject("App.dll", new string('e', 64)) };
        byte[] first = SlsaProvenance.Statement(subjects, Input()).ToJsonBytes();
        byte[] second = SlsaProvenance.Statement(subjects, Input()).ToJsonBytes();
        Assert.Equal(first, second);

        var statement = InTotoStatement.TryParse(first, out string reason);
        Assert.True(statement is not null, reason);
        Assert.Equal("https://slsa.dev/provenance/v1", statement.PredicateType);
        Assert.Equal(subjects, statement.Subjects);
        Assert.True(JsonNode.DeepEquals(SlsaProvenance.BuildPredicate(Input()), statement.Predicate));
    }

    [Fact]
    public void RelativeProjectPath()
    {
        string root = Path.Combine(Path.GetTempPath(), "repo");
        Assert.Equal("src/App/App.csproj", SlsaProvenance.RelativeProjectPath(Path.Combine(root, "src", "App", "App.csproj"), root));
        string outside = Path.Combine(Path.GetTempPath(), "elsewhere", "X.csproj");
        Assert.Equal("X.csproj", SlsaProvenance.RelativeProjectPath(outside, root));
        Assert.Equal("X.csproj", SlsaProvenance.RelativeProjectPath(outside, null));
        Assert.Equal("X.csproj", SlsaProvenance.RelativeProjectPath("X.csproj", null));
    }
}
