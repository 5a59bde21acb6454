using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using BuildSigning.TestSupport;
using Xunit.Abstractions;
using static BuildSigning.IntegrationTests.SbomAssertions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// What scanners and auditors read from a real publish's SBOMs (issue 11): a web app with a metapackage
/// (Swashbuckle.AspNetCore: build/*.props only, its Swagger DLLs come from its dependencies), published once and shared,
/// checked against the restore's project.assets.json, the nuspecs in the package folder and the app's runtimeconfig.json.
/// </summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class SbomFidelityTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private const string Framework = "net10.0";
    private const string Root = "project:WebApi@3.1.0";

    private static readonly Dictionary<string, string?> LocalBuild = new()
    {
        ["GITHUB_ACTIONS"] = null, ["TF_BUILD"] = null, ["GITLAB_CI"] = null, ["JENKINS_URL"] = null,
        ["SOURCE_DATE_EPOCH"] = null, ["BuildSigningBuilderId"] = null,
    };

    private sealed record Published(string Project, string Output)
    {
        public JsonObject Spdx => ReadJson(Path.Combine(Output, ".buildsigning", "sbom.spdx.json"));
        public JsonObject CycloneDx => ReadJson(Path.Combine(Output, ".buildsigning", "sbom.cdx.json"));
    }

    private static readonly ConcurrentDictionary<string, Lazy<Published>> Shared = new();

    /// <summary>A minimal API with Swagger, framework-dependent, with Authors, Company and Copyright set.</summary>
    private Published WebApp => Shared.GetOrAdd(product.Root + "|web", _ => new Lazy<Published>(() =>
    {
        string project = product.CreateProject("WebApi", """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Version>3.1.0</Version>
                <ImplicitUsings>enable</ImplicitUsings>
                <Authors>Jane Doe, John Roe</Authors>
                <Company>Fabrikam, Inc.</Company>
                <Copyright>© Fabrikam</Copyright>
                <Description>An API.</Description>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
                <PackageReference Include="Swashbuckle.AspNetCore" Version="9.0.6" />
              </ItemGroup>
            </Project>
            """, ("Program.cs", """
            var builder = WebApplication.CreateBuilder(args);
            builder.Services.AddEndpointsApiExplorer();
            builder.Services.AddSwaggerGen();
            var app = builder.Build();
            app.UseSwagger();
            app.MapGet("/", () => "hello");
            app.Run();
            """));
        string publish = Path.Combine(project, "out");
        Publish(project, publish);
        return new Published(project, publish);
    })).Value;

    [Fact]
    public void WebApp_SbomsValidate_AndEveryPackageWhoseAssetsArePublished_IsReachableFromTheRootThroughRuntimeEdges_InBothFormats()
    {
        var published = WebApp;
        ValidSboms(published.Output, output);
        var target = RestoredTarget.Read(published.Project, Framework);
        var shipping = target.Packages.Where(p => p.ShipsRuntimeAssets).Select(p => p.Purl).ToHashSet();
        Assert.Contains("pkg:nuget/Swashbuckle.AspNetCore.SwaggerGen@9.0.6", shipping);
        Assert.DoesNotContain("pkg:nuget/Swashbuckle.AspNetCore@9.0.6", shipping); // the metapackage itself ships nothing

        var spdx = published.Spdx;
        var spdxReachable = Reachable(Root, SpdxRelationships(spdx, "DEPENDS_ON"));
        Assert.Empty(shipping.Except(spdxReachable));
        Assert.Contains("pkg:nuget/Swashbuckle.AspNetCore@9.0.6", spdxReachable);

        var bom = published.CycloneDx;
        var excluded = bom["components"]!.AsArray().Where(c => (string?)c!["scope"] == "excluded").Select(c => (string)c!["bom-ref"]!).ToHashSet();
        var runtimeEdges = CycloneDxEdges(bom).Where(e => !excluded.Contains(e.To)).ToHashSet();
        var bomReachable = Reachable(Root, runtimeEdges);
        Assert.Empty(shipping.Except(bomReachable));

        // Both formats agree about what is build-only: excluded in CycloneDX exactly when SPDX has it only as a build dependency.
        var spdxBuildOnly = target.Packages.Select(p => p.Purl).Where(p => !spdxReachable.Contains(p)).ToHashSet();
        Assert.Equal(spdxBuildOnly.Order(StringComparer.Ordinal), excluded.Order(StringComparer.Ordinal));
        Assert.Contains($"pkg:nuget/BuildSigning@{product.Version}", excluded);
    }

    [Fact]
    public void WebApp_OnlyPackagesHavePurls_AndNuspecMetadataSuppliersAndTheSbomsAuthorAreRecorded()
    {
        var published = WebApp;
        var spdx = published.Spdx;
        var bom = published.CycloneDx;
        var rootComponent = bom["metadata"]!["component"]!;
        Assert.Equal(Root, (string?)rootComponent["bom-ref"]);
        Assert.Null(rootComponent["purl"]);
        var rootPackage = SpdxPackagesByPurl(spdx)[Root];
        Assert.Null(rootPackage["externalRefs"]);
        Assert.DoesNotContain("pkg:nuget/WebApi", File.ReadAllText(Path.Combine(published.Output, ".buildsigning", "sbom.spdx.json")));

        // Supplier: the project's Authors, a list of people; the SBOM's author: its Company.
        Assert.Equal("Person: Jane Doe", (string?)rootPackage["supplier"]);
        Assert.Equal("© Fabrikam", (string?)rootPackage["copyrightText"]);
        Assert.Contains("Organization: Fabrikam, Inc.", spdx["creationInfo"]!["creators"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("Fabrikam, Inc.", (string?)bom["metadata"]!["manufacturer"]!["name"]);

        // Every package's copyright and description are its nuspec's, read here with LINQ to XML.
        var target = RestoredTarget.Read(published.Project, Framework);
        var spdxPackages = SpdxPackagesByPurl(spdx);
        var components = bom["components"]!.AsArray().ToDictionary(c => (string)c!["bom-ref"]!, c => c!);
        int withCopyright = 0;
        foreach (var package in target.Packages)
        {
            var metadata = Nuspec(target, package);
            string? copyright = Element(metadata, "copyright"), description = Element(metadata, "description");
            Assert.Equal(copyright ?? "NOASSERTION", (string?)spdxPackages[package.Purl]["copyrightText"]);
            Assert.Equal(copyright, (string?)components[package.Purl]["copyright"]);
            Assert.Equal(description, (string?)components[package.Purl]["description"]);
            if (copyright is not null) withCopyright++;
            var repository = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "repository");
            if (repository?.Attribute("commit") is { } commit && (string?)repository.Attribute("type") == "git" && !string.IsNullOrWhiteSpace((string?)repository.Attribute("url")))
            {
                Assert.Equal($"git+{(string?)repository.Attribute("url")}@{commit.Value.ToLowerInvariant()}", (string?)spdxPackages[package.Purl]["downloadLocation"]);
            }
        }
        Assert.True(withCopyright > 0, "some package of this restore declares a copyright");
    }

    [Fact]
    public void WebApp_SharedFrameworks_AreRequiredAndNotShipped_AtTheVersionsRuntimeconfigAsksFor()
    {
        var published = WebApp;
        using var runtimeConfig = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(published.Output, "WebApi.runtimeconfig.json")));
        var expected = runtimeConfig.RootElement.GetProperty("runtimeOptions").GetProperty("frameworks").EnumerateArray()
            .Select(f => $"framework:{f.GetProperty("name").GetString()}@{f.GetProperty("version").GetString()}")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Contains(expected, f => f.StartsWith("framework:Microsoft.AspNetCore.App@", StringComparison.Ordinal));

        var bom = published.CycloneDx;
        var frameworks = bom["components"]!.AsArray().Where(c => (string?)c!["type"] == "framework").ToArray();
        Assert.Equal(expected, frameworks.Select(f => (string)f!["bom-ref"]!).Order(StringComparer.Ordinal));
        Assert.All(frameworks, f => Assert.Equal("required", (string?)f!["scope"]));
        var rootDependsOn = bom["dependencies"]!.AsArray().Single(d => (string?)d!["ref"] == Root)!["dependsOn"]!.AsArray().Select(d => (string)d!).ToArray();
        Assert.All(expected, f => Assert.Contains(f, rootDependsOn));

        var spdx = published.Spdx;
        var prerequisites = SpdxRelationships(spdx, "HAS_PREREQUISITE").Where(r => r.From == Root).Select(r => r.To).ToHashSet();
        var spdxFrameworks = spdx["packages"]!.AsArray().Where(p => (string?)p!["primaryPackagePurpose"] == "FRAMEWORK")
            .Select(p => ((string)p!["SPDXID"]!, $"framework:{(string?)p["name"]}@{(string?)p["versionInfo"]}")).ToArray();
        Assert.Equal(expected, spdxFrameworks.Select(f => f.Item2).Order(StringComparer.Ordinal));
        Assert.All(spdxFrameworks, f => Assert.Contains(f.Item1, prerequisites));
    }

    [Fact]
    public void CycloneDx17_IsWrittenOnRequest_AndValidatesAgainstTheOfficial17Schema()
    {
        string publish = Path.Combine(WebApp.Project, "out-cdx17");
        Publish(WebApp.Project, publish, "-p:BuildSigningSbomFormats=spdx%3Bcyclonedx1.7", "-p:BuildSigningSbomNamespace=https://sbom.example/webapi");
        ValidSboms(publish, output);
        var bom = ReadJson(Path.Combine(publish, ".buildsigning", "sbom.cdx.json"));
        Assert.Equal("1.7", (string?)bom["specVersion"]);
        Assert.StartsWith("https://sbom.example/webapi/WebApi-3.1.0-", (string?)ReadJson(Path.Combine(publish, ".buildsigning", "sbom.spdx.json"))["documentNamespace"]);
        var both = product.Dotnet(WebApp.Project, LocalBuild, "publish", "-c", "Release", "-o", Path.Combine(WebApp.Project, "out-both"), "-p:BuildSigningSbomFormats=cyclonedx%3Bcyclonedx1.7");
        Assert.True(both.ExitCode != 0, both.ToString());
        Assert.Contains("error BS5014", both.Output);
        var badNamespace = product.Dotnet(WebApp.Project, LocalBuild, "publish", "-c", "Release", "-o", Path.Combine(WebApp.Project, "out-ns"), "-p:BuildSigningSbomNamespace=not-a-uri");
        Assert.True(badNamespace.ExitCode != 0, badNamespace.ToString());
        Assert.Contains("error BS5015", badNamespace.Output);
    }

    private static HashSet<string> Reachable(string root, IEnumerable<(string From, string To)> edges)
    {
        var next = edges.ToLookup(e => e.From, e => e.To);
        var seen = new HashSet<string>(StringComparer.Ordinal) { root };
        var queue = new Queue<string>([root]);
        while (queue.TryDequeue(out var node))
        {
            foreach (string to in next[node]) if (seen.Add(to)) queue.Enqueue(to);
        }
        return seen;
    }

    private static XElement Nuspec(RestoredTarget target, RestoredTarget.Library package)
    {
        string relative = package.Path ?? Path.Combine(package.Name.ToLowerInvariant(), package.Version.ToLowerInvariant());
        string file = target.PackageFolders.Select(f => Path.Combine(f, relative, package.Name.ToLowerInvariant() + ".nuspec")).First(File.Exists);
        return XDocument.Load(file).Root!.Elements().First(e => e.Name.LocalName == "metadata");
    }

    private static string? Element(XElement metadata, string name) =>
        metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim() is { Length: > 0 } text ? text : null;

    private void Publish(string project, string publish, params string[] extra)
    {
        var result = product.Dotnet(project, LocalBuild, ["publish", "-c", "Release", "-o", publish, .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
