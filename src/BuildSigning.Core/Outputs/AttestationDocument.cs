using System.Text.Json.Nodes;

namespace BuildSigning.Core.Outputs;

/// <summary>
/// A further statement over the same subjects as the file statement (an SBOM, provenance). Its predicate is also
/// written to <c>.buildsigning/&lt;Name&gt;.json</c> when <see cref="WriteDocument"/> is set.
/// </summary>
/// <param name="Name">File stem in .buildsigning/, e.g. "sbom.spdx".</param>
/// <param name="VolatilePaths">
/// Predicate fields that record when, not what (creation time, run ids, content-derived ids that include the time),
/// as '/'-separated paths. A signature whose predicate differs from the new one only there is kept, so an
/// unchanged build re-signs nothing.
/// </param>
public sealed record AttestationDocument(
    string Name,
    string PredicateType,
    JsonObject Predicate,
    IReadOnlyList<string> VolatilePaths,
    bool WriteDocument)
{
    /// <summary>A copy of the predicate without its volatile fields: what decides whether an older signature still says the same.</summary>
    internal static JsonObject StablePredicate(JsonObject predicate, IReadOnlyList<string> volatilePaths)
    {
        var copy = (JsonObject)predicate.DeepClone();
        foreach (string path in volatilePaths) Remove(copy, path.Split('/'));
        return copy;
    }

    private static void Remove(JsonObject node, string[] path)
    {
        for (int i = 0; i < path.Length - 1; i++)
        {
            if (node[path[i]] is not JsonObject child) return;
            node = child;
        }
        node.Remove(path[^1]);
    }
}
