using BuildSigning.Core.Sbom;
using static BuildSigning.Core.Tests.Sbom.SbomAssertions;

namespace BuildSigning.Core.Tests.Sbom;

/// <summary>What scanners and auditors read from the SBOMs (issue 11): identifiers, metadata, suppliers, licences, formats.</summary>
public sealed class SbomFidelityTests
{
    private static SbomDocuments GenerateValid(FakeRestore restore, SbomInput? input = null)
    {
        var documents = SbomDocuments.Generate(restore.Write(), input ?? FakeRestore.Input());
        ValidSpdx(documents.Spdx);
        ValidCycloneDx(documents.CycloneDx);
        return documents;
    }

    private static string[] Purls(byte[] document) =>
        System.Text.RegularExpressions.Regex.Matches(System.Text.Encoding.UTF8.GetString(document), "pkg:nuget/[^\"]+").Select(m => m.Value).Distinct().Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void OnlyPackagesHaveNuGetPurls_ThePublishedProjectAndProjectReferencesHaveNonRegistryReferences()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0").Project("Lib", "2.0.0", "A/1.0.0");
        var documents = GenerateValid(restore);

        Assert.Equal(["pkg:nuget/A@1.0.0"], Purls(documents.Spdx));
        Assert.Equal(["pkg:nuget/A@1.0.0"], Purls(documents.CycloneDx));
        var spdx = Parse(documents.Spdx);
        Assert.Null(SpdxPackageByPurl(spdx, "project:Fake@1.0.0")["externalRefs"]);
        Assert.Null(SpdxPackageByPurl(spdx, "project:Lib@2.0.0")["externalRefs"]);

        var bom = Parse(documents.CycloneDx);
        Assert.Equal("project:Fake@1.0.0", (string)bom["metadata"]!["component"]!["bom-ref"]!);
        var lib = bom["components"]!.AsArray().Single(c => (string)c!["name"]! == "Lib")!;
        Assert.Equal("project:Lib@2.0.0", (string)lib["bom-ref"]!);
        Assert.Null(lib["purl"]);
        Assert.Equal(["A/1.0.0"], documents.Model.Find("Lib/2.0.0")!.DependsOn);
        Assert.Equal(["pkg:nuget/A@1.0.0"], CycloneDxDependsOn(bom, "project:Lib@2.0.0"));
    }

    [Fact]
    public void ThePackedProject_IsAPackage_AndHasItsPackageIdsPurl()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0");
        var documents = GenerateValid(restore, FakeRestore.Input() with { IsPackage = true, PackageId = "Contoso.Fake" });
        var bom = Parse(documents.CycloneDx);
        Assert.Equal("pkg:nuget/Contoso.Fake@1.0.0", (string)bom["metadata"]!["component"]!["purl"]!);
        Assert.Equal("pkg:nuget/Contoso.Fake@1.0.0", (string)bom["metadata"]!["component"]!["bom-ref"]!);
        Assert.Equal("SPDXRef-RootPackage", (string)SpdxPackageByPurl(Parse(documents.Spdx), "pkg:nuget/Contoso.Fake@1.0.0")["SPDXID"]!);
    }

    [Theory]
    [InlineData("MIT", "MIT", null)]
    [InlineData("apache-2.0", "Apache-2.0", null)]
    [InlineData("MIT OR Apache-2.0", null, "MIT OR Apache-2.0")]
    [InlineData("GPL-2.0-or-later WITH Classpath-exception-2.0", null, "GPL-2.0-or-later WITH Classpath-exception-2.0")]
    [InlineData("LGPL-2.1+", null, "LGPL-2.1+")]
    [InlineData("Not-On-The-List-1.0", null, "Not-On-The-List-1.0")]
    public void ASingleListedLicence_IsACycloneDxLicenseId_AndAnythingElseAnExpression(string declared, string? id, string? expression)
    {
        using var restore = new FakeRestore().Package("A", "1.0.0",
            nuspec: FakeRestore.DefaultNuspec("A", "1.0.0", $"<license type=\"expression\">{declared}</license>"));
        var documents = GenerateValid(restore);
        var licence = Parse(documents.CycloneDx)["components"]![0]!["licenses"]!.AsArray().Single()!;
        Assert.Equal(id, (string?)licence["license"]?["id"]);
        Assert.Equal(expression, (string?)licence["expression"]);
        Assert.Equal(declared, (string)SpdxPackageByPurl(Parse(documents.Spdx), "pkg:nuget/A@1.0.0")["licenseDeclared"]!);
    }

    private static string Nuspec(string id, string extra) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
          <metadata>
            <id>{id}</id>
            <version>1.0.0</version>
            <authors>Contoso</authors>
            <license type="expression">MIT</license>
            {extra}
          </metadata>
        </package>
        """;

    [Fact]
    public void NuspecMetadata_CopyrightDescriptionProjectUrlAndRepository_ReachBothFormats()
    {
        const string commit = "0123456789abcdef0123456789abcdef01234567";
        using var restore = new FakeRestore()
            .Package("A", "1.0.0", nuspec: Nuspec("A", $"""
                <projectUrl>https://a.example/home</projectUrl>
                <copyright>© Contoso Ltd. All rights reserved.</copyright>
                <description>Does A things.</description>
                <repository type="git" url="https://source.example/contoso/a.git" branch="main" commit="{commit}" />
                """))
            .Package("B", "1.0.0", nuspec: Nuspec("B", """<repository type="git" url="https://user:secret@source.example/contoso/b.git" />"""))
            .Package("C", "1.0.0", nuspec: Nuspec("C", ""));
        var documents = GenerateValid(restore);
        var spdx = Parse(documents.Spdx);
        var a = SpdxPackageByPurl(spdx, "pkg:nuget/A@1.0.0");
        Assert.Equal("© Contoso Ltd. All rights reserved.", (string)a["copyrightText"]!);
        Assert.Equal("Does A things.", (string)a["description"]!);
        Assert.Equal("https://a.example/home", (string)a["homepage"]!);
        Assert.Equal($"git+https://source.example/contoso/a.git@{commit}", (string)a["downloadLocation"]!);
        Assert.Contains("nuspec", (string)a["sourceInfo"]!);
        var b = SpdxPackageByPurl(spdx, "pkg:nuget/B@1.0.0");
        Assert.Equal("NOASSERTION", (string)b["downloadLocation"]!);
        Assert.Contains("https://source.example/contoso/b.git", (string)b["sourceInfo"]!);
        Assert.Equal("NOASSERTION", (string)b["copyrightText"]!);
        var c = SpdxPackageByPurl(spdx, "pkg:nuget/C@1.0.0");
        Assert.Equal("NOASSERTION", (string)c["downloadLocation"]!);
        Assert.Null(c["sourceInfo"]);

        var components = Parse(documents.CycloneDx)["components"]!.AsArray().ToDictionary(x => (string)x!["name"]!, x => x!);
        Assert.Equal("© Contoso Ltd. All rights reserved.", (string)components["A"]["copyright"]!);
        Assert.Equal("Does A things.", (string)components["A"]["description"]!);
        var references = components["A"]["externalReferences"]!.AsArray().ToDictionary(r => (string)r!["type"]!, r => r!);
        Assert.Equal("https://a.example/home", (string)references["website"]["url"]!);
        Assert.Equal("https://source.example/contoso/a.git", (string)references["vcs"]["url"]!);
        Assert.Contains(commit, (string)references["vcs"]["comment"]!);
        Assert.Equal("https://source.example/contoso/b.git", (string)components["B"]["externalReferences"]![0]!["url"]!);
        Assert.Null(components["C"]["externalReferences"]);
        // The password in B's repository URL reaches neither document.
        Assert.DoesNotContain("secret", System.Text.Encoding.UTF8.GetString(documents.Spdx));
        Assert.DoesNotContain("secret", System.Text.Encoding.UTF8.GetString(documents.CycloneDx));
    }

    [Fact]
    public void TheRoot_CarriesTheProjectsCopyrightDescriptionHomepageAndGitSource()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0");
        var input = FakeRestore.Input() with
        {
            Copyright = "© Fabrikam",
            Description = "The app.",
            ProjectUrl = "https://fabrikam.example/",
            Repository = SbomRepository.Create("git", "https://source.example/fabrikam/app.git", "89abcdef0123456789abcdef0123456789abcdef"),
        };
        var documents = GenerateValid(restore, input);
        var root = SpdxPackageByPurl(Parse(documents.Spdx), "project:Fake@1.0.0");
        Assert.Equal("© Fabrikam", (string)root["copyrightText"]!);
        Assert.Equal("The app.", (string)root["description"]!);
        Assert.Equal("https://fabrikam.example/", (string)root["homepage"]!);
        Assert.Equal("git+https://source.example/fabrikam/app.git@89abcdef0123456789abcdef0123456789abcdef", (string)root["downloadLocation"]!);
        var component = Parse(documents.CycloneDx)["metadata"]!["component"]!;
        Assert.Equal("© Fabrikam", (string)component["copyright"]!);
        Assert.Equal("The app.", (string)component["description"]!);
        Assert.Contains(component["externalReferences"]!.AsArray(), r => (string)r!["type"]! == "vcs" && ((string)r["comment"]!).Contains("89abcdef", StringComparison.Ordinal));
    }

    [Fact]
    public void AListOfAuthors_IsPeople_AndOneNameOrACompanyIsAnOrganization()
    {
        using var restore = new FakeRestore()
            .Package("People", "1.0.0", nuspec: Nuspec("People", "").Replace("<authors>Contoso</authors>", "<authors>Jane Doe, John Roe</authors>", StringComparison.Ordinal))
            .Package("Company", "1.0.0", nuspec: Nuspec("Company", "").Replace("<authors>Contoso</authors>", "<authors>Contoso, Inc.</authors>", StringComparison.Ordinal))
            .Package("One", "1.0.0", nuspec: Nuspec("One", ""));
        var documents = GenerateValid(restore);
        var spdx = Parse(documents.Spdx);
        var people = SpdxPackageByPurl(spdx, "pkg:nuget/People@1.0.0");
        Assert.Equal("Person: Jane Doe", (string)people["supplier"]!);
        Assert.Equal(["Authors: Jane Doe, John Roe"], people["attributionTexts"]!.AsArray().Select(t => (string)t!));
        Assert.Equal("Organization: Contoso, Inc.", (string)SpdxPackageByPurl(spdx, "pkg:nuget/Company@1.0.0")["supplier"]!);
        Assert.Equal("Organization: Contoso", (string)SpdxPackageByPurl(spdx, "pkg:nuget/One@1.0.0")["supplier"]!);

        var components = Parse(documents.CycloneDx)["components"]!.AsArray().ToDictionary(x => (string)x!["name"]!, x => x!);
        Assert.Equal("Jane Doe", (string)components["People"]["supplier"]!["name"]!);
        Assert.Equal(["Jane Doe", "John Roe"], components["People"]["authors"]!.AsArray().Select(a => (string)a!["name"]!));
        Assert.Equal("Contoso, Inc.", (string)components["Company"]["supplier"]!["name"]!);
        Assert.Null(components["Company"]["authors"]);
    }

    [Fact]
    public void TheSbomsAuthor_IsAnOrganizationCreator_AndTheCycloneDxManufacturer_AndTheRootWithoutAuthorsHasNoSupplier()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0");
        var documents = GenerateValid(restore, FakeRestore.Input() with { SbomAuthor = "Fabrikam, Inc." });
        var spdx = Parse(documents.Spdx);
        Assert.Equal(["Organization: Fabrikam, Inc.", "Tool: BuildSigning-0.1.0"], spdx["creationInfo"]!["creators"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("NOASSERTION", (string)SpdxPackageByPurl(spdx, "project:Fake@1.0.0")["supplier"]!);
        var bom = Parse(documents.CycloneDx);
        Assert.Equal("Fabrikam, Inc.", (string)bom["metadata"]!["manufacturer"]!["name"]!);
        Assert.Null(bom["metadata"]!["component"]!["supplier"]);
    }

    [Fact]
    public void CycloneDx17_ValidatesAgainstThe17Schema_AndSaysTheSameAs16()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0").Package("People", "1.0.0",
            nuspec: Nuspec("People", """<repository type="git" url="https://source.example/p.git" commit="0123456789abcdef" />"""));
        var v16 = GenerateValid(restore);
        var v17 = GenerateValid(restore, FakeRestore.Input() with { CycloneDxVersion = "1.7" });
        var bom = Parse(v17.CycloneDx);
        Assert.Equal("1.7", (string)bom["specVersion"]!);
        Assert.Equal("http://cyclonedx.org/schema/bom-1.7.schema.json", (string)bom["$schema"]!);
        Assert.Empty(CycloneDxErrors(v17.CycloneDx)); // against cyclonedx-bom-1.7.schema.json, chosen by specVersion
        // Only the version strings (and so the content-derived serial number) differ.
        var old = Parse(v16.CycloneDx);
        foreach (var field in new[] { "$schema", "specVersion", "serialNumber" }) { bom.Remove(field); old.Remove(field); }
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(old, bom));
        Assert.Throws<ArgumentException>(() => CycloneDxWriter.Write(v16.Model, FakeRestore.Input() with { CycloneDxVersion = "1.5" }));
    }

    [Fact]
    public void SpdxNamespace_IsConfigurable_DerivedFromAnHttpRepository_OrBuildSigningsOwn()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0");
        string Namespace(SbomInput input) => (string)Parse(GenerateValid(restore, input).Spdx)["documentNamespace"]!;
        const string uuid = "[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

        Assert.Matches($"^https://buildsigning\\.dev/spdx/Fake-1\\.0\\.0-{uuid}$", Namespace(FakeRestore.Input()));
        Assert.Matches($"^https://sbom\\.example/products/Fake-1\\.0\\.0-{uuid}$",
            Namespace(FakeRestore.Input() with { SpdxNamespace = SpdxWriter.ValidNamespace("https://sbom.example/products") }));
        var fromRepository = FakeRestore.Input() with { Repository = SbomRepository.Create("git", "https://source.example/fabrikam/app.git", "0123456789abcdef") };
        Assert.Matches($"^https://source\\.example/fabrikam/app/spdx/Fake-1\\.0\\.0-{uuid}$", Namespace(fromRepository));
        var ssh = FakeRestore.Input() with { Repository = SbomRepository.Create("git", "ssh://git@source.example/fabrikam/app.git", null) };
        Assert.StartsWith("https://buildsigning.dev/spdx/", Namespace(ssh), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not a uri")]
    [InlineData("relative/path")]
    [InlineData("https://sbom.example/x#fragment")]
    public void AnUnusableSpdxNamespace_IsBS5015(string value)
    {
        var e = Assert.Throws<BuildSigning.Core.Diagnostics.BuildSigningException>(() => SpdxWriter.ValidNamespace(value));
        Assert.Equal("BS5015", e.Code);
        Assert.Contains(value, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SharedFrameworks_AreRequiredComponentsThatAreNotShipped()
    {
        using var restore = new FakeRestore().Package("A", "1.0.0");
        var input = FakeRestore.Input() with
        {
            SharedFrameworks = [new("Microsoft.NETCore.App", "10.0.0"), new("Microsoft.AspNetCore.App", "10.0.0")],
        };
        var documents = GenerateValid(restore, input);

        var bom = Parse(documents.CycloneDx);
        var frameworks = bom["components"]!.AsArray().Where(c => (string)c!["type"]! == "framework").ToArray();
        Assert.Equal(["framework:Microsoft.AspNetCore.App@10.0.0", "framework:Microsoft.NETCore.App@10.0.0"], frameworks.Select(f => (string)f!["bom-ref"]!));
        Assert.All(frameworks, f =>
        {
            Assert.Equal("required", (string)f!["scope"]!);
            Assert.Null(f["purl"]);
            Assert.Contains(f["properties"]!.AsArray(), p => (string)p!["name"]! == "buildsigning:dotnet:shipped" && (string)p["value"]! == "false");
        });
        Assert.Contains("framework:Microsoft.NETCore.App@10.0.0", CycloneDxDependsOn(bom, "project:Fake@1.0.0"));

        var spdx = Parse(documents.Spdx);
        var netcore = spdx["packages"]!.AsArray().Single(p => (string)p!["name"]! == "Microsoft.NETCore.App")!;
        Assert.Equal("10.0.0", (string)netcore["versionInfo"]!);
        Assert.Equal("FRAMEWORK", (string)netcore["primaryPackagePurpose"]!);
        Assert.Contains("does not ship", (string)netcore["comment"]!);
        Assert.Contains(("SPDXRef-RootPackage", (string)netcore["SPDXID"]!), SpdxRelationships(spdx, "HAS_PREREQUISITE"));
        Assert.DoesNotContain(SpdxRelationships(spdx, "DEPENDS_ON"), r => r.To == (string)netcore["SPDXID"]!);

        // Without shared frameworks (self-contained, pack) there is none.
        Assert.DoesNotContain(Parse(GenerateValid(restore).CycloneDx)["components"]!.AsArray(), c => (string)c!["type"]! == "framework");
    }

    [Fact]
    public void ABuildOnlyDependencyOfAPackageThatRuns_IsABuildDependencyInSpdx_AsItIsExcludedInCycloneDx()
    {
        // Swashbuckle.AspNetCore -> Microsoft.Extensions.ApiDescription.Server (build/ only) and SwaggerGen (a DLL).
        using var restore = new FakeRestore()
            .BuildOnlyPackage("Meta", "1.0.0", dependencies: ["Lib/1.0.0", "Gen/1.0.0"]).Package("Lib", "1.0.0", direct: false)
            .BuildOnlyPackage("Gen", "1.0.0", direct: false);
        var documents = GenerateValid(restore);
        var spdx = Parse(documents.Spdx);
        string meta = SpdxIdByPurl(spdx, "pkg:nuget/Meta@1.0.0"), gen = SpdxIdByPurl(spdx, "pkg:nuget/Gen@1.0.0");
        Assert.DoesNotContain((meta, gen), SpdxRelationships(spdx, "DEPENDS_ON"));
        Assert.Contains((gen, meta), SpdxRelationships(spdx, "BUILD_DEPENDENCY_OF"));
        Assert.Contains((meta, SpdxIdByPurl(spdx, "pkg:nuget/Lib@1.0.0")), SpdxRelationships(spdx, "DEPENDS_ON"));
        var bom = Parse(documents.CycloneDx);
        Assert.Equal("excluded", (string)bom["components"]!.AsArray().Single(c => (string)c!["name"]! == "Gen")!["scope"]!);
        Assert.Equal("required", (string)bom["components"]!.AsArray().Single(c => (string)c!["name"]! == "Meta")!["scope"]!);
    }
}
