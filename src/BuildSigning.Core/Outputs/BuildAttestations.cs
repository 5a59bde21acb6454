using System.Text.Json.Nodes;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.Provenance;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Core.Outputs;

/// <summary>Which attestations a publish (or pack) adds beside the file statement, and what they describe.</summary>
public sealed record BuildAttestationOptions
{
    public required string AssetsFile { get; init; }
    public bool WriteSpdx { get; init; } = true;
    public bool WriteCycloneDx { get; init; } = true;
    public bool WriteProvenance { get; init; } = true;

    /// <summary>Everything the SBOMs say about the project; Files and Created are filled in here.</summary>
    public required SbomInput Sbom { get; init; }

    /// <summary>Everything the provenance says about the build; Packages and FinishedOn are filled in here.</summary>
    public required ProvenanceInput Provenance { get; init; }

    public IReadOnlyList<RuntimePackReference>? RuntimePacks { get; init; }
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
}

/// <summary>Builds the SPDX, CycloneDX and SLSA provenance attestation documents of one build.</summary>
public static class BuildAttestations
{
    public const string SpdxName = "sbom.spdx";
    public const string CycloneDxName = "sbom.cdx";
    public const string ProvenanceName = "provenance";

    // Fields that record when a document was made, not what it says (documentNamespace and serialNumber are derived from
    // the content including the time).
    private static readonly string[] SpdxVolatile = ["creationInfo/created", "documentNamespace"];
    private static readonly string[] CycloneDxVolatile = ["serialNumber", "metadata/timestamp"];
    private static readonly string[] ProvenanceVolatile = ["runDetails/metadata"];

    /// <summary>The documents for a published folder: SBOMs list every published file with SHA-256 and SHA-1.</summary>
    public static IReadOnlyList<AttestationDocument> ForFiles(BuildAttestationOptions options, IReadOnlyList<string> names,
        IReadOnlyList<FileDigest> digests, ICollection<Diagnostic> warnings)
    {
        var files = names.Select((n, i) => new SbomFile(n, digests[i].Sha256Hex, Hex.Lower(digests[i].Sha1 ?? throw new InvalidOperationException("SHA-1 digests are needed for the SBOM."))))
            .ToArray();
        return Create(options, files, warnings);
    }

    /// <summary>
    /// A fingerprint of everything the documents would say apart from the files they list and their volatile fields (creation
    /// times, run ids): the documents are made for an empty file list, so everything they read (the assets file, the packages'
    /// folders, the source commit, the builder, the environment) is read again, at a cost that grows with the packages, not the
    /// files. Two builds with equal fingerprints and equal files make documents that differ at most in volatile fields.
    /// </summary>
    public static string InputFingerprint(BuildAttestationOptions options, ICollection<Diagnostic> warnings)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var document in Create(options, [], warnings))
        {
            var stable = AttestationDocument.StablePredicate(document.Predicate, document.VolatilePaths);
            var entry = new JsonObject
            {
                ["name"] = document.Name,
                ["predicateType"] = document.PredicateType,
                ["writeDocument"] = document.WriteDocument,
                ["volatile"] = new JsonArray([.. document.VolatilePaths.Select(p => (JsonNode?)JsonValue.Create(p))]),
                ["predicate"] = stable,
            };
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(entry.ToJsonString()));
            hash.AppendData("\n"u8);
        }
        return Hex.Lower(hash.GetHashAndReset());
    }

    public static IReadOnlyList<AttestationDocument> Create(BuildAttestationOptions options, IReadOnlyList<SbomFile>? files, ICollection<Diagnostic> warnings)
    {
        var documents = new List<AttestationDocument>();
        if (!options.WriteSpdx && !options.WriteCycloneDx && !options.WriteProvenance) return documents;

        var created = SourceDateEpoch.Resolve(options.Environment, DateTimeOffset.UtcNow, out var epochWarning);
        if (epochWarning is not null) warnings.Add(epochWarning);

        var sbom = SbomDocuments.Generate(options.AssetsFile, options.Sbom with { Files = files, Created = created }, options.RuntimePacks);
        foreach (var warning in sbom.Warnings) warnings.Add(warning);

        if (options.WriteSpdx) documents.Add(new AttestationDocument(SpdxName, SpdxWriter.PredicateType, Parse(sbom.Spdx), SpdxVolatile, WriteDocument: true));
        if (options.WriteCycloneDx) documents.Add(new AttestationDocument(CycloneDxName, CycloneDxWriter.PredicateType, Parse(sbom.CycloneDx), CycloneDxVolatile, WriteDocument: true));
        if (options.WriteProvenance) documents.Add(ProvenanceDocument(options.Provenance, sbom.Model.Components, options.Environment, warnings));
        return documents;
    }

    /// <summary>The SLSA provenance; with SOURCE_DATE_EPOCH its times are that instant, so equal inputs give equal bytes.</summary>
    public static AttestationDocument ProvenanceDocument(ProvenanceInput provenance, IReadOnlyList<SbomComponent> packages,
        Func<string, string?> environment, ICollection<Diagnostic> warnings)
    {
        var now = DateTimeOffset.UtcNow;
        var created = SourceDateEpoch.Resolve(environment, now, out var epochWarning);
        if (epochWarning is not null && !warnings.Any(w => w.Formatted == epochWarning.Formatted)) warnings.Add(epochWarning);
        bool reproducible = !string.IsNullOrWhiteSpace(environment(SourceDateEpoch.VariableName)) && epochWarning is null;
        var input = provenance with
        {
            Packages = packages,
            StartedOn = reproducible ? created : provenance.StartedOn,
            FinishedOn = reproducible ? created : now,
        };
        return new AttestationDocument(ProvenanceName, SlsaProvenance.PredicateType, SlsaProvenance.BuildPredicate(input), ProvenanceVolatile, WriteDocument: false);
    }

    private static JsonObject Parse(byte[] document) => (JsonObject)JsonNode.Parse(document)!;
}
