using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Sbom;

/// <summary>Both SBOMs of one target, as written to disk, with the warnings met while reading the restore output.</summary>
public sealed record SbomDocuments(SbomModel Model, byte[] Spdx, byte[] CycloneDx)
{
    public IReadOnlyList<Diagnostic> Warnings => Model.Warnings;

    /// <summary>
    /// Reads obj/project.assets.json for the input's TargetFramework/RuntimeIdentifier and writes both SBOMs.
    /// Throws <see cref="BuildSigningException"/> BS2010 (missing), BS2011 (corrupt) or BS2012 (no such target).
    /// </summary>
    public static SbomDocuments Generate(string assetsPath, SbomInput input, IReadOnlyList<RuntimePackReference>? runtimePacks = null) =>
        Generate(SbomModel.FromAssetsFile(assetsPath, input.TargetFramework, input.RuntimeIdentifier, runtimePacks), input);

    public static SbomDocuments Generate(SbomModel model, SbomInput input) =>
        new(model, SpdxWriter.Write(model, input), CycloneDxWriter.Write(model, input));

    /// <summary>The SPDX document as an in-toto Statement v1 (predicate type https://spdx.dev/Document/v2.3) about the subjects.</summary>
    public InTotoStatement SpdxStatement(IReadOnlyList<Subject> subjects) => Statement(subjects, SpdxWriter.PredicateType, Spdx);

    /// <summary>The CycloneDX BOM as an in-toto Statement v1 (predicate type https://cyclonedx.org/bom) about the subjects.</summary>
    public InTotoStatement CycloneDxStatement(IReadOnlyList<Subject> subjects) => Statement(subjects, CycloneDxWriter.PredicateType, CycloneDx);

    /// <summary>Wraps a JSON document as the predicate of a statement (subjects in the given order; at most 1024).</summary>
    public static InTotoStatement Statement(IReadOnlyList<Subject> subjects, string predicateType, byte[] document)
    {
        if (subjects.Count == 0) throw new ArgumentException("A statement needs at least one subject.", nameof(subjects));
        if (subjects.Count > InTotoStatement.MaxSubjects)
        {
            throw new ArgumentException($"A statement may have at most {InTotoStatement.MaxSubjects} subjects; attest a manifest that lists the files instead.", nameof(subjects));
        }
        var predicate = JsonNode.Parse(document) as JsonObject ?? throw new ArgumentException("The document is not a JSON object.", nameof(document));
        return new InTotoStatement(subjects, predicateType, predicate);
    }
}
