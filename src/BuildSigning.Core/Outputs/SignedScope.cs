using System.Text.Json;
using System.Text.Json.Nodes;

namespace BuildSigning.Core.Outputs;

/// <summary>
/// What a file statement says about an output besides its files, the same in every part: which subfolders are signed on
/// their own, which empty directories and links it holds, and which further attestations belong to it. A verifier trusts
/// no name in .buildsigning/ and no folder left out unless this signed scope names it.
/// </summary>
public sealed record SignedScope(
    IReadOnlyList<string> ExcludedDirectories,
    IReadOnlyList<string> SignedDirectories,
    IReadOnlyList<string> EmptyDirectories,
    IReadOnlyList<OutputLink> Links,
    IReadOnlyList<string> Attestations)
{
    /// <summary>Folders the build asked to leave out (a publish folder inside bin/): each is verified on its own when present.</summary>
    public const string ExcludedField = "excludedDirectories";

    /// <summary>Folders that held a valid signature by the same key when the output was signed: each must still be there and verify.</summary>
    public const string SignedDirectoriesField = "signedDirectories";

    public const string EmptyDirectoriesField = "emptyDirectories";
    public const string LinksField = "links";
    public const string AttestationsField = "attestations";

    public static SignedScope Empty { get; } = new([], [], [], [], []);

    internal void WriteTo(JsonObject predicate)
    {
        if (ExcludedDirectories.Count > 0) predicate[ExcludedField] = Strings(ExcludedDirectories);
        if (SignedDirectories.Count > 0) predicate[SignedDirectoriesField] = Strings(SignedDirectories);
        if (EmptyDirectories.Count > 0) predicate[EmptyDirectoriesField] = Strings(EmptyDirectories);
        if (Links.Count > 0)
        {
            predicate[LinksField] = new JsonArray(Links.Select(l => (JsonNode)new JsonObject { ["name"] = l.Name, ["target"] = l.Target }).ToArray());
        }
        if (Attestations.Count > 0) predicate[AttestationsField] = Strings(Attestations);
    }

    /// <summary>The scope a signed predicate states, or null with the reason when a field is not of its form.</summary>
    internal static SignedScope? Read(JsonObject predicate, out string? problem)
    {
        problem = null;
        var excluded = Names(predicate, ExcludedField, IsSafeRelativePath, ref problem);
        var signed = Names(predicate, SignedDirectoriesField, IsSafeRelativePath, ref problem);
        var empty = Names(predicate, EmptyDirectoriesField, IsSafeRelativePath, ref problem);
        var attestations = Names(predicate, AttestationsField, IsAttestationName, ref problem);
        var links = new List<OutputLink>();
        if (predicate[LinksField] is { } linksNode)
        {
            if (linksNode is not JsonArray array) problem ??= $"'{LinksField}' is not an array.";
            else
            {
                foreach (var item in array)
                {
                    if (Text((item as JsonObject)?["name"]) is { } name && IsSafeRelativePath(name) && Text((item as JsonObject)?["target"]) is { } target) links.Add(new OutputLink(name, target));
                    else problem ??= $"an entry of '{LinksField}' lacks a safe name or a target.";
                }
            }
        }
        return problem is null ? new SignedScope(excluded, signed, empty, links, attestations) : null;
    }

    /// <summary>The scope in one comparable string: every part of one signing states the same.</summary>
    internal string Canonical()
    {
        var node = new JsonObject();
        WriteTo(node);
        return node.ToJsonString();
    }

    /// <summary>A signed name may only lead into the output, never to the output itself or out of it.</summary>
    public static bool IsSafeRelativePath(string name) =>
        name.Length > 0 && !name.StartsWith('/') && !(OperatingSystem.IsWindows() && (name.Contains('\\') || name.Contains(':')))
        && !name.Split('/').Any(part => part is "" or "." or "..");

    /// <summary>An attestation's name is a file stem in .buildsigning/ ("sbom.spdx"), never a path.</summary>
    public static bool IsAttestationName(string name) =>
        name.Length > 0 && name != SignedOutputLayout.FilesBundlePrefix && !name.Contains('/') && !name.Contains('\\') && name is not ("." or "..")
        && !name.EndsWith(".json", StringComparison.Ordinal);

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());

    private static List<string> Names(JsonObject predicate, string field, Func<string, bool> valid, ref string? problem)
    {
        var names = new List<string>();
        if (predicate[field] is not { } node) return names;
        if (node is not JsonArray array)
        {
            problem ??= $"'{field}' is not an array.";
            return names;
        }
        foreach (var item in array)
        {
            if (Text(item) is { } name && valid(name)) names.Add(name);
            else problem ??= $"'{field}' holds '{item?.ToJsonString()}', which is not a safe name.";
        }
        return names;
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}
