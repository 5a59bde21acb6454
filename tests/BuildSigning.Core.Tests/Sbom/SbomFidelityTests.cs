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
}
