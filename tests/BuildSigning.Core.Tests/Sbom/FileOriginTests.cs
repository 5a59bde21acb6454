using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Assets;
using BuildSigning.Core.Packages;
using BuildSigning.Core.Sbom;
using BuildSigning.TestSupport;
using static BuildSigning.Core.Tests.Sbom.SbomAssertions;

namespace BuildSigning.Core.Tests.Sbom;

/// <summary>Published files linked to the package they came from (issue 11, point 5), and a package's own file inventory (point 4).</summary>
public sealed class FileOriginTests
{
    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning disable CA5350
    private static string Sha1(string text) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5350
    private static SbomFile File(string path) => new(path, Sha256(path), Sha1(path));

    private static SbomInput Input(IReadOnlyList<SbomFile> files, bool isPackage = false, IReadOnlyList<string>? unlisted = null) => new()
    {
        ProjectName = "App",
        ProjectVersion = "1.0.0",
        TargetFramework = "net8.0",
        RuntimeIdentifier = "linux-x64",
        SdkVersion = "10.0.100",
        IsApplication = true,
        IsPackage = isPackage,
        Created = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
        ToolVersion = "1.0.0",
        Files = files,
        UnlistedEntries = unlisted,
    };

    /// <summary>A net8.0/linux-x64 restore: Lib (runtime, native and resource assets), Meta (build/*.props only) and a project reference.</summary>
    internal static string WriteAssets(TempDirectory root)
    {
        string packages = root.Combine("packages") + "/";
        foreach (var (id, version) in new[] { ("Lib", "1.0.0"), ("Meta", "2.0.0") })
        {
            string dir = Path.Combine(packages, id.ToLowerInvariant(), version);
            Directory.CreateDirectory(dir);
            System.IO.File.WriteAllText(Path.Combine(dir, id.ToLowerInvariant() + ".nuspec"), FakeRestore.DefaultNuspec(id, version));
            System.IO.File.WriteAllText(Path.Combine(dir, $"{id.ToLowerInvariant()}.{version}.nupkg.sha512"), FakeRestore.Sha512Of(id, version));
        }
        string assets = root.Combine("obj", "project.assets.json");
        Directory.CreateDirectory(Path.GetDirectoryName(assets)!);
        System.IO.File.WriteAllText(assets, $$"""
            {
              "version": 3,
              "targets": {
                "net8.0": {},
                "net8.0/linux-x64": {
                  "Lib/1.0.0": {
                    "type": "package",
                    "runtime": { "lib/net8.0/Lib.dll": {}, "lib/net8.0/_._": {} },
                    "native": { "runtimes/linux-x64/native/liblib.so": {} },
                    "resource": { "lib/net8.0/de/Lib.resources.dll": { "locale": "de" } }
                  },
                  "Meta/2.0.0": { "type": "package", "dependencies": { "Lib": "1.0.0" }, "build": { "build/Meta.props": {} } },
                  "Ref/1.0.0": { "type": "project", "runtime": { "bin/placeholder/Ref.dll": {} } }
                }
              },
              "libraries": {
                "Lib/1.0.0": { "type": "package", "path": "lib/1.0.0", "sha512": "x" },
                "Meta/2.0.0": { "type": "package", "path": "meta/2.0.0", "sha512": "x" },
                "Ref/1.0.0": { "type": "project", "path": "../Ref/Ref.csproj", "msbuildProject": "../Ref/Ref.csproj" }
              },
              "projectFileDependencyGroups": { "net8.0": [ "Meta >= 2.0.0", "Ref >= 1.0.0" ] },
              "packageFolders": { "{{packages}}": {} },
              "project": { "version": "1.0.0", "frameworks": { "net8.0": { "targetAlias": "net8.0" } } }
            }
            """);
        return assets;
    }

    [Fact]
    public void EachPublishedFile_IsLinkedToThePackageOrRuntimePackItCameFrom_AndTheAppsOwnFilesToTheRoot()
    {
        using var root = new TempDirectory("bs-origins");
        string assets = WriteAssets(root);
        var pack = new RuntimePackReference("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.0")
        {
            Files = [new AssetsRuntimeFile("/packs/runtime/runtimes/linux-x64/native/System.Private.CoreLib.dll", "System.Private.CoreLib.dll")],
        };
        var files = new[] { "App.dll", "Lib.dll", "liblib.so", "de/Lib.resources.dll", "Ref.dll", "System.Private.CoreLib.dll", "_._" }.Select(File).ToArray();
        var input = Input(files);
        var documents = SbomDocuments.Generate(SbomModel.FromAssetsFile(assets, "net8.0", "linux-x64", [pack]), input);
        ValidSpdx(documents.Spdx);
        ValidCycloneDx(documents.CycloneDx);

        var spdx = Parse(documents.Spdx);
        var names = spdx["files"]!.AsArray().ToDictionary(f => (string)f!["SPDXID"]!, f => ((string)f!["fileName"]!)[2..]);
        var expanded = SpdxRelationships(spdx, "EXPANDED_FROM_ARCHIVE").ToDictionary(r => names[r.From], r => r.To);
        string lib = SpdxIdByPurl(spdx, "pkg:nuget/Lib@1.0.0");
        Assert.Equal(lib, expanded["Lib.dll"]);
        Assert.Equal(lib, expanded["liblib.so"]);
        Assert.Equal(lib, expanded["de/Lib.resources.dll"]);
        Assert.Equal(SpdxIdByPurl(spdx, "pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.0"), expanded["System.Private.CoreLib.dll"]);
        Assert.Equal(4, expanded.Count);
        var generated = SpdxRelationships(spdx, "GENERATED_FROM").Single();
        Assert.Equal("Ref.dll", names[generated.From]);
        Assert.StartsWith("SPDXRef-Project-Ref", generated.To);
        Assert.Equal(files.Length, SpdxRelationships(spdx, "CONTAINS").Count(r => r.From == "SPDXRef-RootPackage"));

        var bom = Parse(documents.CycloneDx);
        string[] Occurrences(JsonNode? component) => component?["evidence"]?["occurrences"]?.AsArray().Select(o => (string)o!["location"]!).ToArray() ?? [];
        var components = bom["components"]!.AsArray().ToDictionary(c => (string)c!["bom-ref"]!, c => c);
        Assert.Equal(["Lib.dll", "de/Lib.resources.dll", "liblib.so"], Occurrences(components["pkg:nuget/Lib@1.0.0"]).Order(StringComparer.Ordinal));
        Assert.Equal(["System.Private.CoreLib.dll"], Occurrences(components["pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.0"]));
        Assert.Equal(["Ref.dll"], Occurrences(components["project:Ref@1.0.0"]));
        Assert.Empty(Occurrences(components["pkg:nuget/Meta@2.0.0"]));
        Assert.Equal(["App.dll", "_._"], Occurrences(bom["metadata"]!["component"]));
        // The metapackage brings in Lib, whose assets are published: it is not build-only.
        Assert.Equal("required", (string?)components["pkg:nuget/Meta@2.0.0"]!["scope"]);
    }

    [Fact]
    public void APathTwoPackagesCouldProvide_GoesToThePackageWhoseAssetHasThePublishedBytes()
    {
        using var root = new TempDirectory("bs-origins-tie");
        string assets = WriteAssets(root);
        string older = root.Combine("pack-old.dll"), newer = root.Combine("pack-new.dll");
        System.IO.File.WriteAllText(older, "old");
        System.IO.File.WriteAllText(newer, "Lib.dll");
        var first = new RuntimePackReference("A.Runtime", "1.0.0") { Files = [new AssetsRuntimeFile(older, "Lib.dll")] };
        var second = new RuntimePackReference("B.Runtime", "1.0.0") { Files = [new AssetsRuntimeFile(newer, "Lib.dll")] };
        var input = Input([File("Lib.dll")]);
        var bom = Parse(CycloneDxWriter.Write(SbomModel.FromAssetsFile(assets, "net8.0", "linux-x64", [first, second]), input));
        var holder = bom["components"]!.AsArray().Single(c => c!["evidence"] is not null)!;
        Assert.Equal("pkg:nuget/B.Runtime@1.0.0", (string?)holder["bom-ref"]);
    }

    [Fact]
    public void APacksSbom_ListsItsInventory_LinksNothing_AndSaysWhatItCannotList()
    {
        using var root = new TempDirectory("bs-inventory");
        string assets = WriteAssets(root);
        var files = new[] { "lib/net8.0/App.dll", "App.nuspec", "[Content_Types].xml" }.Select(File).ToArray();
        var input = Input(files, isPackage: true, unlisted: ["buildsigning/sbom.net8.0.spdx.json", "buildsigning/sbom.net8.0.cdx.json"]);
        var documents = SbomDocuments.Generate(SbomModel.FromAssetsFile(assets, "net8.0", "linux-x64"), input);
        ValidSpdx(documents.Spdx);
        ValidCycloneDx(documents.CycloneDx);
        var spdx = Parse(documents.Spdx);
        Assert.Empty(SpdxRelationships(spdx, "EXPANDED_FROM_ARCHIVE"));
        var rootPackage = spdx["packages"]!.AsArray().Single(p => (string?)p!["SPDXID"] == "SPDXRef-RootPackage")!;
        Assert.Equal(["./buildsigning/sbom.net8.0.cdx.json", "./buildsigning/sbom.net8.0.spdx.json"],
            rootPackage["packageVerificationCode"]!["packageVerificationCodeExcludedFiles"]!.AsArray().Select(e => (string)e!));
        Assert.Contains("cannot contain its own digest", (string?)spdx["comment"]);
        var bom = Parse(documents.CycloneDx);
        Assert.Contains("cannot contain its own digest", (string?)bom["annotations"]![0]!["text"]);
        Assert.Equal("NOASSERTION", (string?)rootPackage["licenseDeclared"]);

        // A packed licence file is the root's licence: a LicenseRef with the text, and a CycloneDX licence name with the text.
        var licensed = SbomDocuments.Generate(SbomModel.FromAssetsFile(assets, "net8.0", "linux-x64"), input with { LicenseFile = "LICENSE.txt", LicenseFileText = "Terms.\n" });
        ValidSpdx(licensed.Spdx);
        ValidCycloneDx(licensed.CycloneDx);
        var licensedSpdx = Parse(licensed.Spdx);
        string reference = (string)licensedSpdx["packages"]!.AsArray().Single(p => (string?)p!["SPDXID"] == "SPDXRef-RootPackage")!["licenseDeclared"]!;
        Assert.StartsWith("LicenseRef-", reference);
        Assert.Equal("Terms.\n", (string?)licensedSpdx["hasExtractedLicensingInfos"]!.AsArray().Single(l => (string?)l!["licenseId"] == reference)!["extractedText"]);
        Assert.Equal("Terms.\n", (string?)Parse(licensed.CycloneDx)["metadata"]!["component"]!["licenses"]![0]!["license"]!["text"]!["content"]);
        // An expression wins over the file.
        var both = Parse(SpdxWriter.Write(SbomModel.FromAssetsFile(assets, "net8.0", "linux-x64"), input with { LicenseFile = "LICENSE.txt", LicenseExpression = "MIT" }));
        Assert.Equal("MIT", (string?)both["packages"]!.AsArray().Single(p => (string?)p!["SPDXID"] == "SPDXRef-RootPackage")!["licenseDeclared"]);
        Assert.DoesNotContain("evidence", Encoding.UTF8.GetString(documents.CycloneDx));
    }

    [Fact]
    public void PackageInventory_ReadsEveryEntry_AndReplacingEntriesKeepsTheirOrderAndTimes()
    {
        using var root = new TempDirectory("bs-nupkg");
        string package = root.Combine("a.nupkg");
        var time = new DateTimeOffset(2020, 2, 2, 2, 2, 2, TimeSpan.Zero);
        using (var zip = ZipFile.Open(package, ZipArchiveMode.Create))
        {
            foreach (var (name, content) in new[] { ("A.nuspec", "nuspec"), ("lib/", ""), ("lib/net8.0/A.dll", "dll"), ("buildsigning/sbom.net8.0.spdx.json", "{}"), (".signature.p7s", "sig") })
            {
                var entry = zip.CreateEntry(name);
                entry.LastWriteTime = time;
                using var stream = entry.Open();
                stream.Write(Encoding.UTF8.GetBytes(content));
            }
        }
        var inventory = PackageInventory.Read(package, ["buildsigning/sbom.net8.0.spdx.json"]);
        Assert.Equal(["A.nuspec", "lib/net8.0/A.dll"], inventory.Select(f => f.RelativePath));
        Assert.Equal(Sha256("dll"), inventory[1].Sha256Hex);
        Assert.Equal(Sha1("dll"), inventory[1].Sha1Hex);

        PackageInventory.ReplaceEntries(package, new Dictionary<string, byte[]> { ["buildsigning/sbom.net8.0.spdx.json"] = Encoding.UTF8.GetBytes("{\"files\": 2}") });
        using var updated = ZipFile.OpenRead(package);
        Assert.Equal(["A.nuspec", "lib/", "lib/net8.0/A.dll", "buildsigning/sbom.net8.0.spdx.json", ".signature.p7s"], updated.Entries.Select(e => e.FullName));
        Assert.All(updated.Entries, e => Assert.Equal(time.DateTime, e.LastWriteTime.DateTime));
        using var reader = new StreamReader(updated.GetEntry("buildsigning/sbom.net8.0.spdx.json")!.Open());
        Assert.Equal("{\"files\": 2}", reader.ReadToEnd());
        Assert.Single(Directory.EnumerateFiles(root.Path));
        Assert.Throws<BuildSigning.Core.Diagnostics.BuildSigningException>(() => PackageInventory.ReplaceEntries(package, new Dictionary<string, byte[]> { ["missing"] = [] }));
        Assert.Single(Directory.EnumerateFiles(root.Path));
    }
}
