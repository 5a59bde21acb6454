using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Sbom;

/// <summary>The shared schema validation (TestSupport's SbomValidation) for byte documents, and lookups into SBOMs.</summary>
internal static class SbomAssertions
{
    public static IReadOnlyList<string> CycloneDxErrors(byte[] json) => SbomValidation.CycloneDxSchemaErrors(Encoding.UTF8.GetString(json));

    public static IReadOnlyList<string> SpdxSchemaErrors(byte[] json) => SbomValidation.SpdxSchemaErrors(Encoding.UTF8.GetString(json));

    public static void ValidCycloneDx(byte[] json) => SbomValidation.ValidCycloneDx(Encoding.UTF8.GetString(json));

    public static void ValidSpdx(byte[] json) => SbomValidation.ValidSpdx(Encoding.UTF8.GetString(json));

    public static JsonObject Parse(byte[] json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>
    /// The SPDX package with this purl, or for "project:&lt;name&gt;@&lt;version&gt;" (the CycloneDX bom-ref of the root and of
    /// project references, which have no purl) the package of that name and version without a purl.
    /// </summary>
    public static JsonObject SpdxPackageByPurl(JsonObject document, string purl)
    {
        var packages = document["packages"]!.AsArray().Select(p => p!.AsObject());
        if (purl.StartsWith("project:", StringComparison.Ordinal))
        {
            string name = purl["project:".Length..purl.LastIndexOf('@')], version = purl[(purl.LastIndexOf('@') + 1)..];
            return packages.Single(p => (string?)p["name"] == name && (string?)p["versionInfo"] == version && SpdxPurl(p) is null);
        }
        return packages.Single(p => SpdxPurl(p) == purl);
    }

    public static string? SpdxPurl(JsonObject package) =>
        package["externalRefs"]?.AsArray().FirstOrDefault(r => (string)r!["referenceType"]! == "purl")?["referenceLocator"]?.GetValue<string>();

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
