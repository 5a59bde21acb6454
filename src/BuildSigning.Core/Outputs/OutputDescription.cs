using System.Text.Json.Nodes;

namespace BuildSigning.Core.Outputs;

/// <summary>What produced an output directory. Deliberately holds nothing that changes between identical builds.</summary>
public sealed record OutputDescription(
    string Kind,
    string Project,
    string? Configuration = null,
    string? TargetFramework = null,
    string? RuntimeIdentifier = null)
{
    public const string BuildKind = "build";
    public const string PublishKind = "publish";

    internal JsonObject ToPredicate(string manifestSha256, int fileCount, IReadOnlyList<string> excludedDirectories, int part, int parts)
    {
        var predicate = new JsonObject { ["kind"] = Kind, ["project"] = Project };
        if (!string.IsNullOrEmpty(Configuration)) predicate["configuration"] = Configuration;
        if (!string.IsNullOrEmpty(TargetFramework)) predicate["targetFramework"] = TargetFramework;
        if (!string.IsNullOrEmpty(RuntimeIdentifier)) predicate["runtimeIdentifier"] = RuntimeIdentifier;
        predicate["manifest"] = new JsonObject
        {
            ["name"] = $"{SignedOutputLayout.DirectoryName}/{SignedOutputLayout.ManifestFileName}",
            ["digest"] = new JsonObject { ["sha256"] = manifestSha256 },
            ["files"] = fileCount,
        };
        if (excludedDirectories.Count > 0)
        {
            // Nested folders signed on their own (the default publish folder inside bin/): the verifier skips exactly these.
            predicate["excludedDirectories"] = new JsonArray(excludedDirectories.Select(d => (JsonNode)JsonValue.Create(d)!).ToArray());
        }
        predicate["part"] = part;
        predicate["parts"] = parts;
        return predicate;
    }
}
