using System.Text.Json.Nodes;
using NJsonSchema;
using Xunit;

namespace BuildSigning.TestSupport;

/// <summary>
/// Validation of SBOMs against the official schemas (tests/schemas, copied next to each test assembly) with NJsonSchema,
/// plus the rules those schemas do not encode: SPDX ID syntax, uniqueness and dangling references, SHA-1 on every file,
/// the CycloneDX bom-ref graph.
/// </summary>
public static class SbomValidation
{
    public static readonly string SchemaDirectory = Path.Combine(AppContext.BaseDirectory, "schemas");

    // CycloneDX $refs spdx.schema.json and jsf-0.82.schema.json by relative name: loading from the file resolves them locally.
    private static readonly Lazy<JsonSchema> CycloneDxSchema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(SchemaDirectory, "cyclonedx-bom-1.6.schema.json")).GetAwaiter().GetResult());

    private static readonly Lazy<JsonSchema> CycloneDx17Schema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(SchemaDirectory, "cyclonedx-bom-1.7.schema.json")).GetAwaiter().GetResult());

    private static readonly Lazy<JsonSchema> SpdxSchema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(SchemaDirectory, "spdx-2.3.schema.json")).GetAwaiter().GetResult());

    /// <summary>Errors against the official schema of the BOM's own specVersion (1.6 or 1.7).</summary>
    public static IReadOnlyList<string> CycloneDxSchemaErrors(string json)
    {
        var schema = (string?)JsonNode.Parse(json)?["specVersion"] == "1.7" ? CycloneDx17Schema : CycloneDxSchema;
        return schema.Value.Validate(json).Select(e => e.ToString()).ToArray();
    }

    public static IReadOnlyList<string> SpdxSchemaErrors(string json) => SpdxSchema.Value.Validate(json).Select(e => e.ToString()).ToArray();

    public static void ValidCycloneDx(string json)
    {
        var errors = CycloneDxSchemaErrors(json);
        Assert.True(errors.Count == 0, "CycloneDX schema errors (NJsonSchema):\n" + string.Join("\n", errors));
        var bom = JsonNode.Parse(json)!.AsObject();
        Assert.Equal("CycloneDX", (string?)bom["bomFormat"]);
        Assert.Contains((string?)bom["specVersion"], new[] { "1.6", "1.7" });
        Assert.Equal($"http://cyclonedx.org/schema/bom-{(string?)bom["specVersion"]}.schema.json", (string?)bom["$schema"]);
        // bom-refs are unique and every dependency names one.
        var refs = new List<string> { (string)bom["metadata"]!["component"]!["bom-ref"]! };
        refs.AddRange(bom["components"]!.AsArray().Select(c => (string)c!["bom-ref"]!));
        refs.AddRange((bom["metadata"]!["component"]!["components"]?.AsArray() ?? []).Select(c => (string)c!["bom-ref"]!));
        Assert.Equal(refs.Count, refs.Distinct(StringComparer.Ordinal).Count());
        foreach (var dependency in bom["dependencies"]!.AsArray())
        {
            Assert.Contains((string)dependency!["ref"]!, refs);
            foreach (var target in dependency["dependsOn"]!.AsArray()) Assert.Contains((string)target!, refs);
        }
    }

    public static void ValidSpdx(string json)
    {
        var errors = SpdxSchemaErrors(json);
        Assert.True(errors.Count == 0, "SPDX schema errors (NJsonSchema):\n" + string.Join("\n", errors));
        var document = JsonNode.Parse(json)!.AsObject();
        Assert.Equal("SPDX-2.3", (string?)document["spdxVersion"]);
        Assert.Equal("CC0-1.0", (string?)document["dataLicense"]);
        Assert.Equal("SPDXRef-DOCUMENT", (string?)document["SPDXID"]);
        var ids = new List<string> { "SPDXRef-DOCUMENT" };
        ids.AddRange(document["packages"]!.AsArray().Select(p => (string)p!["SPDXID"]!));
        ids.AddRange((document["files"]?.AsArray() ?? []).Select(f => (string)f!["SPDXID"]!));
        Assert.All(ids, id => Assert.Matches("^SPDXRef-[A-Za-z0-9.-]+$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        foreach (var relationship in document["relationships"]!.AsArray())
        {
            Assert.Contains((string)relationship!["spdxElementId"]!, ids);
            Assert.Contains((string)relationship["relatedSpdxElement"]!, ids);
        }
        var licenseRefs = (document["hasExtractedLicensingInfos"]?.AsArray() ?? []).Select(l => (string)l!["licenseId"]!).ToArray();
        Assert.All(licenseRefs, id => Assert.Matches("^LicenseRef-[A-Za-z0-9.-]+$", id));
        foreach (var package in document["packages"]!.AsArray())
        {
            string declared = (string)package!["licenseDeclared"]!;
            if (declared.StartsWith("LicenseRef-", StringComparison.Ordinal)) Assert.Contains(declared, licenseRefs);
            if (package["supplier"] is { } supplier) Assert.Matches("^(NOASSERTION|(Organization|Person): [^()\\n]+)$", (string)supplier!);
            foreach (var checksum in package["checksums"]?.AsArray() ?? []) Assert.Matches("^[0-9a-f]+$", (string)checksum!["checksumValue"]!);
        }
        // SPDX 2.3 requires a SHA1 checksum on every file.
        foreach (var file in document["files"]?.AsArray() ?? [])
        {
            Assert.Contains(file!["checksums"]!.AsArray(), c => (string?)c!["algorithm"] == "SHA1");
        }
    }
}
