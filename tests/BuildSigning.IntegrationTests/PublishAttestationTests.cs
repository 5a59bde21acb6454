using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.TestSupport;
using Xunit.Abstractions;
using static BuildSigning.IntegrationTests.SbomAssertions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// The SBOMs (SPDX 2.3, CycloneDX 1.6) and SLSA provenance a real `dotnet publish` adds to .buildsigning/, checked against the
/// official schemas, the restore's own project.assets.json, the package folder's .nupkg.sha512 files, coreutils' sha1sum and
/// sha256sum, openssl and the packed buildsign tool. Three publishes are made once per run and shared: tests read them, copy
/// them before tampering, and publish the same project again only into other folders or with nothing changed.
/// </summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class PublishAttestationTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private const string Framework = "net10.0";
    private const string Rid = "linux-x64";
    // A published app is on no feed: no purl, a non-registry reference (the CycloneDX bom-ref; the tests' key for SPDX).
    private const string HelloPurl = "project:HelloSigned@1.2.0";
    private const string LocalBuilder = "https://buildsigning.dev/builders/local";
    private const string SourceDateEpoch = "1700000000";
    private const string SourceDateEpochTime = "2023-11-14T22:13:20Z";
    private static readonly string[] AttestationBundles = ["provenance.sigstore.json", "sbom.cdx.sigstore.json", "sbom.spdx.sigstore.json"];

    // A CI machine's own variables must not decide which builder the provenance names.
    private static readonly Dictionary<string, string?> LocalBuild = new()
    {
        ["GITHUB_ACTIONS"] = null, ["TF_BUILD"] = null, ["GITLAB_CI"] = null, ["JENKINS_URL"] = null,
        ["SOURCE_DATE_EPOCH"] = null, ["BuildSigningBuilderId"] = null,
    };

    private sealed record Published(string Project, string Output, ProcessResult Result)
    {
        public string Attestations => Path.Combine(Output, ".buildsigning");
        public string AttestationFile(string name) => Path.Combine(Attestations, name);
        public JsonObject Spdx => ReadJson(AttestationFile("sbom.spdx.json"));
        public JsonObject CycloneDx => ReadJson(AttestationFile("sbom.cdx.json"));
        public JsonObject Statement(string bundle) => JsonNode.Parse(Bundles.ReadStatement(AttestationFile(bundle)).GetRawText())!.AsObject();
        public JsonObject Provenance => Statement("provenance.sigstore.json")["predicate"]!.AsObject();

        /// <summary>Every published file (relative, '/'-separated, ordinal order), .buildsigning/ excepted.</summary>
        public string[] Files => Directory.EnumerateFiles(Output, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Output, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".buildsigning/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
    }

    private static readonly ConcurrentDictionary<string, Lazy<Published>> SharedPublishes = new();

    /// <summary>A publish made once per test run (the first test that needs it makes it).</summary>
    private Published Shared(string name, Func<Published> create) =>
        SharedPublishes.GetOrAdd(product.Root + "|" + name, _ => new Lazy<Published>(create)).Value;

    /// <summary>samples/HelloSigned, framework-dependent: dotnet publish -c Release -o out.</summary>
    private Published FrameworkDependent => Shared("fd", () =>
    {
        string project = product.CopySample("attest-fd");
        string publish = Path.Combine(project, "out");
        return new Published(project, publish, Publish(project, publish));
    });

    /// <summary>samples/HelloSigned, self-contained for linux-x64.</summary>
    private Published SelfContained => Shared("sc", () =>
    {
        string project = product.CopySample("attest-sc");
        string publish = Path.Combine(project, "out");
        return new Published(project, publish, Publish(project, publish, null, "-r", Rid, "--self-contained"));
    });

    /// <summary>
    /// An app with a ProjectReference to a library that brings its own package (Serilog.Sinks.Console, hence Serilog), in a git
    /// repository with an origin remote, published with BuildSigningBuilderId set.
    /// </summary>
    private Published WithProjectReference => Shared("refs", () =>
    {
        string repository = Directory.CreateDirectory(Path.Combine(product.Root, "attest-refs")).FullName;
        Write(repository, "Lib/Lib.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Version>2.0.0</Version>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Serilog.Sinks.Console" Version="5.0.0" />
              </ItemGroup>
            </Project>
            """);
        Write(repository, "Lib/Greeter.cs", "namespace Lib;\npublic static class Greeter { public static string Hello() => \"hello\"; }\n");
        Write(repository, "App/App.csproj", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
                <PackageReference Include="Polly" Version="8.5.2" />
                <ProjectReference Include="../Lib/Lib.csproj" />
              </ItemGroup>
            </Project>
            """);
        Write(repository, "App/Program.cs", "System.Console.WriteLine(Lib.Greeter.Hello() + typeof(Polly.ResiliencePipeline).Name);\n");
        Write(repository, ".gitignore", "bin/\nobj/\nout*/\n");
        Git(repository, "init", "-q", "-b", "main");
        Git(repository, "remote", "add", "origin", "https://github.com/example/attest-refs.git");
        Git(repository, "add", "-A");
        Git(repository, "commit", "-q", "-m", "initial");

        string project = Path.Combine(repository, "App");
        string publish = Path.Combine(repository, "out");
        return new Published(project, publish, Publish(project, publish, null, "-p:BuildSigningBuilderId=https://ci.example/builder"));
    });

    // ---------------------------------------------------------------------------------------------------------------------
    // 1. Schemas

    [Fact]
    public void FrameworkDependentPublish_WritesBothSboms_ValidAgainstTheOfficialSchemas_WithTwoIndependentValidators()
    {
        var published = FrameworkDependent;
        ValidSboms(published.Output, output);

        // Guard against validators that accept anything (unresolved $refs to spdx.schema.json, ignored keywords).
        var bom = published.CycloneDx;
        bom["serialNumber"] = "not-a-urn";
        bom["components"]![0]!["licenses"] = JsonNode.Parse("""[{"license":{"id":"Not-A-Real-License"}}]""");
        var spdx = published.Spdx;
        spdx["packages"]![1]!.AsObject().Remove("downloadLocation");
        spdx["packages"]![1]!["checksums"]![0]!["algorithm"] = "SHA-512";

        var cycloneDxErrors = CycloneDxSchemaErrors(bom.ToJsonString());
        Assert.Contains(cycloneDxErrors, e => e.Contains("serialNumber", StringComparison.Ordinal));
        Assert.Contains(cycloneDxErrors, e => e.Contains("licenses", StringComparison.Ordinal));
        string spdxErrors = string.Join("\n", SpdxSchemaErrors(spdx.ToJsonString()));
        output.WriteLine("NJsonSchema on the broken SPDX document:\n" + spdxErrors);
        Assert.Contains("downloadLocation", spdxErrors);
        Assert.Contains("NotInEnumeration", spdxErrors);

        using var broken = new TempDirectory("bsint-broken");
        var pythonCycloneDx = ValidateWithPython(SbomKind.CycloneDx, broken.WriteFile("bad.cdx.json", bom.ToJsonString()));
        var pythonSpdx = ValidateWithPython(SbomKind.Spdx, broken.WriteFile("bad.spdx.json", spdx.ToJsonString()));
        if (pythonCycloneDx is null || pythonSpdx is null)
        {
            output.WriteLine(PythonMissing);
            return;
        }
        Assert.True(pythonCycloneDx.ExitCode == 1, pythonCycloneDx.ToString());
        Assert.Contains("serialNumber", pythonCycloneDx.StandardOutput);
        Assert.Contains("Not-A-Real-License", pythonCycloneDx.StandardOutput);
        Assert.True(pythonSpdx.ExitCode == 1, pythonSpdx.ToString());
        Assert.Contains("'downloadLocation' is a required property", pythonSpdx.StandardOutput);
        Assert.Contains("'SHA-512' is not one of", pythonSpdx.StandardOutput);
    }

    // ---------------------------------------------------------------------------------------------------------------------
    // 2. What the SBOMs say, against the restore and the files

    [Fact]
    public void SbomPackages_AreExactlyTheAssetsFilesResolvedPackages_WithPurlSha512AndTheRealDependencyGraph()
    {
        var published = FrameworkDependent;
        // Every package has its .nupkg.sha512, nuspec and license: nothing for the SBOM writer to warn about (BS5001-BS5011).
        Assert.DoesNotContain("warning BS50", published.Result.Output);
        var target = RestoredTarget.Read(published.Project, Framework);
        var packages = target.Packages.ToArray();
        Assert.Equal(target.Libraries.Count, packages.Length); // no project references here
        // Transitive packages are resolved by the restore, not referenced by the project: they must be there too.
        Assert.Contains(packages, p => p.Key == "Polly.Core/8.5.2");
        Assert.Contains(packages, p => p.Key == "Serilog/3.1.1");
        Assert.DoesNotContain("Polly.Core", target.DirectNames);

        var spdx = published.Spdx;
        var spdxPackages = SpdxPackagesByPurl(spdx);
        Assert.Equal(packages.Select(p => p.Purl).Append(HelloPurl).Order(StringComparer.Ordinal), spdxPackages.Keys.Order(StringComparer.Ordinal));
        var bom = published.CycloneDx;
        var components = Libraries(bom);
        Assert.Equal(packages.Select(p => p.Purl).Order(StringComparer.Ordinal), components.Select(c => (string)c["bom-ref"]!).Order(StringComparer.Ordinal));

        foreach (var package in packages)
        {
            string sha512 = target.NupkgSha512Hex(package);
            Assert.Equal(128, sha512.Length);

            var spdxPackage = spdxPackages[package.Purl];
            Assert.Equal(package.Name, (string?)spdxPackage["name"]);
            Assert.Equal(package.Version, (string?)spdxPackage["versionInfo"]);
            Assert.Equal(sha512, Hash(spdxPackage["checksums"], "SHA512", "algorithm", "checksumValue"));

            var component = components.Single(c => (string?)c["bom-ref"] == package.Purl);
            Assert.Equal(package.Purl, (string?)component["bom-ref"]);
            Assert.Equal(package.Name, (string?)component["name"]);
            Assert.Equal(package.Version, (string?)component["version"]);
            Assert.Equal("library", (string?)component["type"]);
            Assert.Equal(sha512, Hash(component["hashes"], "SHA-512", "alg", "content"));
        }
        Assert.Equal("HelloSigned", (string?)bom["metadata"]!["component"]!["name"]);
        Assert.Equal(HelloPurl, (string?)bom["metadata"]!["component"]!["bom-ref"]);
        Assert.Equal("application", (string?)bom["metadata"]!["component"]!["type"]);

        // The graph: HelloSigned -> its direct references, Polly -> Polly.Core, Serilog.Sinks.Console -> Serilog; nothing else.
        var expectedEdges = target.ExpectedEdges(HelloPurl);
        Assert.Contains(("pkg:nuget/Polly@8.5.2", "pkg:nuget/Polly.Core@8.5.2"), expectedEdges);
        Assert.Contains(("pkg:nuget/Serilog.Sinks.Console@5.0.0", "pkg:nuget/Serilog@3.1.1"), expectedEdges);
        Assert.Equal(Sorted(target.ExpectedRuntimeEdges(HelloPurl)), Sorted(SpdxRelationships(spdx, "DEPENDS_ON")));
        Assert.Equal(Sorted(expectedEdges), Sorted(CycloneDxEdges(bom)));
        Assert.Contains(("SPDXRef-DOCUMENT", HelloPurl), SpdxRelationships(spdx, "DESCRIBES"));
        // BuildSigning itself runs in the build and ships nothing: a build dependency, excluded from what runs.
        string buildSigningPurl = $"pkg:nuget/BuildSigning@{product.Version}";
        Assert.Equal(Sorted([(buildSigningPurl, HelloPurl)]), Sorted(target.ExpectedBuildDependencies(HelloPurl)));
        Assert.Equal(Sorted(target.ExpectedBuildDependencies(HelloPurl)), Sorted(SpdxRelationships(spdx, "BUILD_DEPENDENCY_OF")));
        Assert.Equal("excluded", (string?)bom["components"]!.AsArray().Single(c => (string?)c!["purl"] == buildSigningPurl)!["scope"]);
        Assert.All(bom["components"]!.AsArray().Where(c => (string?)c!["purl"] != buildSigningPurl), c => Assert.Equal("required", (string?)c!["scope"]));
        // Every component has a dependencies[] entry, also the leaves (an empty dependsOn says "none", a missing one "unknown").
        Assert.Equal(bom["components"]!.AsArray().Select(c => (string)c!["bom-ref"]!).Append(HelloPurl).Order(StringComparer.Ordinal),
            bom["dependencies"]!.AsArray().Select(d => (string)d!["ref"]!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SbomFiles_AreThePublishedFiles_WithTheSha256AndSha1ThatCoreutilsComputes()
    {
        var published = FrameworkDependent;
        string[] files = published.Files;
        Assert.Contains("HelloSigned.dll", files);
        Assert.Contains("Polly.Core.dll", files);
        var sha256 = CoreutilsDigests("sha256sum", published.Output, files);
        var sha1 = CoreutilsDigests("sha1sum", published.Output, files);

        var spdx = published.Spdx;
        var spdxFiles = spdx["files"]!.AsArray().Select(f => f!.AsObject()).ToArray();
        Assert.Equal(files.Select(f => "./" + f), spdxFiles.Select(f => (string)f["fileName"]!).Order(StringComparer.Ordinal));
        foreach (var file in spdxFiles)
        {
            string name = ((string)file["fileName"]!)[2..];
            Assert.Equal(sha1[name], Hash(file["checksums"], "SHA1", "algorithm", "checksumValue"));
            Assert.Equal(sha256[name], Hash(file["checksums"], "SHA256", "algorithm", "checksumValue"));
        }
        Assert.Equal(spdxFiles.Select(f => (string)f["SPDXID"]!).Order(StringComparer.Ordinal),
            SpdxRelationships(spdx, "CONTAINS").Where(r => r.From == HelloPurl).Select(r => r.To).Order(StringComparer.Ordinal));
        // SPDX 2.3 §7.9 package verification code: SHA-1 over the sorted, concatenated SHA-1s of the package's files.
        string verificationCode = Hex(SHA1.HashData(Encoding.ASCII.GetBytes(string.Concat(sha1.Values.Order(StringComparer.Ordinal)))));
        Assert.Equal(verificationCode, (string?)SpdxPackagesByPurl(spdx)[HelloPurl]["packageVerificationCode"]!["packageVerificationCodeValue"]);

        var bomFiles = published.CycloneDx["metadata"]!["component"]!["components"]!.AsArray().Select(c => c!.AsObject()).ToArray();
        Assert.Equal(files, bomFiles.Select(c => (string)c["name"]!).Order(StringComparer.Ordinal));
        foreach (var file in bomFiles)
        {
            string name = (string)file["name"]!;
            Assert.Equal("file", (string?)file["type"]);
            Assert.Equal(sha1[name], Hash(file["hashes"], "SHA-1", "alg", "content"));
            Assert.Equal(sha256[name], Hash(file["hashes"], "SHA-256", "alg", "content"));
        }
    }

    [Fact]
    public void ProjectReference_IsAComponent_AndTheLibrarysPackagesAreInTheGraph()
    {
        var published = WithProjectReference;
        ValidSboms(published.Output, output);
        Assert.Contains("Lib.dll", published.Files);

        var target = RestoredTarget.Read(published.Project, Framework);
        var lib = target.ByName("Lib");
        Assert.Equal(("project", "2.0.0"), (lib.Type, lib.Version));
        const string rootPurl = "project:App@1.0.0";
        const string libPurl = "project:Lib@2.0.0";

        var spdx = published.Spdx;
        var spdxPackages = SpdxPackagesByPurl(spdx);
        Assert.Equal(target.Libraries.Select(l => l.Purl).Append(rootPurl).Order(StringComparer.Ordinal), spdxPackages.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Lib", (string?)spdxPackages[libPurl]["name"]);
        Assert.Equal("2.0.0", (string?)spdxPackages[libPurl]["versionInfo"]);
        Assert.Contains("../Lib/Lib.csproj", (string?)spdxPackages[libPurl]["comment"]);
        Assert.Null(spdxPackages[libPurl]["checksums"]); // built here, not downloaded: no package hash to record
        foreach (var package in target.Packages)
        {
            Assert.Equal(target.NupkgSha512Hex(package), Hash(spdxPackages[package.Purl]["checksums"], "SHA512", "algorithm", "checksumValue"));
        }

        var bom = published.CycloneDx;
        var libComponent = bom["components"]!.AsArray().Single(c => (string?)c!["bom-ref"] == libPurl)!;
        Assert.Equal("Lib", (string?)libComponent["name"]);
        Assert.Contains(libComponent["properties"]!.AsArray(), p => (string?)p!["name"] == "buildsigning:dotnet:projectReference" && (string?)p["value"] == "../Lib/Lib.csproj");
        Assert.Equal(target.Libraries.Select(l => l.Purl).Order(StringComparer.Ordinal),
            Libraries(bom).Select(c => (string)c["bom-ref"]!).Order(StringComparer.Ordinal));

        // App -> Lib -> Serilog.Sinks.Console -> Serilog: the library's packages reach the app through the project reference.
        var expectedEdges = target.ExpectedEdges(rootPurl);
        Assert.Contains((rootPurl, libPurl), expectedEdges);
        Assert.Contains((libPurl, "pkg:nuget/Serilog.Sinks.Console@5.0.0"), expectedEdges);
        Assert.Equal(Sorted(target.ExpectedRuntimeEdges(rootPurl)), Sorted(SpdxRelationships(spdx, "DEPENDS_ON")));
        Assert.Equal(Sorted(expectedEdges), Sorted(CycloneDxEdges(bom)));

        var verify = product.BuildSign("verify", published.Output, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    // ---------------------------------------------------------------------------------------------------------------------
    // 3. Self-contained

    [Fact]
    public void SelfContainedPublish_ListsTheRuntimePackAndEveryRestoredPackage_AndStaysSchemaValid()
    {
        var published = SelfContained;
        ValidSboms(published.Output, output);
        var (packId, packVersion) = ShippedRuntimePacks(published.Output).Single();
        Assert.Equal("Microsoft.NETCore.App.Runtime.linux-x64", packId);
        string packPurl = $"pkg:nuget/{packId}@{packVersion}";

        var target = RestoredTarget.Read(published.Project, Framework, Rid);
        Assert.Equal("net10.0/linux-x64", target.Key);
        var spdx = published.Spdx;
        var spdxPackages = SpdxPackagesByPurl(spdx);
        var bom = published.CycloneDx;
        var componentPurls = bom["components"]!.AsArray().Select(c => (string)c!["bom-ref"]!).ToHashSet();
        foreach (string purl in target.Packages.Select(p => p.Purl).Append(packPurl))
        {
            Assert.Contains(purl, spdxPackages.Keys);
            Assert.Contains(purl, componentPurls);
        }
        // The runtime pack is what a self-contained app ships: a direct dependency of the app.
        Assert.Contains((HelloPurl, packPurl), SpdxRelationships(spdx, "DEPENDS_ON"));
        Assert.Contains((HelloPurl, packPurl), CycloneDxEdges(bom));
        string packSha512File = Path.Combine(product.PackagesFolder, packId.ToLowerInvariant(), packVersion.ToLowerInvariant(),
            $"{packId.ToLowerInvariant()}.{packVersion.ToLowerInvariant()}.nupkg.sha512");
        if (File.Exists(packSha512File))
        {
            Assert.Equal(Hex(Convert.FromBase64String(File.ReadAllText(packSha512File).Trim())),
                Hash(spdxPackages[packPurl]["checksums"], "SHA512", "algorithm", "checksumValue"));
        }

        string[] files = published.Files;
        Assert.True(files.Length > 150, $"a self-contained publish has hundreds of files, found {files.Length}");
        Assert.Equal(files.Length, spdx["files"]!.AsArray().Count);
        Assert.Equal(files.Length, bom["metadata"]!["component"]!["components"]!.AsArray().Count);
        Assert.Contains(bom["metadata"]!["properties"]!.AsArray(), p => (string?)p!["name"] == "buildsigning:dotnet:runtimeIdentifier" && (string?)p["value"] == Rid);

        var external = published.Provenance["buildDefinition"]!["externalParameters"]!;
        Assert.Equal(Rid, (string?)external["runtimeIdentifier"]);
        Assert.Equal("true", (string?)external["properties"]!["SelfContained"]);

        var verify = product.BuildSign("verify", published.Output, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"Verified {files.Length} files", verify.StandardOutput);
    }

    [Fact]
    public void SelfContainedPublish_LinksEveryFileToThePackageItCameFrom_InBothFormats()
    {
        var published = SelfContained;
        var (packId, packVersion) = ShippedRuntimePacks(published.Output).Single();
        string packPurl = $"pkg:nuget/{packId}@{packVersion}";
        string packFolder = Path.Combine(product.PackagesFolder, packId.ToLowerInvariant(), packVersion.ToLowerInvariant());

        // SPDX: ./file EXPANDED_FROM_ARCHIVE <package> for what was copied out of a .nupkg; the root CONTAINS every file.
        var spdx = published.Spdx;
        var fileNames = spdx["files"]!.AsArray().ToDictionary(f => (string)f!["SPDXID"]!, f => ((string)f!["fileName"]!)[2..], StringComparer.Ordinal);
        var spdxOrigin = SpdxRelationships(spdx, "EXPANDED_FROM_ARCHIVE").ToDictionary(r => fileNames[r.From], r => r.To, StringComparer.Ordinal);
        Assert.Equal(fileNames.Count, SpdxRelationships(spdx, "CONTAINS").Count(r => r.From == HelloPurl && fileNames.ContainsKey(r.To)));
        Assert.Equal(packPurl, spdxOrigin["System.Private.CoreLib.dll"]);
        Assert.Equal(packPurl, spdxOrigin["libcoreclr.so"]);
        Assert.Equal("pkg:nuget/Newtonsoft.Json@13.0.3", spdxOrigin["Newtonsoft.Json.dll"]);
        Assert.Equal("pkg:nuget/Serilog@3.1.1", spdxOrigin["Serilog.dll"]);
        foreach (string own in new[] { "HelloSigned.dll", "HelloSigned", "HelloSigned.deps.json", "HelloSigned.runtimeconfig.json" })
        {
            Assert.False(spdxOrigin.ContainsKey(own), $"{own} is the app's own file");
        }
        int fromPack = spdxOrigin.Values.Count(v => v == packPurl);
        Assert.True(fromPack > 150, $"most files of a self-contained publish come from the runtime pack; {fromPack} linked");

        // Each file linked to the runtime pack is, byte for byte (sha256sum), a file of that pack's runtimes/<rid>/ folder.
        var packFiles = Directory.EnumerateFiles(Path.Combine(packFolder, "runtimes", Rid), "*", SearchOption.AllDirectories)
            .GroupBy(Path.GetFileName).ToDictionary(g => g.Key!, g => g.ToArray(), StringComparer.Ordinal);
        var linked = spdxOrigin.Where(p => p.Value == packPurl).Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        var publishedDigests = CoreutilsDigests("sha256sum", published.Output, linked);
        foreach (string file in linked)
        {
            Assert.True(packFiles.TryGetValue(file, out var candidates), $"{file} is not in {packFolder}");
            Assert.Contains(publishedDigests[file], candidates.Select(c => Hex(SHA256.HashData(File.ReadAllBytes(c)))));
        }

        // CycloneDX: every file is an evidence occurrence of exactly one component (the app's own files of the root), as in SPDX.
        var bom = published.CycloneDx;
        var occurrences = bom["components"]!.AsArray().Append(bom["metadata"]!["component"])
            .SelectMany(c => (c!["evidence"]?["occurrences"]?.AsArray() ?? []).Select(o => ((string)o!["location"]!, (string)c["bom-ref"]!)))
            .ToArray();
        Assert.Equal(published.Files, occurrences.Select(o => o.Item1).Order(StringComparer.Ordinal));
        var bomOrigin = occurrences.Where(o => o.Item2 != HelloPurl).ToDictionary(o => o.Item1, o => o.Item2, StringComparer.Ordinal);
        Assert.Equal(spdxOrigin.OrderBy(p => p.Key, StringComparer.Ordinal), bomOrigin.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Contains(("HelloSigned.dll", HelloPurl), occurrences);
    }

    [Fact]
    public void SelfContainedSbom_ListsExactlyTheRuntimePacksThePublishShips()
    {
        var published = SelfContained;
        var target = RestoredTarget.Read(published.Project, Framework, Rid);
        var expected = target.Packages.Select(p => p.Purl)
            .Concat(ShippedRuntimePacks(published.Output).Select(p => $"pkg:nuget/{p.Id}@{p.Version}"))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, published.CycloneDx["components"]!.AsArray().Select(c => (string)c!["bom-ref"]!).Order(StringComparer.Ordinal));
        Assert.Equal(expected.Append(HelloPurl).Order(StringComparer.Ordinal), SpdxPackagesByPurl(published.Spdx).Keys.Order(StringComparer.Ordinal));
    }

    // ---------------------------------------------------------------------------------------------------------------------
    // 4. Signatures

    [Fact]
    public void EveryAttestation_VerifiesWithBuildsignAndOpenssl_AndAttestsExactlyTheSignedFiles()
    {
        var published = FrameworkDependent;
        string[] files = published.Files;
        Assert.Equal(
            new[] { "files.sha256", "files.sigstore.json", "provenance.sigstore.json", "sbom.cdx.json", "sbom.cdx.sigstore.json", "sbom.spdx.json", "sbom.spdx.sigstore.json" },
            Directory.EnumerateFiles(published.Attestations).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var fileStatement = published.Statement("files.sigstore.json");
        var fileSubjects = fileStatement["subject"]!.ToJsonString();
        Assert.Equal(files, fileStatement["subject"]!.AsArray().Select(s => (string)s!["name"]!));
        var expectedTypes = new Dictionary<string, string>
        {
            ["sbom.spdx.sigstore.json"] = "https://spdx.dev/Document/v2.3",
            ["sbom.cdx.sigstore.json"] = "https://cyclonedx.org/bom",
            ["provenance.sigstore.json"] = "https://slsa.dev/provenance/v1",
        };
        using var work = new TempDirectory("bsint-openssl");
        foreach (string bundle in AttestationBundles.Append("files.sigstore.json"))
        {
            string path = published.AttestationFile(bundle);
            var openssl = Bundles.VerifyWithOpenSsl(path, product.DevelopmentPublicKey, work.Path);
            Assert.True(openssl.ExitCode == 0 && openssl.StandardOutput.Contains("Verified OK"), $"{bundle}:\n{openssl}");
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", json.RootElement.GetProperty("mediaType").GetString());
            Assert.Equal("application/vnd.in-toto+json", json.RootElement.GetProperty("dsseEnvelope").GetProperty("payloadType").GetString());
            if (bundle == "files.sigstore.json") continue;

            var statement = published.Statement(bundle);
            // Exactly the four standard fields: strict verifiers reject unknown top-level fields.
            Assert.Equal(new[] { "_type", "predicate", "predicateType", "subject" }, statement.Select(p => p.Key).Order(StringComparer.Ordinal));
            Assert.Equal("https://in-toto.io/Statement/v1", (string?)statement["_type"]);
            Assert.Equal(expectedTypes[bundle], (string?)statement["predicateType"]);
            // The files, and the signed manifest they add up to, which binds the attestation to this signing.
            var subjects = statement["subject"]!.AsArray();
            Assert.Equal(fileSubjects, new JsonArray(subjects.Take(subjects.Count - 1).Select(n => n!.DeepClone()).ToArray()).ToJsonString());
            Assert.Equal(".buildsigning/files.sha256", (string?)subjects[^1]!["name"]);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(published.AttestationFile("files.sha256")))), (string?)subjects[^1]!["digest"]!["sha256"]);
        }
        // The documents beside the bundles are exactly the signed predicates.
        Assert.True(JsonNode.DeepEquals(published.Spdx, published.Statement("sbom.spdx.sigstore.json")["predicate"]));
        Assert.True(JsonNode.DeepEquals(published.CycloneDx, published.Statement("sbom.cdx.sigstore.json")["predicate"]));

        var verify = product.BuildSign("verify", published.Output, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var packages = RestoredTarget.Read(published.Project, Framework).Packages.Count();
        // The shared framework(s) the framework-dependent app runs on, as its runtimeconfig.json names them.
        using var runtimeConfig = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(published.Output, "HelloSigned.runtimeconfig.json")));
        var options = runtimeConfig.RootElement.GetProperty("runtimeOptions");
        int frameworks = options.TryGetProperty("frameworks", out var list) ? list.GetArrayLength() : options.TryGetProperty("framework", out _) ? 1 : 0;
        Assert.Equal(1, frameworks);
        Assert.Contains($"Verified {files.Length} files", verify.StandardOutput);
        // SPDX packages: the app, every restored package, the shared framework and the SDK as build tool.
        Assert.Contains($"  sbom.spdx.sigstore.json: SPDX 2.3 SBOM: {packages + frameworks + 2} packages, {files.Length} files; licenses: ", verify.StandardOutput);
        Assert.Contains($"  sbom.cdx.sigstore.json: CycloneDX 1.6 SBOM: {packages + frameworks} components, {packages + frameworks + 1} dependency entries; licenses: ", verify.StandardOutput);
        Assert.Contains($"  provenance.sigstore.json: SLSA provenance v1: builder {LocalBuilder}, build type https://buildsigning.dev/buildtypes/dotnet/v1, "
            + $"{packages} resolved dependencies (signature verified)", verify.StandardOutput);
        Assert.Equal(3, verify.StandardOutput.Split('\n').Count(l => l.EndsWith("(signature verified)", StringComparison.Ordinal)));
        // Newtonsoft.Json and Serilog are MIT, Polly BSD-3-Clause, Serilog Apache-2.0: the summary names the licenses.
        Assert.Contains("Apache-2.0", verify.StandardOutput);
        Assert.Contains("MIT", verify.StandardOutput);

        var inspect = product.BuildSign("inspect", published.Output);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains($"SPDX 2.3 SBOM: {packages + frameworks + 2} packages", inspect.StandardOutput);
        Assert.Contains($"CycloneDX 1.6 SBOM: {packages + frameworks} components", inspect.StandardOutput);
        Assert.Contains($"SLSA provenance v1: builder {LocalBuilder}", inspect.StandardOutput);
        Assert.Contains("licenses: Apache-2.0", inspect.StandardOutput);
    }

    // ---------------------------------------------------------------------------------------------------------------------
    // 5. Reproducible, incremental

    [Fact]
    public void WithSourceDateEpoch_TwoCleanPublishes_WriteIdenticalSbomsAndStatements()
    {
        string project = product.CopySample("attest-repro");
        string publish = Path.Combine(project, "out");
        var epoch = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = SourceDateEpoch };
        string[] documents = ["files.sha256", "sbom.spdx.json", "sbom.cdx.json"];
        string[] bundles = [.. AttestationBundles, "files.sigstore.json"];

        Publish(project, publish, epoch);
        var firstDocuments = documents.ToDictionary(d => d, d => File.ReadAllBytes(Path.Combine(publish, ".buildsigning", d)));
        var firstBundles = bundles.ToDictionary(b => b, b => Envelope(Path.Combine(publish, ".buildsigning", b)));

        foreach (string folder in new[] { "bin", "obj", "out" }) Directory.Delete(Path.Combine(project, folder), recursive: true);
        Publish(project, publish, epoch);

        foreach (string document in documents)
        {
            Assert.True(firstDocuments[document].AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(publish, ".buildsigning", document))),
                $"{document} differs between two clean publishes with SOURCE_DATE_EPOCH set");
        }
        foreach (string bundle in bundles)
        {
            var (payload, signature) = Envelope(Path.Combine(publish, ".buildsigning", bundle));
            Assert.True(firstBundles[bundle].Payload.AsSpan().SequenceEqual(payload), $"the statement in {bundle} differs between two clean publishes");
            // A fresh (randomized) ECDSA signature: the second publish really signed again.
            Assert.NotEqual(firstBundles[bundle].Signature, signature);
        }

        var spdx = ReadJson(Path.Combine(publish, ".buildsigning", "sbom.spdx.json"));
        Assert.Equal(SourceDateEpochTime, (string?)spdx["creationInfo"]!["created"]);
        Assert.Equal(SourceDateEpochTime, (string?)ReadJson(Path.Combine(publish, ".buildsigning", "sbom.cdx.json"))["metadata"]!["timestamp"]);
        var metadata = Bundles.ReadStatement(Path.Combine(publish, ".buildsigning", "provenance.sigstore.json"))
            .GetProperty("predicate").GetProperty("runDetails").GetProperty("metadata");
        Assert.Equal(SourceDateEpochTime, metadata.GetProperty("startedOn").GetString());
        Assert.Equal(SourceDateEpochTime, metadata.GetProperty("finishedOn").GetString());
        Assert.False(metadata.TryGetProperty("invocationId", out _), "a local reproducible build has no run id to record");
    }

    [Fact]
    public void UnchangedSecondPublish_WithoutSourceDateEpoch_RewritesNoBundleAndNoDocument()
    {
        var published = FrameworkDependent;
        var before = Directory.EnumerateFiles(published.Attestations).Order(StringComparer.Ordinal)
            .ToDictionary(f => f, f => (Bytes: File.ReadAllBytes(f), Time: File.GetLastWriteTimeUtc(f)));
        Assert.Equal(7, before.Count);
        // The SBOM's creation time has whole seconds: make sure the second publish runs in a later second.
        Thread.Sleep(1100);

        var second = Publish(published.Project, published.Output);
        Assert.DoesNotContain("bundle(s) written", second.Output);
        Assert.Equal(before.Keys, Directory.EnumerateFiles(published.Attestations).Order(StringComparer.Ordinal));
        foreach (var (path, (bytes, time)) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(File.ReadAllBytes(path)), $"{Path.GetFileName(path)} was rewritten");
            Assert.Equal(time, File.GetLastWriteTimeUtc(path));
        }
    }

    // ---------------------------------------------------------------------------------------------------------------------
    // 6. Provenance

    [Fact]
    public void Provenance_RecordsTheBuildDefinition_TheSdk_AndEveryPackageWithItsSha512()
    {
        var published = FrameworkDependent;
        var provenance = published.Provenance;
        var definition = provenance["buildDefinition"]!;
        Assert.Equal("https://buildsigning.dev/buildtypes/dotnet/v1", (string?)definition["buildType"]);
        var external = definition["externalParameters"]!;
        Assert.Equal("publish", (string?)external["command"]);
        Assert.EndsWith("HelloSigned.csproj", (string?)external["project"]);
        Assert.Equal("Release", (string?)external["configuration"]);
        Assert.Equal(Framework, (string?)external["targetFramework"]);
        Assert.Null(external["runtimeIdentifier"]); // framework-dependent, portable
        Assert.Equal("1.2.0", (string?)external["properties"]!["Version"]);
        Assert.Null(external["source"]); // not in a git repository

        string sdkVersion = PackagedBuildSigning.Require(product.Dotnet(published.Project, "--version")).StandardOutput.Trim();
        Assert.Equal(sdkVersion, (string?)definition["internalParameters"]!["sdkVersion"]);

        var target = RestoredTarget.Read(published.Project, Framework);
        var dependencies = definition["resolvedDependencies"]!.AsArray().Select(d => d!.AsObject()).ToArray();
        Assert.Equal(target.Packages.Select(p => p.Purl).Order(StringComparer.Ordinal), dependencies.Select(d => (string)d["uri"]!).Order(StringComparer.Ordinal));
        foreach (var package in target.Packages)
        {
            var dependency = dependencies.Single(d => (string?)d["uri"] == package.Purl);
            Assert.Equal(package.Name, (string?)dependency["name"]);
            Assert.Equal(target.NupkgSha512Hex(package), (string?)dependency["digest"]!["sha512"]);
        }

        var run = provenance["runDetails"]!;
        Assert.Equal(LocalBuilder, (string?)run["builder"]!["id"]);
        Assert.StartsWith("urn:uuid:", (string?)run["metadata"]!["invocationId"]);
        var started = DateTimeOffset.Parse((string)run["metadata"]!["startedOn"]!, CultureInfo.InvariantCulture);
        var finished = DateTimeOffset.Parse((string)run["metadata"]!["finishedOn"]!, CultureInfo.InvariantCulture);
        Assert.True(started <= finished, $"startedOn {started} is after finishedOn {finished}");
        Assert.True(DateTimeOffset.UtcNow - finished < TimeSpan.FromHours(1), $"finishedOn {finished} is not the time of this publish");
    }

    [Fact]
    public void Provenance_InAGitRepository_RecordsTheCommitAndRepository_AndTheConfiguredBuilderId()
    {
        var published = WithProjectReference;
        string repository = Path.GetDirectoryName(published.Project)!;
        string commit = Git(repository, "rev-parse", "HEAD").StandardOutput.Trim();
        Assert.Matches("^[0-9a-f]{40}$", commit);

        var provenance = published.Provenance;
        var definition = provenance["buildDefinition"]!;
        var external = definition["externalParameters"]!;
        Assert.Equal("App/App.csproj", (string?)external["project"]); // relative to the repository
        Assert.Equal("https://github.com/example/attest-refs.git", (string?)external["source"]!["repository"]);
        Assert.Equal("refs/heads/main", (string?)external["source"]!["ref"]);
        var source = definition["resolvedDependencies"]!.AsArray().Single(d => d!["digest"]!["gitCommit"] is not null)!;
        Assert.Equal(commit, (string?)source["digest"]!["gitCommit"]);
        Assert.Equal("git+https://github.com/example/attest-refs.git@refs/heads/main", (string?)source["uri"]);
        // Project references are built, not resolved: only packages (and the commit) are resolved dependencies.
        var target = RestoredTarget.Read(published.Project, Framework);
        Assert.Equal(target.Packages.Select(p => p.Purl).Order(StringComparer.Ordinal),
            definition["resolvedDependencies"]!.AsArray().Where(d => d!["digest"]!["sha512"] is not null).Select(d => (string)d!["uri"]!).Order(StringComparer.Ordinal));

        Assert.Equal("https://ci.example/builder", (string?)provenance["runDetails"]!["builder"]!["id"]);
        var verify = product.BuildSign("verify", published.Output, "--key", product.DevelopmentPublicKey);
        Assert.Contains("SLSA provenance v1: builder https://ci.example/builder", verify.StandardOutput);
    }

    [Fact]
    public void Sboms_InAGitRepository_RecordTheProjectPathRelativeToTheRepository()
    {
        var published = WithProjectReference;
        Assert.Contains(published.CycloneDx["metadata"]!["properties"]!.AsArray(),
            p => (string?)p!["name"] == "buildsigning:dotnet:projectPath" && (string?)p["value"] == "App/App.csproj");
        Assert.DoesNotContain(product.Root, File.ReadAllText(published.AttestationFile("sbom.spdx.json")));
        Assert.DoesNotContain(product.Root, File.ReadAllText(published.AttestationFile("sbom.cdx.json")));
    }

    [Fact]
    public void GitHubActionsEnvironment_IsRecognizedAsTheBuilder_WithTheRunAsInvocationId()
    {
        var project = WithProjectReference.Project;
        string publish = Path.Combine(Path.GetDirectoryName(project)!, "out-github");
        var github = new Dictionary<string, string?>
        {
            ["GITHUB_ACTIONS"] = "true",
            ["GITHUB_SERVER_URL"] = "https://github.com",
            ["GITHUB_REPOSITORY"] = "example/attest-refs",
            ["GITHUB_RUN_ID"] = "4242",
            ["GITHUB_RUN_ATTEMPT"] = "2",
            ["RUNNER_ENVIRONMENT"] = "github-hosted",
        };
        // A CI environment requires a real key unless told otherwise (KeyConfigurationTests covers the refusal).
        Publish(project, publish, github, "-p:BuildSigningRequireSigningKey=false");

        var run = Bundles.ReadStatement(Path.Combine(publish, ".buildsigning", "provenance.sigstore.json")).GetProperty("predicate").GetProperty("runDetails");
        Assert.Equal("https://github.com/actions/runner/github-hosted", run.GetProperty("builder").GetProperty("id").GetString());
        Assert.Equal("https://github.com/example/attest-refs/actions/runs/4242/attempts/2", run.GetProperty("metadata").GetProperty("invocationId").GetString());
        var verify = product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("SLSA provenance v1: builder https://github.com/actions/runner/github-hosted", verify.StandardOutput);
    }

    // ---------------------------------------------------------------------------------------------------------------------
    // 7. Settings and bad input

    [Fact]
    public void UnknownSbomFormat_FailsThePublishWithBS5013_AndSignsNothing()
    {
        string project = FrameworkDependent.Project;
        string publish = Path.Combine(project, "out-bogus");
        var result = product.Dotnet(project, LocalBuild, "publish", "-c", "Release", "-o", publish, "-p:BuildSigningSbomFormats=bogus");
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("error BS5013", result.Output);
        Assert.Contains("'bogus'", result.Output);
        Assert.False(File.Exists(Path.Combine(publish, ".buildsigning", "files.sigstore.json")));
    }

    [Fact]
    public void SbomFormatsNone_AndProvenanceOff_WriteOnlyTheFileSignature_AndRemoveEarlierAttestations()
    {
        string project = FrameworkDependent.Project;

        string noProvenance = Path.Combine(project, "out-no-provenance");
        Publish(project, noProvenance, null, "-p:BuildSigningGenerateProvenance=false");
        Assert.Equal(new[] { "files.sha256", "files.sigstore.json", "sbom.cdx.json", "sbom.cdx.sigstore.json", "sbom.spdx.json", "sbom.spdx.sigstore.json" },
            AttestationFiles(noProvenance));

        string publish = Path.Combine(project, "out-none");
        Publish(project, publish, null, "-p:BuildSigningSbomFormats=none");
        Assert.Equal(new[] { "files.sha256", "files.sigstore.json", "provenance.sigstore.json" }, AttestationFiles(publish));

        // Turning provenance off too, in the same folder: the earlier provenance bundle goes away.
        Publish(project, publish, null, "-p:BuildSigningSbomFormats=none", "-p:BuildSigningGenerateProvenance=false");
        Assert.Equal(new[] { "files.sha256", "files.sigstore.json" }, AttestationFiles(publish));
        var verify = product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.DoesNotContain("(signature verified)", verify.StandardOutput);
    }

    [Fact]
    public void TamperedSbomDocument_FailsVerificationWithBS3011_AndAnAttestationFromAnotherBuildWithBS3015()
    {
        var published = FrameworkDependent;
        using var copy = new TempDirectory("bsint-tamper");
        CopyDirectory(published.Output, copy.Path);
        string spdxPath = Path.Combine(copy.Path, ".buildsigning", "sbom.spdx.json");
        byte[] original = File.ReadAllBytes(spdxPath);
        Assert.Equal(0, product.BuildSign("verify", copy.Path, "--key", product.DevelopmentPublicKey).ExitCode);

        // Claim an older Newtonsoft.Json than the one that was built with.
        var spdx = Parse(Encoding.UTF8.GetString(original));
        SpdxPackagesByPurl(spdx)["pkg:nuget/Newtonsoft.Json@13.0.3"]["versionInfo"] = "12.0.1";
        File.WriteAllText(spdxPath, spdx.ToJsonString());
        var verify = product.BuildSign("verify", copy.Path, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Contains("BS3011", verify.Output);
        Assert.Contains("sbom.spdx.json", verify.Output);

        File.WriteAllBytes(spdxPath, original);
        Assert.Equal(0, product.BuildSign("verify", copy.Path, "--key", product.DevelopmentPublicKey).ExitCode);

        // A validly signed SBOM of another build (same key) does not attest these files.
        foreach (string name in new[] { "sbom.cdx.json", "sbom.cdx.sigstore.json" })
        {
            File.Copy(WithProjectReference.AttestationFile(name), Path.Combine(copy.Path, ".buildsigning", name), overwrite: true);
        }
        verify = product.BuildSign("verify", copy.Path, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Contains("BS3015", verify.Output);
    }

    // ---------------------------------------------------------------------------------------------------------------------

    private ProcessResult Publish(string project, string publish, IDictionary<string, string?>? environment = null, params string[] extra)
    {
        var merged = new Dictionary<string, string?>(LocalBuild);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) merged[name] = value;
        var result = product.Dotnet(project, merged, ["publish", "-c", "Release", "-o", publish, .. extra]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static ProcessResult Git(string directory, params string[] arguments)
    {
        var result = ProcessRunner.Run("git", ["-c", "user.name=BuildSigning Tests", "-c", "user.email=tests@example.com", "-c", "commit.gpgsign=false", .. arguments],
            directory, new Dictionary<string, string?> { ["GIT_CONFIG_NOSYSTEM"] = "1", ["GIT_CONFIG_GLOBAL"] = "/dev/null" });
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static void Write(string root, string relativePath, string content)
    {
        string path = Path.Combine(root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static void CopyDirectory(string source, string destination)
    {
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string[] AttestationFiles(string publish) =>
        Directory.EnumerateFiles(Path.Combine(publish, ".buildsigning")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();

    private static (byte[] Payload, string Signature) Envelope(string bundlePath)
    {
        using var bundle = JsonDocument.Parse(File.ReadAllBytes(bundlePath));
        var envelope = bundle.RootElement.GetProperty("dsseEnvelope");
        return (Convert.FromBase64String(envelope.GetProperty("payload").GetString()!), envelope.GetProperty("signatures")[0].GetProperty("sig").GetString()!);
    }

    /// <summary>The runtime packs a self-contained publish really ships, as its deps.json names them ("runtimepack.&lt;id&gt;/&lt;version&gt;").</summary>
    private static IReadOnlyList<(string Id, string Version)> ShippedRuntimePacks(string publish)
    {
        using var deps = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(publish, "HelloSigned.deps.json")));
        return deps.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(l => l.Name.StartsWith("runtimepack.", StringComparison.Ordinal))
            .Select(l => l.Name["runtimepack.".Length..])
            .Select(n => (n[..n.IndexOf('/')], n[(n.IndexOf('/') + 1)..]))
            .ToArray();
    }

    /// <summary>The BOM's packages and project references (not the shared frameworks a framework-dependent app needs).</summary>
    private static JsonObject[] Libraries(JsonObject bom) =>
        bom["components"]!.AsArray().Select(c => c!.AsObject()).Where(c => (string?)c["type"] == "library").ToArray();

    private static string[] Sorted(IEnumerable<(string From, string To)> edges) =>
        edges.Select(e => $"{e.From} -> {e.To}").Order(StringComparer.Ordinal).ToArray();
}
