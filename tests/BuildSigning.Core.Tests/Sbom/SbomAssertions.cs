using System.Text.Json;
using System.Text.Json.Nodes;
using NJsonSchema;

namespace BuildSigning.Core.Tests.Sbom;

/// <summary>
/// Validation of generated documents against the official schemas (tests/schemas, copied next to the test assembly)
/// with NJsonSchema, plus the SPDX rules its schema does not encode (ID syntax, uniqueness, dangling references).
/// </summary>
internal static class SbomAssertions
{
    private static readonly string SchemaDirectory = Path.Combine(AppContext.BaseDirectory, "schemas");

    // CycloneDX $refs spdx.schema.json and jsf-0.82.schema.json by relative name: loading from the file resolves them locally.
    private static readonly Lazy<JsonSchema> CycloneDxSchema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(SchemaDirectory, "cyclonedx-bom-1.6.schema.json")).GetAwaiter().GetResult());

    private static readonly Lazy<JsonSchema> SpdxSchema = new(() =>
        JsonSchema.FromFileAsync(Path.Combine(SchemaDirectory, "spdx-2.3.schema.json")).GetAwaiter().GetResult());

    public static IReadOnlyList<string> CycloneDxErrors(byte[] json) =>
        CycloneDxSchema.Value.Validate(System.Text.Encoding.UTF8.GetString(json)).Select(e => e.ToString()).ToArray();

    public static IReadOnlyList<string> SpdxSchemaErrors(byte[] json) =>
        SpdxSchema.Value.Validate(System.Text.Encoding.UTF8.GetString(json)).Select(e => e.ToString()).ToArray();

    public static void ValidCycloneDx(byte[] json)
    {
        var errors = CycloneDxErrors(json);
        Assert.True(errors.Count == 0, "CycloneDX schema errors:\n" + string.Join("\n", errors));
        var bom = Parse(json);
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

    public static void ValidSpdx(byte[] json)
    {
        var errors = SpdxSchemaErrors(json);
        Assert.True(errors.Count == 0, "SPDX schema errors:\n" + string.Join("\n", errors));
        var document = Parse(json);
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
        Assert.Matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", (string)document["creationInfo"]!["created"]!);
        Assert.True(Uri.TryCreate((string)document["documentNamespace"]!, UriKind.Absolute, out _));
        Assert.DoesNotContain("#", (string)document["documentNamespace"]!);
    }

    public static JsonObject Parse(byte[] json) => JsonNode.Parse(json)!.AsObject();

    public static JsonObject SpdxPackageByPurl(JsonObject document, string purl) =>
        document["packages"]!.AsArray().Select(p => p!.AsObject())
            .Single(p => p["externalRefs"]?.AsArray().Any(r => (string)r!["referenceLocator"]! == purl) == true);

    public static string SpdxIdByPurl(JsonObject document, string purl) => (string)SpdxPackageByPurl(document, purl)["SPDXID"]!;

    /// <summary>Relationships of one type as (from, to) pairs of SPDX IDs.</summary>
    public static HashSet<(string From, string To)> SpdxRelationships(JsonObject document, string type) =>
        document["relationships"]!.AsArray()
            .Where(r => (string)r!["relationshipType"]! == type)
            .Select(r => ((string)r!["spdxElementId"]!, (string)r["relatedSpdxElement"]!))
            .ToHashSet();

    public static IReadOnlyList<string> CycloneDxDependsOn(JsonObject bom, string reference) =>
        bom["dependencies"]!.AsArray().Single(d => (string)d!["ref"]! == reference)!["dependsOn"]!.AsArray().Select(d => (string)d!).ToArray();

    public static string Hex(string base64) => Convert.ToHexString(Convert.FromBase64String(base64.Trim())).ToLowerInvariant();

    public static JsonElement Element(byte[] json) => JsonDocument.Parse(json).RootElement.Clone();
}
