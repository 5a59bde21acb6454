using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Sbom;
using BuildSigning.TestSupport;
using static BuildSigning.Core.Tests.Sbom.SbomAssertions;

namespace BuildSigning.Core.Tests.Sbom;

/// <summary>Broken or unusual restore output: a coded warning or error, never a crash, never an invalid SBOM.</summary>
public sealed class BadInputTests
{
    private static SbomDocuments GenerateValid(FakeRestore restore)
    {
        var documents = SbomDocuments.Generate(restore.Write(), FakeRestore.Input());
        ValidSpdx(documents.Spdx);
        ValidCycloneDx(documents.CycloneDx);
        return documents;
    }

    private static string[] Codes(SbomDocuments documents) => documents.Warnings.Select(w => w.Code).ToArray();

    [Fact]
    public void MissingAssetsFile_IsBS2010()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<BuildSigningException>(() => SbomDocuments.Generate(dir.Combine("obj", "project.assets.json"), FakeRestore.Input()));
        Assert.Equal("BS2010", e.Code);
    }

    [Theory]
    [InlineData("{ \"targets\": { \"net8.0\": ")]
    [InlineData("[1, 2, 3]")]
    [InlineData("\u0000\u0001binary")]
    [InlineData("")]
    public void CorruptAssetsFile_IsBS2011(string content)
    {
        using var dir = new TempDirectory();
        string path = dir.WriteFile("obj/project.assets.json", content);
        var e = Assert.Throws<BuildSigningException>(() => SbomDocuments.Generate(path, FakeRestore.Input()));
        Assert.Equal("BS2011", e.Code);
    }

    [Fact]
    public void AssetsFileWithoutTheTarget_IsBS2012()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0");
        string path = restore.Write();
        var e = Assert.Throws<BuildSigningException>(() => SbomDocuments.Generate(path, FakeRestore.Input() with { RuntimeIdentifier = "win-x64" }));
        Assert.Equal("BS2012", e.Code);
        Assert.Contains("net8.0/win-x64", e.Message);
    }

    [Fact]
    public void WellFormedFakeRestore_HasNoWarnings()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", dependencies: ["B/1.0.0"]).Package("B", "1.0.0", direct: false);
        var documents = GenerateValid(restore);
        Assert.Empty(documents.Warnings);
        Assert.Equal(Hex(FakeRestore.Sha512Of("A", "1.0.0")), documents.Model.Find("A/1.0.0")!.Sha512Hex);
        Assert.Equal(["B/1.0.0"], documents.Model.Find("A/1.0.0")!.DependsOn);
        Assert.Equal(["A/1.0.0"], documents.Model.RootDependsOn);
        Assert.Equal("https://example.com/A", documents.Model.Find("A/1.0.0")!.Homepage);
    }

    [Fact]
    public void BuildOnlyPackage_IsExcludedFromWhatRuns_InBothFormats()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0").BuildOnlyPackage("Tool", "2.0.0");
        var documents = GenerateValid(restore);

        var bom = Parse(documents.CycloneDx);
        string Scope(string name) => (string)bom["components"]!.AsArray().Single(c => (string)c!["name"]! == name)!["scope"]!;
        Assert.Equal("required", Scope("A"));
        Assert.Equal("excluded", Scope("Tool"));

        var spdx = Parse(documents.Spdx);
        string root = SpdxRelationships(spdx, "DESCRIBES").Single().To;
        Assert.Contains((root, SpdxIdByPurl(spdx, "pkg:nuget/A@1.0.0")), SpdxRelationships(spdx, "DEPENDS_ON"));
        Assert.DoesNotContain(SpdxRelationships(spdx, "DEPENDS_ON"), r => r.To == SpdxIdByPurl(spdx, "pkg:nuget/Tool@2.0.0"));
        Assert.Contains((SpdxIdByPurl(spdx, "pkg:nuget/Tool@2.0.0"), root), SpdxRelationships(spdx, "BUILD_DEPENDENCY_OF"));
    }

    [Fact]
    public void Metapackage_WithoutRuntimeAssets_WhoseDependenciesShipThem_IsPartOfWhatRuns_InBothFormats()
    {
        // Like Swashbuckle.AspNetCore: build/*.props only, but its dependencies' DLLs are published.
        using var restore = new FakeRestore()
            .BuildOnlyPackage("Meta", "1.0.0", dependencies: ["Lib/1.0.0"]).Package("Lib", "1.0.0", direct: false)
            .BuildOnlyPackage("Tool", "2.0.0", dependencies: ["ToolTasks/2.0.0"]).BuildOnlyPackage("ToolTasks", "2.0.0", direct: false);
        var documents = GenerateValid(restore);

        var bom = Parse(documents.CycloneDx);
        string Scope(string name) => (string)bom["components"]!.AsArray().Single(c => (string)c!["name"]! == name)!["scope"]!;
        Assert.Equal(["required", "required", "excluded", "excluded"], new[] { "Meta", "Lib", "Tool", "ToolTasks" }.Select(Scope));

        var spdx = Parse(documents.Spdx);
        string root = SpdxRelationships(spdx, "DESCRIBES").Single().To;
        var dependsOn = SpdxRelationships(spdx, "DEPENDS_ON");
        Assert.Contains((root, SpdxIdByPurl(spdx, "pkg:nuget/Meta@1.0.0")), dependsOn);
        Assert.Contains((SpdxIdByPurl(spdx, "pkg:nuget/Meta@1.0.0"), SpdxIdByPurl(spdx, "pkg:nuget/Lib@1.0.0")), dependsOn);
        Assert.Contains((SpdxIdByPurl(spdx, "pkg:nuget/Tool@2.0.0"), root), SpdxRelationships(spdx, "BUILD_DEPENDENCY_OF"));
        Assert.DoesNotContain(SpdxRelationships(spdx, "BUILD_DEPENDENCY_OF"), r => r.From == SpdxIdByPurl(spdx, "pkg:nuget/Meta@1.0.0"));
    }

    [Fact]
    public void MissingNupkgSha512_IsBS5001_AndTheHashIsComputedFromTheNupkg()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", sha512File: null);
        var documents = GenerateValid(restore);
        var warning = Assert.Single(documents.Warnings);
        Assert.Equal("BS5001", warning.Code);
        Assert.Contains("a.1.0.0.nupkg.sha512", warning.Text);
        Assert.Equal(Hex(FakeRestore.Sha512Of("A", "1.0.0")), documents.Model.Find("A/1.0.0")!.Sha512Hex);
    }

    [Fact]
    public void CorruptNupkgSha512_IsBS5001()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", sha512File: "this is not base64!");
        var documents = GenerateValid(restore);
        Assert.Equal(["BS5001"], Codes(documents));
        Assert.Equal(Hex(FakeRestore.Sha512Of("A", "1.0.0")), documents.Model.Find("A/1.0.0")!.Sha512Hex);
    }

    [Fact]
    public void NoHashAnywhere_IsBS5002_AndThePackageHasNoChecksum()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", sha512File: null, nupkg: false);
        var documents = GenerateValid(restore);
        Assert.Equal(["BS5002"], Codes(documents));
        Assert.Null(documents.Model.Find("A/1.0.0")!.Sha512Hex);
        Assert.False(SpdxPackageByPurl(Parse(documents.Spdx), "pkg:nuget/A@1.0.0").ContainsKey("checksums"));
        Assert.False(Parse(documents.CycloneDx)["components"]![0]!.AsObject().ContainsKey("hashes"));
    }

    [Fact]
    public void TheNupkgSha512File_IsTrusted_NotTheAssetsFileContentHash()
    {
        // The .nupkg is not hashed when its .nupkg.sha512 is there (that would cost a read of every package).
        string recorded = FakeRestore.Sha512Of("something", "else");
        using var restore = new FakeRestore().Package("A", "1.0.0", sha512File: recorded);
        var documents = GenerateValid(restore);
        Assert.Empty(documents.Warnings);
        Assert.Equal(Hex(recorded), documents.Model.Find("A/1.0.0")!.Sha512Hex);
    }

    [Fact]
    public void PackageFolderMissing_IsBS5003_WithNoDigestAndNoAssertionLicenseAndSupplier()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", folder: false);
        var documents = GenerateValid(restore);
        Assert.Equal(["BS5003"], Codes(documents));
        var package = SpdxPackageByPurl(Parse(documents.Spdx), "pkg:nuget/A@1.0.0");
        Assert.Equal("NOASSERTION", (string)package["licenseDeclared"]!);
        Assert.Equal("NOASSERTION", (string)package["supplier"]!);
        Assert.Null(documents.Model.Find("A/1.0.0")!.Sha512Hex);
    }

    [Theory]
    [InlineData("<package><metadata><id>A</id>")]
    [InlineData("<notapackage />")]
    [InlineData("<!DOCTYPE package [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><package><metadata><authors>&x;</authors></metadata></package>")]
    public void UnreadableNuspec_IsBS5004(string nuspec)
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", nuspec: nuspec);
        var documents = GenerateValid(restore);
        Assert.Equal(["BS5004"], Codes(documents));
        Assert.Null(documents.Model.Find("A/1.0.0")!.Supplier);
    }

    [Fact]
    public void MissingNuspec_IsBS5004()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", nuspec: null);
        Assert.Equal(["BS5004"], Codes(GenerateValid(restore)));
    }

    [Fact]
    public void NuspecWithoutLicense_IsBS5005_AndNoAssertion()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", nuspec: FakeRestore.DefaultNuspec("A", "1.0.0", license: ""));
        var documents = GenerateValid(restore);
        var warning = Assert.Single(documents.Warnings);
        Assert.Equal("BS5005", warning.Code);
        Assert.Equal("NOASSERTION", (string)SpdxPackageByPurl(Parse(documents.Spdx), "pkg:nuget/A@1.0.0")["licenseDeclared"]!);
        Assert.False(Parse(documents.CycloneDx)["components"]![0]!.AsObject().ContainsKey("licenses"));
        Assert.Equal("Test Authors", (string)Parse(documents.CycloneDx)["components"]![0]!["supplier"]!["name"]!);
    }

    [Fact]
    public void DeprecatedLicenseUrlAlone_CountsAsNoLicense()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0",
            nuspec: FakeRestore.DefaultNuspec("A", "1.0.0", "<licenseUrl>https://aka.ms/deprecateLicenseUrl</licenseUrl>"));
        Assert.Equal(["BS5005"], Codes(GenerateValid(restore)));
    }

    [Fact]
    public void LicenseUrl_IsRecordedAsALicenseRefWithTheUrl()
    {
        using var restore = new FakeRestore()
            .Package("A", "1.0.0", nuspec: FakeRestore.DefaultNuspec("A", "1.0.0", "<licenseUrl>https://example.com/a/LICENSE.txt</licenseUrl>"))
            .Package("B", "1.0.0", nuspec: FakeRestore.DefaultNuspec("B", "1.0.0", "<licenseUrl>https://example.com/a/LICENSE.txt</licenseUrl>"));
        var documents = GenerateValid(restore);
        Assert.Empty(documents.Warnings);
        var spdx = Parse(documents.Spdx);
        string declared = (string)SpdxPackageByPurl(spdx, "pkg:nuget/A@1.0.0")["licenseDeclared"]!;
        Assert.Equal("LicenseRef-example.com-a-LICENSE.txt", declared);
        Assert.Equal(declared, (string)SpdxPackageByPurl(spdx, "pkg:nuget/B@1.0.0")["licenseDeclared"]!);
        var info = Assert.Single(spdx["hasExtractedLicensingInfos"]!.AsArray())!;
        Assert.Equal("https://example.com/a/LICENSE.txt", (string)info["seeAlsos"]![0]!);

        var license = Parse(documents.CycloneDx)["components"]![0]!["licenses"]![0]!["license"]!;
        Assert.Equal("https://example.com/a/LICENSE.txt", (string)license["url"]!);
    }

    [Fact]
    public void NuGetOrgLicenseUrl_IsReadAsTheExpressionItNames()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0",
            nuspec: FakeRestore.DefaultNuspec("A", "1.0.0", "<licenseUrl>https://licenses.nuget.org/MIT%20OR%20Apache-2.0</licenseUrl>"));
        var documents = GenerateValid(restore);
        Assert.Equal("MIT OR Apache-2.0", (string)SpdxPackageByPurl(Parse(documents.Spdx), "pkg:nuget/A@1.0.0")["licenseDeclared"]!);
    }

    [Fact]
    public void LicenseFile_IsEmbeddedAsExtractedText()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0",
            nuspec: FakeRestore.DefaultNuspec("A", "1.0.0", "<license type=\"file\">LICENSE.txt</license><licenseUrl>https://aka.ms/deprecateLicenseUrl</licenseUrl>"));
        File.WriteAllText(Path.Combine(restore.PackagesFolder, "a", "1.0.0", "LICENSE.txt"), "Do what you like.\r\n");
        var documents = GenerateValid(restore);
        Assert.Empty(documents.Warnings);
        var spdx = Parse(documents.Spdx);
        string declared = (string)SpdxPackageByPurl(spdx, "pkg:nuget/A@1.0.0")["licenseDeclared"]!;
        var info = spdx["hasExtractedLicensingInfos"]!.AsArray().Single(i => (string)i!["licenseId"]! == declared)!;
        Assert.Equal("Do what you like.\n", (string)info["extractedText"]!);
        Assert.Equal("Do what you like.\n", (string)Parse(documents.CycloneDx)["components"]![0]!["licenses"]![0]!["license"]!["text"]!["content"]!);
    }

    [Theory]
    [InlineData("MIT AND")]
    [InlineData("(MIT")]
    [InlineData("MIT\" injected")]
    [InlineData("LicenseRef-Custom")]
    public void InvalidLicenseExpression_IsBS5011(string expression)
    {
        using var restore = new FakeRestore().Package("A", "1.0.0",
            nuspec: FakeRestore.DefaultNuspec("A", "1.0.0", $"<license type=\"expression\">{System.Security.SecurityElement.Escape(expression)}</license>"));
        var documents = GenerateValid(restore);
        Assert.Equal(["BS5011"], Codes(documents));
        Assert.Equal("NOASSERTION", (string)SpdxPackageByPurl(Parse(documents.Spdx), "pkg:nuget/A@1.0.0")["licenseDeclared"]!);
    }

    [Fact]
    public void UnusualPackageId_IsBS5006_PercentEncodedInThePurl_AndSanitizedInSpdxIds()
    {
        const string weird = "Wéird Id+(x)#1";
        using var restore = new FakeRestore().Package(weird, "1.0.0-beta+build.7");
        var documents = GenerateValid(restore);
        Assert.Equal(["BS5006"], Codes(documents));
        string purl = "pkg:nuget/W%C3%A9ird%20Id%2B%28x%29%231@1.0.0-beta%2Bbuild.7";
        var package = SpdxPackageByPurl(Parse(documents.Spdx), purl);
        Assert.Equal(weird, (string)package["name"]!);
        Assert.Equal("SPDXRef-Package-W-ird-Id--x--1-1.0.0-beta-build.7", (string)package["SPDXID"]!);
        Assert.Equal(purl, (string)Parse(documents.CycloneDx)["components"]![0]!["bom-ref"]!);
    }

    [Fact]
    public void IdsThatSanitizeAlike_StayUnique()
    {
        using var restore = new FakeRestore().Package("A_B", "1.0.0").Package("A-B", "1.0.0").Package("A.B", "1.0.0");
        var documents = GenerateValid(restore); // ValidSpdx checks uniqueness
        var ids = Parse(documents.Spdx)["packages"]!.AsArray().Select(p => (string)p!["SPDXID"]!).ToArray();
        Assert.Contains("SPDXRef-Package-A-B-1.0.0", ids);
        Assert.Contains("SPDXRef-Package-A-B-1.0.0-2", ids);
    }

    [Fact]
    public void DependencyMissingFromTheTarget_IsBS5007_AndTheEdgeIsLeftOut()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0", dependencies: ["Ghost/1.0.0", "B/1.0.0"]).Package("B", "2.0.0", direct: false);
        var documents = GenerateValid(restore);
        var warning = Assert.Single(documents.Warnings);
        Assert.Equal("BS5007", warning.Code);
        Assert.Contains("Ghost", warning.Text);
        // B >= 1.0.0 resolved to 2.0.0.
        Assert.Equal(["B/2.0.0"], documents.Model.Find("A/1.0.0")!.DependsOn);
    }

    [Fact]
    public void EmptyTarget_StillGivesValidDocuments()
    {
        using var restore = new FakeRestore();
        var documents = GenerateValid(restore);
        Assert.Empty(documents.Model.Components);
        Assert.Empty(documents.Warnings);
    }

    [Fact]
    public void WarningsAreCodedAndSayWhatToDo()
    {
        var all = new[]
        {
            Warnings.SbomPackageHashFileUnusable("A", "1.0.0", "/p/a.1.0.0.nupkg.sha512", "boom"),
            Warnings.SbomPackageHashUnknown("A", "1.0.0", "/p"),
            Warnings.SbomPackageFolderMissing("A", "1.0.0", "/p"),
            Warnings.SbomNuspecUnreadable("A", "1.0.0", "/p", "boom"),
            Warnings.SbomPackageNoLicense("A", "1.0.0"),
            Warnings.SbomPackageIdUnusual("A b"),
            Warnings.SbomDependencyUnresolved("A", "1.0.0", "B", "net8.0"),
            Warnings.SourceDateEpochInvalid("x"),
            Warnings.SourceRevisionInvalid("x"),
            Warnings.GitRepositoryUnreadable("/r", "boom"),
            Warnings.SbomLicenseExpressionInvalid("A", "1.0.0", "x"),
            Warnings.BuilderIdInvalid("x", "https://y"),
        };
        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"BS50{i:00}"), all.Select(d => d.Code).Order());
        Assert.All(all, d => Assert.DoesNotContain("{", d.Text));
    }
}
