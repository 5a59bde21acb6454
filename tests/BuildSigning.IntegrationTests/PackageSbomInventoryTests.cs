using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.TestSupport;
using Xunit.Abstractions;
using static BuildSigning.IntegrationTests.SbomAssertions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// The SBOMs inside a packed .nupkg list the package's files (issue 11, point 4): checked against the zip entries as unzip
/// extracts them and sha256sum/sha1sum hash them, on the shared multi-targeting library (<see cref="PackedLibrary"/>) and on a
/// package whose licence is a file, which an app then consumes (licence text and file-to-package links in the app's SBOMs).
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class PackageSbomInventoryTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private const string Epoch = "1700000000";
    private const string EpochTime = "2023-11-14T22:13:20Z";

    [Fact]
    public void MultiTargetingLibraryPack_EmbeddedSbomsListEveryPackedEntryWithItsSha256_AndSayWhatTheyCannotList()
    {
        var library = PackedLibrary.Get(product);
        var (entries, sbomEntries) = Entries(library.Nupkg);
        Assert.Contains("lib/net10.0/Contoso.Signed.dll", entries);
        Assert.Contains("lib/net9.0/Contoso.Signed.dll", entries);
        Assert.Contains($"{PackedLibrary.Id}.nuspec", entries);
        Assert.Equal(4, sbomEntries.Count);
        var (sha256, sha1) = ExtractAndHash(library.Nupkg, entries);

        using var zip = ZipFile.OpenRead(library.Nupkg);
        foreach (string framework in PackedLibrary.Frameworks)
        {
            string spdxText = ReadEntry(zip, $"buildsigning/sbom.{framework}.spdx.json");
            ValidSpdx(spdxText);
            var spdx = Parse(spdxText);
            AssertSpdxInventory(spdx, entries, sbomEntries, sha256, sha1);

            string bomText = ReadEntry(zip, $"buildsigning/sbom.{framework}.cdx.json");
            ValidCycloneDx(bomText);
            AssertCycloneDxInventory(Parse(bomText), entries, sha256);
        }
    }

    [Fact]
    public void BuildsignVerify_RejectsAPackageChangedAndSignedAgain_WhoseFilesNoLongerMatchItsSbom()
    {
        var library = PackedLibrary.Get(product);
        string folder = Directory.CreateDirectory(Path.Combine(product.Root, "repacked")).FullName;
        string package = Path.Combine(folder, Path.GetFileName(library.Nupkg));
        // The package with its bundles beside it.
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(library.Nupkg)!, Path.GetFileName(library.Nupkg) + "*"))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }
        var intact = product.BuildSign("verify", package, "--key", product.DevelopmentPublicKey);
        Assert.True(intact.ExitCode == 0, intact.ToString());

        // A tool changes a DLL, drops the NuGet signature and signs again: NuGet's integrity check passes, the SBOM does not.
        using (var zip = ZipFile.Open(package, ZipArchiveMode.Update))
        {
            zip.GetEntry(".signature.p7s")!.Delete();
            using var stream = zip.GetEntry("lib/net10.0/Contoso.Signed.dll")!.Open();
            stream.Seek(0, SeekOrigin.End);
            stream.WriteByte(0);
        }
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning("CN=Repacker Test Signing, O=Repacker");
        string pfx = TestCertificates.ExportPfx(certificate, Path.Combine(folder, "repacker.pfx"), "repacker-password");
        PackagedBuildSigning.Require(product.Dotnet(folder, "nuget", "sign", package, "--certificate-path", pfx, "--certificate-password", "repacker-password", "--overwrite"));

        // Pinned by the repacker's certificate alone (with --key, the statement inside the package, by the original key,
        // fails first: BS6031): the SBOM's file list is what catches it.
        var verify = product.BuildSign("verify", package, "--certificate-fingerprint", TestCertificates.Sha256Fingerprint(certificate));
        output.WriteLine(verify.ToString());
        Assert.True(verify.ExitCode != 0, verify.ToString());
        Assert.Contains("error BS6026", verify.Output);
        var withKey = product.BuildSign("verify", package, "--key", product.DevelopmentPublicKey);
        Assert.True(withKey.ExitCode != 0, withKey.ToString());
        Assert.Contains("error BS6031", withKey.Output);
        Assert.Contains("'lib/net10.0/Contoso.Signed.dll' has SHA-256", verify.Output);
    }

    [Fact]
    public void TwoCleanPacksWithSourceDateEpoch_GiveByteIdenticalEntriesAndSboms()
    {
        var library = PackedLibrary.Get(product);
        var epoch = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = Epoch };
        string[] folders = ["out-epoch-1", "out-epoch-2"];
        foreach (string folder in folders)
        {
            // A clean pack: the provisional SBOMs in obj/ are made again too.
            foreach (string stale in Directory.EnumerateFiles(Path.Combine(library.ProjectDirectory, "obj"), "sbom.*.json", SearchOption.AllDirectories)) File.Delete(stale);
            PackagedBuildSigning.Require(library.Pack(folder, epoch));
        }
        string first = Path.Combine(library.OutputDirectory(folders[0]), Path.GetFileName(library.Nupkg));
        string second = Path.Combine(library.OutputDirectory(folders[1]), Path.GetFileName(library.Nupkg));
        using var a = ZipFile.OpenRead(first);
        using var b = ZipFile.OpenRead(second);
        // The NuGet signature holds its signing time, and an ECDSA signature differs each time (the statement inside
        // .buildsigning/ signs the same entries); everything else is the same, entry by entry and byte for byte.
        static bool Reproducible(string n) => n != ".signature.p7s" && !n.StartsWith(".buildsigning/", StringComparison.Ordinal);
        var names = a.Entries.Select(e => e.FullName).Where(Reproducible).ToArray();
        Assert.Equal(names, b.Entries.Select(e => e.FullName).Where(Reproducible).ToArray());
        foreach (string name in names)
        {
            Assert.True(ReadBytes(a, name).AsSpan().SequenceEqual(ReadBytes(b, name)), $"{name} differs between two packs with SOURCE_DATE_EPOCH");
            Assert.Equal(a.GetEntry(name)!.LastWriteTime, b.GetEntry(name)!.LastWriteTime);
        }
        var spdx = Parse(ReadEntry(a, "buildsigning/sbom.net10.0.spdx.json"));
        Assert.Equal(EpochTime, (string?)spdx["creationInfo"]!["created"]);
        Assert.True(spdx["files"]!.AsArray().Count > 3, "the SBOM lists the package's files");
    }

    [Fact]
    public void PackageWhoseLicenceIsAFile_ListsTheLicenceFile_AndAnAppConsumingItRecordsTheLicenceTextAndWhereItsDllCameFrom()
    {
        const string licence = "Fabrikam Source-Available Licence 1.0\n\nYou may read this code and run it unchanged.\n";
        string root = Directory.CreateDirectory(Path.Combine(product.Root, "licence-file")).FullName;
        string feed = Directory.CreateDirectory(Path.Combine(root, "feed")).FullName;
        string library = Path.Combine(root, "Fabrikam.Licensed");
        Directory.CreateDirectory(library);
        File.WriteAllText(Path.Combine(library, "Fabrikam.Licensed.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Version>1.0.0</Version>
                <Authors>Fabrikam</Authors>
                <Description>A package whose licence is a file.</Description>
                <PackageLicenseFile>LICENSE.txt</PackageLicenseFile>
              </PropertyGroup>
              <ItemGroup>
                <None Include="LICENSE.txt" Pack="true" PackagePath="" />
                <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(library, "LICENSE.txt"), licence);
        File.WriteAllText(Path.Combine(library, "Widget.cs"), "namespace Fabrikam.Licensed { public static class Widget { public static int Count() => 2; } }\n");
        var pack = product.Dotnet(library, "pack", "-c", "Release", "-o", feed, "-nologo");
        output.WriteLine(pack.ToString());
        PackagedBuildSigning.Require(pack);

        // The package's own SBOMs list LICENSE.txt with the SHA-256 of the file packed.
        string nupkg = Path.Combine(feed, "Fabrikam.Licensed.1.0.0.nupkg");
        var (entries, sbomEntries) = Entries(nupkg);
        Assert.Contains("LICENSE.txt", entries);
        var (sha256, sha1) = ExtractAndHash(nupkg, entries);
        Assert.Equal(Hex(SHA256.HashData(Encoding.UTF8.GetBytes(licence))), sha256["LICENSE.txt"]);
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            string spdxText = ReadEntry(zip, "buildsigning/sbom.net10.0.spdx.json");
            ValidSpdx(spdxText);
            var packageSpdx = Parse(spdxText);
            AssertSpdxInventory(packageSpdx, entries, sbomEntries, sha256, sha1);
            string bomText = ReadEntry(zip, "buildsigning/sbom.net10.0.cdx.json");
            ValidCycloneDx(bomText);
            var packageBom = Parse(bomText);
            AssertCycloneDxInventory(packageBom, entries, sha256);

            // The package's own licence is that file, with its text, in both formats.
            var described = packageSpdx["packages"]!.AsArray().Single(p => (string?)p!["SPDXID"] == "SPDXRef-RootPackage")!;
            string rootLicense = (string)described["licenseDeclared"]!;
            Assert.StartsWith("LicenseRef-", rootLicense);
            Assert.Equal(licence, (string?)packageSpdx["hasExtractedLicensingInfos"]!.AsArray().Single(l => (string?)l!["licenseId"] == rootLicense)!["extractedText"]);
            var rootLicenseObject = packageBom["metadata"]!["component"]!["licenses"]![0]!["license"]!;
            Assert.Equal("License file 'LICENSE.txt'", (string?)rootLicenseObject["name"]);
            Assert.Equal(licence, (string?)rootLicenseObject["text"]!["content"]);
        }

        // An app that uses the package: its SBOMs carry the licence text and link Fabrikam.Licensed.dll to the package.
        string app = Path.Combine(root, "LicensedApp");
        Directory.CreateDirectory(app);
        File.WriteAllText(Path.Combine(app, "LicensedApp.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Version>1.0.0</Version>
                <BuildSigningVerifyDependencies>false</BuildSigningVerifyDependencies>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
                <PackageReference Include="Fabrikam.Licensed" Version="1.0.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), "System.Console.WriteLine(Fabrikam.Licensed.Widget.Count());\n");
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="fabrikam" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        string publish = Path.Combine(app, "out");
        var published = product.Dotnet(app, "publish", "-c", "Release", "-o", publish, "-nologo");
        output.WriteLine(published.ToString());
        PackagedBuildSigning.Require(published);
        ValidSboms(publish, output);

        const string purl = "pkg:nuget/Fabrikam.Licensed@1.0.0";
        var spdx = ReadJson(Path.Combine(publish, ".buildsigning", "sbom.spdx.json"));
        var package = SpdxPackagesByPurl(spdx)[purl];
        string licenseRef = (string)package["licenseDeclared"]!;
        Assert.StartsWith("LicenseRef-", licenseRef);
        var extracted = spdx["hasExtractedLicensingInfos"]!.AsArray().Single(l => (string?)l!["licenseId"] == licenseRef)!;
        Assert.Equal(licence, (string?)extracted["extractedText"]);
        var fileIds = spdx["files"]!.AsArray().ToDictionary(f => ((string)f!["fileName"]!)[2..], f => (string)f!["SPDXID"]!, StringComparer.Ordinal);
        Assert.Contains((fileIds["Fabrikam.Licensed.dll"], purl), SpdxRelationships(spdx, "EXPANDED_FROM_ARCHIVE"));
        Assert.DoesNotContain(SpdxRelationships(spdx, "EXPANDED_FROM_ARCHIVE"), r => r.From == fileIds["LicensedApp.dll"]);

        var bom = ReadJson(Path.Combine(publish, ".buildsigning", "sbom.cdx.json"));
        var component = bom["components"]!.AsArray().Single(c => (string?)c!["bom-ref"] == purl)!;
        Assert.Equal(licence, (string?)component["licenses"]![0]!["license"]!["text"]!["content"]);
        Assert.Equal(["Fabrikam.Licensed.dll"], component["evidence"]!["occurrences"]!.AsArray().Select(o => (string)o!["location"]!).ToArray());
        Assert.Contains("LicensedApp.dll", bom["metadata"]!["component"]!["evidence"]!["occurrences"]!.AsArray().Select(o => (string)o!["location"]!));
    }

    /// <summary>The package's file entries (directories and the NuGet signature left out) and its embedded SBOM entries, listed by unzip.</summary>
    private static (string[] Files, IReadOnlyList<string> Sboms) Entries(string nupkg)
    {
        var listing = ProcessRunner.Run("unzip", ["-Z1", nupkg], Path.GetDirectoryName(nupkg)!);
        Assert.True(listing.ExitCode == 0, listing.ToString());
        var all = listing.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => !n.EndsWith('/') && n != ".signature.p7s" && !n.StartsWith(".buildsigning/", StringComparison.Ordinal)).ToArray();
        var sboms = all.Where(n => n.StartsWith("buildsigning/sbom.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        return (all.Except(sboms).Order(StringComparer.Ordinal).ToArray(), sboms);
    }

    /// <summary>Extracts the package with unzip and hashes the entries with sha256sum and sha1sum.</summary>
    private static (Dictionary<string, string> Sha256, Dictionary<string, string> Sha1) ExtractAndHash(string nupkg, string[] entries)
    {
        string directory = Path.Combine(Path.GetDirectoryName(nupkg)!, Path.GetFileName(nupkg) + ".extracted");
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        var unzip = ProcessRunner.Run("unzip", ["-q", nupkg, "-d", directory], Path.GetDirectoryName(nupkg)!);
        Assert.True(unzip.ExitCode == 0, unzip.ToString());
        return (CoreutilsDigests("sha256sum", directory, entries), CoreutilsDigests("sha1sum", directory, entries));
    }

    private static void AssertSpdxInventory(JsonObject spdx, string[] entries, IReadOnlyList<string> sbomEntries,
        Dictionary<string, string> sha256, Dictionary<string, string> sha1)
    {
        var files = spdx["files"]!.AsArray();
        Assert.Equal(entries.Select(e => "./" + e), files.Select(f => (string)f!["fileName"]!).Order(StringComparer.Ordinal));
        foreach (var file in files)
        {
            string name = ((string)file!["fileName"]!)[2..];
            Assert.Equal(sha256[name], Hash(file["checksums"], "SHA256", "algorithm", "checksumValue"));
            Assert.Equal(sha1[name], Hash(file["checksums"], "SHA1", "algorithm", "checksumValue"));
        }
        var root = spdx["packages"]!.AsArray().Single(p => (string?)p!["SPDXID"] == "SPDXRef-RootPackage")!;
        Assert.True((bool)root["filesAnalyzed"]!);
        var contained = spdx["relationships"]!.AsArray()
            .Where(r => (string?)r!["spdxElementId"] == "SPDXRef-RootPackage" && (string?)r["relationshipType"] == "CONTAINS")
            .Select(r => (string)r!["relatedSpdxElement"]!).ToHashSet();
        Assert.All(files, f => Assert.Contains((string)f!["SPDXID"]!, contained));
        // SPDX 2.3 §7.9: SHA-1 over the sorted, concatenated SHA-1s of the files; the SBOMs themselves excluded and named.
#pragma warning disable CA5350
        string code = Hex(SHA1.HashData(Encoding.ASCII.GetBytes(string.Concat(entries.Select(e => sha1[e]).Order(StringComparer.Ordinal)))));
#pragma warning restore CA5350
        Assert.Equal(code, (string?)root["packageVerificationCode"]!["packageVerificationCodeValue"]);
        Assert.Equal(sbomEntries.Select(e => "./" + e), root["packageVerificationCode"]!["packageVerificationCodeExcludedFiles"]!.AsArray().Select(e => (string)e!));
        Assert.Contains("cannot contain its own digest", (string?)spdx["comment"]);
    }

    private static void AssertCycloneDxInventory(JsonObject bom, string[] entries, Dictionary<string, string> sha256)
    {
        var files = bom["metadata"]!["component"]!["components"]!.AsArray();
        Assert.All(files, f => Assert.Equal("file", (string?)f!["type"]));
        Assert.Equal(entries, files.Select(f => (string)f!["name"]!).Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.Equal(sha256[(string)f!["name"]!], Hash(f["hashes"], "SHA-256", "alg", "content")));
        var annotation = bom["annotations"]!.AsArray().Single()!;
        Assert.Equal((string?)bom["metadata"]!["component"]!["bom-ref"], (string?)annotation["subjects"]![0]);
        Assert.Contains("cannot contain its own digest", (string?)annotation["text"]);
    }

    private static string ReadEntry(ZipArchive zip, string name) => Encoding.UTF8.GetString(ReadBytes(zip, name));

    private static byte[] ReadBytes(ZipArchive zip, string name)
    {
        using var stream = zip.GetEntry(name)!.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
