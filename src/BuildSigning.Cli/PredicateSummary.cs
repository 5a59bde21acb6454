using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Provenance;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Cli;

/// <summary>One line that says what a statement's predicate holds: what `buildsign verify` and `inspect` print.</summary>
public static class PredicateSummary
{
    public static string Describe(InTotoStatement statement)
    {
        var p = statement.Predicate;
        switch (statement.PredicateType)
        {
            case SignedOutputLayout.PredicateType:
                return $"file manifest ({Text(p["kind"])}): part {p["part"]} of {p["parts"]}, {Field(p, "manifest", "files")} files";
            case SpdxWriter.PredicateType:
                var packages = (p["packages"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
                var spdxLicenses = packages.Select(x => Text(x["licenseDeclared"])).Where(IsKnown).Distinct().Order(StringComparer.Ordinal);
                return $"SPDX 2.3 SBOM: {packages.Length} packages, {(p["files"] as JsonArray)?.Count ?? 0} files; licenses: {Join(spdxLicenses)}";
            case CycloneDxWriter.PredicateType:
                var components = (p["components"] as JsonArray ?? []).OfType<JsonObject>().ToArray();
                var cdxLicenses = components.SelectMany(c => (c["licenses"] as JsonArray ?? []).OfType<JsonObject>())
                    .Select(l => Text(l["expression"]) ?? Text(Field(l, "license", "id")) ?? Text(Field(l, "license", "name"))).Where(IsKnown).Distinct().Order(StringComparer.Ordinal);
                return $"CycloneDX {Text(p["specVersion"])} SBOM: {components.Length} components, {(p["dependencies"] as JsonArray)?.Count ?? 0} dependency entries; licenses: {Join(cdxLicenses)}";
            case SlsaProvenance.PredicateType:
                return $"SLSA provenance v1: builder {Text(Field(p, "runDetails", "builder", "id"))}, build type {Text(Field(p, "buildDefinition", "buildType"))}, "
                    + $"{(Field(p, "buildDefinition", "resolvedDependencies") as JsonArray)?.Count ?? 0} resolved dependencies";
            default:
                return $"predicate {statement.PredicateType}";
        }
    }

    private static bool IsKnown(string? value) => !string.IsNullOrEmpty(value) && value is not ("NOASSERTION" or "NONE");

    private static string Join(IEnumerable<string?> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? "none declared" : string.Join(", ", list);
    }

    /// <summary>The value at a path of field names, or null where a step is missing or not an object (a predicate is whatever its signer wrote).</summary>
    private static JsonNode? Field(JsonNode? node, params ReadOnlySpan<string> path)
    {
        foreach (string name in path) node = node is JsonObject obj ? obj[name] : null;
        return node;
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}
