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

    internal JsonObject ToPredicate(string manifestSha256, int fileCount, SignedScope scope, int part, int parts)
    {
        var predicate = new JsonObject { ["kind"] = Kind, ["project"] = Project };
        if (!string.IsNullOrEmpty(Configuration)) predicate["configuration"] = Configuration;
        if (!string.IsNullOrEmpty(TargetFramework)) predicate["targetFramework"] = TargetFramework;
        if (!string.IsNullOrEmpty(RuntimeIdentifier)) predicate["runtimeIdentifier"] = RuntimeIdentifier;
        predicate["manifest"] = new JsonObject
        {
            ["name"] = SignedOutputLayout.ManifestSubjectName,
            ["digest"] = new JsonObject { ["sha256"] = manifestSha256 },
            ["files"] = fileCount,
        };
        scope.WriteTo(predicate);
        predicate["part"] = part;
        predicate["parts"] = parts;
        return predicate;
    }
}
