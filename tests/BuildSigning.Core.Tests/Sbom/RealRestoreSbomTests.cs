using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Sbom;
using BuildSigning.TestSupport;
using static BuildSigning.Core.Tests.Sbom.SbomAssertions;

namespace BuildSigning.Core.Tests.Sbom;

/// <summary>SBOMs generated from a real restore's project.assets.json, checked against the official schemas and the assets file itself.</summary>
[Collection(RestoredProjectCollection.Name)]
public sealed class RealRestoreSbomTests(RestoredProjectFixture fixture)
{
    public static TheoryData<string?> Targets => new() { (string?)null, RestoredProjectFixture.RuntimeIdentifier };

    private SbomDocuments Generate(string? rid, IReadOnlyList<SbomFile>? files = null, DateTimeOffset? created = null) =>
        SbomDocuments.Generate(fixture.AssetsPath, RestoredProjectFixture.Input(rid, files, created));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Model_HoldsExactlyTheLibrariesTheAssetsFileResolvesForTheTarget(string? rid)
    {
        var model = SbomModel.FromAssetsFile(fixture.AssetsPath, RestoredProjectFixture.TargetFramework, rid);

        var expected = fixture.TargetLibraries(rid);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), model.Components.Select(c => c.Key).Order(StringComparer.Ordinal));
        Assert.Contains("Polly.Core/8.5.2", expected.Keys); // transitive ones included
        Assert.Equal("project", expected["Lib/2.0.0"]);
        Assert.Equal(SbomComponentKind.Project, model.Find("Lib/2.0.0")!.Kind);
        Assert.Empty(model.Warnings);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void BothDocuments_ValidateAgainstTheOfficialSchemas(string? rid)
    {
        var documents = Generate(rid);
        ValidSpdx(documents.Spdx);
        ValidCycloneDx(documents.CycloneDx);
    }

    [Fact]
    public void TheSchemaValidation_RejectsBrokenDocuments()
    {
        // Guards against a validator that accepts anything (unresolved $refs, ignored keywords).
        var documents = Generate(null);
        var bom = Parse(documents.CycloneDx);
        bom["serialNumber"] = "not-a-urn";
        bom["components"]![0]!["licenses"] = JsonNode.Parse("""[{"license":{"id":"Not-A-Real-License"}}]""");
        var errors = CycloneDxErrors(System.Text.Encoding.UTF8.GetBytes(bom.ToJsonString()));
        Assert.Contains(errors, e => e.Contains("serialNumber"));
        Assert.Contains(errors, e => e.Contains("licenses")); // the id is checked against spdx.schema.json's enum

        var spdx = Parse(documents.Spdx);
        spdx["packages"]![0]!.AsObject().Remove("downloadLocation");
        SpdxPackageByPurl(spdx, "pkg:nuget/Serilog@3.1.1")["checksums"]![0]!["algorithm"] = "SHA-512";
        Assert.True(SpdxSchemaErrors(System.Text.Encoding.UTF8.GetBytes(spdx.ToJsonString())).Count >= 2);
    }

    [Fact]
    public void EveryPackage_HasItsPurlAndTheHexOfItsNupkgSha512()
    {
        var documents = Generate(RestoredProjectFixture.RuntimeIdentifier);
        var spdx = Parse(documents.Spdx);
        var bom = Parse(documents.CycloneDx);
        var packages = fixture.TargetLibraries(RestoredProjectFixture.RuntimeIdentifier).Where(p => p.Value == "package").Select(p => p.Key).ToArray();
        Assert.Equal(5, packages.Length);
        foreach (string key in packages)
        {
            string id = key[..key.IndexOf('/')], version = key[(key.IndexOf('/') + 1)..];
            string purl = $"pkg:nuget/{id}@{version}";
            string sha512 = Hex(fixture.NupkgSha512(id, version));
            Assert.Equal(128, sha512.Length);

            var package = SpdxPackageByPurl(spdx, purl);
            Assert.Equal(id, (string)package["name"]!);
            Assert.Equal(version, (string)package["versionInfo"]!);
            var checksum = Assert.Single(package["checksums"]!.AsArray());
            Assert.Equal("SHA512", (string)checksum!["algorithm"]!);
            Assert.Equal(sha512, (string)checksum["checksumValue"]!);

            var component = bom["components"]!.AsArray().Single(c => (string)c!["purl"]! == purl)!;
            Assert.Equal(purl, (string)component["bom-ref"]!);
            var hash = Assert.Single(component["hashes"]!.AsArray());
            Assert.Equal("SHA-512", (string)hash!["alg"]!);
            Assert.Equal(sha512, (string)hash["content"]!);
        }
    }

    [Fact]
    public void SpdxRelationships_AreTheRealDependencyGraph()
    {
        var spdx = Parse(Generate(RestoredProjectFixture.RuntimeIdentifier).Spdx);
        string Id(string purl) => SpdxIdByPurl(spdx, purl);
        var dependsOn = SpdxRelationships(spdx, "DEPENDS_ON");

        // Serilog.Sinks.Console asks for Serilog >= 3.1.0; the edge goes to the 3.1.1 actually resolved.
        Assert.Contains((Id("pkg:nuget/Serilog.Sinks.Console@5.0.0"), Id("pkg:nuget/Serilog@3.1.1")), dependsOn);
        Assert.Contains((Id("pkg:nuget/Polly@8.5.2"), Id("pkg:nuget/Polly.Core@8.5.2")), dependsOn);
        Assert.Contains((Id("project:Lib@2.0.0"), Id("pkg:nuget/Newtonsoft.Json@13.0.3")), dependsOn);

        // The root depends on what the project references directly, and only that.
        var direct = dependsOn.Where(r => r.From == "SPDXRef-RootPackage").Select(r => r.To).ToHashSet();
        Assert.Equal(new[] { "project:Lib@2.0.0", "pkg:nuget/Polly@8.5.2", "pkg:nuget/Serilog@3.1.1", "pkg:nuget/Serilog.Sinks.Console@5.0.0" }.Select(Id).ToHashSet(), direct);
        Assert.Equal(7, dependsOn.Count);
        Assert.Contains(("SPDXRef-DOCUMENT", "SPDXRef-RootPackage"), SpdxRelationships(spdx, "DESCRIBES"));
    }

    [Fact]
    public void CycloneDxDependencies_AreTheRealDependencyGraph_WithEveryComponentListed()
    {
        var bom = Parse(Generate(RestoredProjectFixture.RuntimeIdentifier).CycloneDx);
        Assert.Equal(["pkg:nuget/Serilog@3.1.1"], CycloneDxDependsOn(bom, "pkg:nuget/Serilog.Sinks.Console@5.0.0"));
        Assert.Equal(["pkg:nuget/Polly.Core@8.5.2"], CycloneDxDependsOn(bom, "pkg:nuget/Polly@8.5.2"));
        Assert.Equal(["pkg:nuget/Newtonsoft.Json@13.0.3"], CycloneDxDependsOn(bom, "project:Lib@2.0.0"));
        Assert.Empty(CycloneDxDependsOn(bom, "pkg:nuget/Serilog@3.1.1"));
        Assert.Equal(
            ["project:Lib@2.0.0", "pkg:nuget/Polly@8.5.2", "pkg:nuget/Serilog@3.1.1", "pkg:nuget/Serilog.Sinks.Console@5.0.0"],
            CycloneDxDependsOn(bom, "project:App@1.2.3"));
        // One entry for the root and one per component.
        Assert.Equal(bom["components"]!.AsArray().Count + 1, bom["dependencies"]!.AsArray().Count);
    }

    [Fact]
    public void ProjectReference_IsAComponentOfItsOwn()
    {
        var documents = Generate(null);
        var spdxLib = SpdxPackageByPurl(Parse(documents.Spdx), "project:Lib@2.0.0");
        Assert.StartsWith("SPDXRef-Project-Lib-2.0.0", (string)spdxLib["SPDXID"]!);
        Assert.Contains("../lib/Lib.csproj", (string)spdxLib["comment"]!);
        Assert.False(spdxLib.ContainsKey("checksums"));

        var cdxLib = Parse(documents.CycloneDx)["components"]!.AsArray().Single(c => (string)c!["name"]! == "Lib")!;
        Assert.Equal("library", (string)cdxLib["type"]!);
        Assert.Equal("../lib/Lib.csproj", (string)cdxLib["properties"]![0]!["value"]!);
    }

    [Fact]
    public void LicensesAndSuppliers_ComeFromTheNuspecs()
    {
        var documents = Generate(null);
        var spdx = Parse(documents.Spdx);
        Assert.Equal("Apache-2.0", (string)SpdxPackageByPurl(spdx, "pkg:nuget/Serilog@3.1.1")["licenseDeclared"]!);
        Assert.Equal("MIT", (string)SpdxPackageByPurl(spdx, "pkg:nuget/Newtonsoft.Json@13.0.3")["licenseDeclared"]!);
        Assert.Equal("BSD-3-Clause", (string)SpdxPackageByPurl(spdx, "pkg:nuget/Polly@8.5.2")["licenseDeclared"]!);
        Assert.Equal("Organization: Serilog Contributors", (string)SpdxPackageByPurl(spdx, "pkg:nuget/Serilog@3.1.1")["supplier"]!);
        Assert.Equal("Organization: James Newton-King", (string)SpdxPackageByPurl(spdx, "pkg:nuget/Newtonsoft.Json@13.0.3")["supplier"]!);
        Assert.Equal("NOASSERTION", (string)SpdxPackageByPurl(spdx, "project:Lib@2.0.0")["licenseDeclared"]!);

        var serilog = Parse(documents.CycloneDx)["components"]!.AsArray().Single(c => (string)c!["name"]! == "Serilog")!;
        Assert.Equal("Apache-2.0", (string)serilog["licenses"]![0]!["license"]!["id"]!);
        Assert.Equal("Serilog Contributors", (string)serilog["supplier"]!["name"]!);
    }

    [Fact]
    public void RootAndToolchain_AreDescribed()
    {
        var documents = Generate(RestoredProjectFixture.RuntimeIdentifier);
        var spdx = Parse(documents.Spdx);
        var root = SpdxPackageByPurl(spdx, "project:App@1.2.3");
        Assert.Equal("SPDXRef-RootPackage", (string)root["SPDXID"]!);
        Assert.Equal("App", (string)root["name"]!);
        Assert.Equal("1.2.3", (string)root["versionInfo"]!);
        Assert.Equal("APPLICATION", (string)root["primaryPackagePurpose"]!);
        Assert.Contains("net10.0", (string)root["comment"]!);
        Assert.Contains("linux-x64", (string)root["comment"]!);
        var sdk = spdx["packages"]!.AsArray().Single(p => (string)p!["name"]! == ".NET SDK")!;
        Assert.Equal("10.0.100", (string)sdk["versionInfo"]!);
        Assert.Contains(((string)sdk["SPDXID"]!, "SPDXRef-RootPackage"), SpdxRelationships(spdx, "BUILD_TOOL_OF"));
        Assert.Equal(["Tool: BuildSigning-0.1.0"], spdx["creationInfo"]!["creators"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("2023-11-14T22:13:20Z", (string)spdx["creationInfo"]!["created"]!);

        var bom = Parse(documents.CycloneDx);
        var metadata = bom["metadata"]!;
        Assert.Equal("2023-11-14T22:13:20Z", (string)metadata["timestamp"]!);
        Assert.Equal("application", (string)metadata["component"]!["type"]!);
        // A published app is on no feed: no purl, a non-registry bom-ref (a public package named App must not match it).
        Assert.Equal("project:App@1.2.3", (string)metadata["component"]!["bom-ref"]!);
        Assert.Null(metadata["component"]!["purl"]);
        Assert.Null(root["externalRefs"]);
        var properties = metadata["properties"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (string)p!["value"]!);
        Assert.Equal("10.0.100", properties["buildsigning:dotnet:sdkVersion"]);
        Assert.Equal("net10.0", properties["buildsigning:dotnet:targetFramework"]);
        Assert.Equal("linux-x64", properties["buildsigning:dotnet:runtimeIdentifier"]);
        Assert.Equal("BuildSigning", (string)metadata["tools"]!["components"]![0]!["name"]!);
    }

    [Fact]
    public void PublishedFiles_AreListedWithSha256AndSha1()
    {
        using var publish = new TempDirectory("bs-publish");
        publish.WriteFile("App.dll", "not really an assembly");
        publish.WriteFile("runtimes/linux-x64/native/libthing.so", new byte[] { 1, 2, 3 });
        publish.WriteFile("App.deps.json", "{}");
        var files = Directory.EnumerateFiles(publish.Path, "*", SearchOption.AllDirectories).Select(path =>
        {
            byte[] content = File.ReadAllBytes(path);
            return new SbomFile(Path.GetRelativePath(publish.Path, path).Replace('\\', '/'),
                Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant(), Convert.ToHexString(SHA1.HashData(content)).ToLowerInvariant());
        }).Reverse().ToArray();

        var documents = Generate(RestoredProjectFixture.RuntimeIdentifier, files);
        ValidSpdx(documents.Spdx);
        ValidCycloneDx(documents.CycloneDx);

        var spdx = Parse(documents.Spdx);
        var spdxFiles = spdx["files"]!.AsArray();
        Assert.Equal(["./App.deps.json", "./App.dll", "./runtimes/linux-x64/native/libthing.so"], spdxFiles.Select(f => (string)f!["fileName"]!));
        foreach (var file in files)
        {
            var entry = spdxFiles.Single(f => (string)f!["fileName"]! == "./" + file.RelativePath)!;
            var checksums = entry["checksums"]!.AsArray().ToDictionary(c => (string)c!["algorithm"]!, c => (string)c!["checksumValue"]!);
            Assert.Equal(file.Sha1Hex, checksums["SHA1"]);
            Assert.Equal(file.Sha256Hex, checksums["SHA256"]);
            Assert.Contains(("SPDXRef-RootPackage", (string)entry["SPDXID"]!), SpdxRelationships(spdx, "CONTAINS"));
        }
        var root = SpdxPackageByPurl(spdx, "project:App@1.2.3");
        Assert.True((bool)root["filesAnalyzed"]!);
        string verificationCode = Convert.ToHexString(SHA1.HashData(Encoding.ASCII.GetBytes(string.Concat(files.Select(f => f.Sha1Hex).Order(StringComparer.Ordinal))))).ToLowerInvariant();
        Assert.Equal(verificationCode, (string)root["packageVerificationCode"]!["packageVerificationCodeValue"]!);

        var nested = Parse(documents.CycloneDx)["metadata"]!["component"]!["components"]!.AsArray();
        Assert.Equal(3, nested.Count);
        var dll = nested.Single(c => (string)c!["name"]! == "App.dll")!;
        Assert.Equal("file", (string)dll["type"]!);
        var hashes = dll["hashes"]!.AsArray().ToDictionary(h => (string)h!["alg"]!, h => (string)h!["content"]!);
        Assert.Equal(files.Single(f => f.RelativePath == "App.dll").Sha1Hex, hashes["SHA-1"]);
        Assert.Equal(files.Single(f => f.RelativePath == "App.dll").Sha256Hex, hashes["SHA-256"]);
    }

    [Fact]
    public void SelfContained_RuntimePacksAreListedAsDirectDependencies()
    {
        // Restore with -r downloads the runtime pack; NuGet lists it in downloadDependencies, not in the target.
        using var assets = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(fixture.AssetsPath));
        string range = assets.RootElement.GetProperty("project").GetProperty("frameworks").GetProperty(RestoredProjectFixture.TargetFramework)
            .GetProperty("downloadDependencies").EnumerateArray()
            .Single(d => d.GetProperty("name").GetString() == "Microsoft.NETCore.App.Runtime.linux-x64").GetProperty("version").GetString()!;
        string version = range.Trim('[', ']').Split(',')[0].Trim();
        var packs = new[] { new RuntimePackReference("Microsoft.NETCore.App.Runtime.linux-x64", version) };

        var documents = SbomDocuments.Generate(fixture.AssetsPath, RestoredProjectFixture.Input(RestoredProjectFixture.RuntimeIdentifier), packs);
        ValidSpdx(documents.Spdx);
        ValidCycloneDx(documents.CycloneDx);
        Assert.Empty(documents.Warnings);
        string purl = $"pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@{version}";
        var spdx = Parse(documents.Spdx);
        var pack = SpdxPackageByPurl(spdx, purl);
        Assert.Equal(Hex(fixture.NupkgSha512("Microsoft.NETCore.App.Runtime.linux-x64", version)), (string)pack["checksums"]![0]!["checksumValue"]!);
        Assert.Equal("MIT", (string)pack["licenseDeclared"]!);
        Assert.Contains(("SPDXRef-RootPackage", (string)pack["SPDXID"]!), SpdxRelationships(spdx, "DEPENDS_ON"));
        Assert.Contains(purl, CycloneDxDependsOn(Parse(documents.CycloneDx), "project:App@1.2.3"));
    }

    [Fact]
    public void SameInputsAndTime_GiveIdenticalBytes_AndIdentifiersFollowTheContent()
    {
        var first = Generate(RestoredProjectFixture.RuntimeIdentifier);
        var second = Generate(RestoredProjectFixture.RuntimeIdentifier);
        Assert.Equal(first.Spdx, second.Spdx);
        Assert.Equal(first.CycloneDx, second.CycloneDx);

        var later = Generate(RestoredProjectFixture.RuntimeIdentifier, created: DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        string Namespace(byte[] spdx) => (string)Parse(spdx)["documentNamespace"]!;
        string Serial(byte[] bom) => (string)Parse(bom)["serialNumber"]!;
        Assert.NotEqual(Namespace(first.Spdx), Namespace(later.Spdx));
        Assert.NotEqual(Serial(first.CycloneDx), Serial(later.CycloneDx));
        Assert.Matches("^https://buildsigning\\.dev/spdx/App-1\\.2\\.3-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", Namespace(first.Spdx));
        Assert.Matches("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", Serial(first.CycloneDx));

        // Another target is other content: other identifiers.
        var portable = Generate(null);
        Assert.NotEqual(Namespace(first.Spdx), Namespace(portable.Spdx));
    }

    [Fact]
    public void SourceDateEpoch_MakesTheWholeRunReproducible()
    {
        byte[] Run()
        {
            var created = SourceDateEpoch.Resolve(name => name == "SOURCE_DATE_EPOCH" ? "1700000000" : null, DateTimeOffset.UtcNow, out var warning);
            Assert.Null(warning);
            var documents = Generate(RestoredProjectFixture.RuntimeIdentifier, created: created);
            var subjects = new[] { new Subject("App.dll", new string('a', 64)) };
            return [.. documents.Spdx, .. documents.CycloneDx, .. documents.SpdxStatement(subjects).ToJsonBytes(), .. documents.CycloneDxStatement(subjects).ToJsonBytes()];
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Statements_WrapEachDocumentWithItsPredicateType()
    {
        var documents = Generate(RestoredProjectFixture.RuntimeIdentifier);
        var subjects = new[] { new Subject("App.dll", new string('b', 64)), new Subject("App.deps.json", new string('c', 64)) };

        var spdx = InTotoStatement.TryParse(documents.SpdxStatement(subjects).ToJsonBytes(), out string reason);
        Assert.True(spdx is not null, reason);
        Assert.Equal("https://spdx.dev/Document/v2.3", spdx.PredicateType);
        Assert.Equal(subjects, spdx.Subjects);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(documents.Spdx), spdx.Predicate));

        var cdx = InTotoStatement.TryParse(documents.CycloneDxStatement(subjects).ToJsonBytes(), out reason);
        Assert.True(cdx is not null, reason);
        Assert.Equal("https://cyclonedx.org/bom", cdx.PredicateType);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(documents.CycloneDx), cdx.Predicate));

        Assert.Throws<ArgumentException>(() => documents.SpdxStatement([]));
        Assert.Throws<ArgumentException>(() => documents.SpdxStatement(Enumerable.Range(0, 1025).Select(i => new Subject($"f{i}", new string('d', 64))).ToArray()));
    }
}
