using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Outputs;

public enum FileProblemKind
{
    Modified,
    Missing,
    Unexpected,
}

public sealed record FileProblem(FileProblemKind Kind, string Name, string? SignedSha256 = null, string? ActualSha256 = null)
{
    public Diagnostic ToDiagnostic() => Kind switch
    {
        FileProblemKind.Modified => new Diagnostic("SignedFileModified", [Name, SignedSha256, ActualSha256]),
        FileProblemKind.Missing => new Diagnostic("SignedFileMissing", [Name]),
        _ => new Diagnostic("UnsignedFileFound", [Name]),
    };
}

public sealed record OutputVerificationReport(
    string Directory,
    IReadOnlyList<VerifiedStatement> FileStatements,
    int FilesChecked,
    IReadOnlyList<FileProblem> Problems)
{
    /// <summary>SBOMs, provenance and other statements over the same files, each signature verified.</summary>
    public IReadOnlyList<VerifiedStatement> Attestations { get; init; } = [];

    public bool Succeeded => Problems.Count == 0;
    public JsonObject Predicate => FileStatements[0].Statement.Predicate;
}

/// <summary>Checks a signed output directory: every bundle's signature, the completeness of the signed manifest, and every file.</summary>
public static class OutputVerifier
{
    public static OutputVerificationReport Verify(string directory, IReadOnlyCollection<VerificationKey> trustedKeys)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!Directory.Exists(root)) throw Errors.OutputDirectoryMissing(root);
        string attestationDirectory = SignedOutputLayout.AttestationDirectory(root);
        var allBundles = Directory.Exists(attestationDirectory)
            ? Directory.EnumerateFiles(attestationDirectory, "*" + SigstoreBundle.FileSuffix).Order(StringComparer.Ordinal).ToArray()
            : [];
        var bundlePaths = allBundles.Where(p => SignedOutputLayout.IsFilesBundleName(Path.GetFileName(p))).ToArray();
        if (bundlePaths.Length == 0) throw Errors.NoAttestations(root);

        var statements = bundlePaths.Select(p => BundleVerifier.VerifyStatement(p, trustedKeys)).ToArray();
        var signed = CollectSignedFiles(attestationDirectory, statements, out var excluded);
        var attestations = allBundles.Except(bundlePaths).Select(p => VerifyAttestation(p, signed, trustedKeys)).ToArray();

        var actualNames = SignedOutputLayout.EnumerateCoveredFiles(root, excluded.Select(e => SignedOutputLayout.FullPath(root, e)), out var linked);
        var digests = FileDigester.DigestFiles(actualNames.Select(n => SignedOutputLayout.FullPath(root, n)).ToArray());
        var problems = new List<FileProblem>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < actualNames.Count; i++)
        {
            string name = actualNames[i];
            seen.Add(name);
            if (!signed.TryGetValue(name, out string? expected)) problems.Add(new FileProblem(FileProblemKind.Unexpected, name));
            else if (expected != digests[i].Sha256Hex) problems.Add(new FileProblem(FileProblemKind.Modified, name, expected, digests[i].Sha256Hex));
        }
        problems.AddRange(linked.Select(n => new FileProblem(FileProblemKind.Unexpected, n + "/")));
        problems.AddRange(signed.Keys.Where(n => !seen.Contains(n)).Order(StringComparer.Ordinal).Select(n => new FileProblem(FileProblemKind.Missing, n)));
        problems.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new OutputVerificationReport(root, statements, actualNames.Count, problems) { Attestations = attestations };
    }

    /// <summary>
    /// A further attestation must be signed by a trusted key and be about exactly the signed files; a document written
    /// beside it (sbom.spdx.json for sbom.spdx.sigstore.json) must say what the signed predicate says.
    /// </summary>
    private static VerifiedStatement VerifyAttestation(string bundlePath, IReadOnlyDictionary<string, string> signedFiles, IReadOnlyCollection<VerificationKey> trustedKeys)
    {
        var verified = BundleVerifier.VerifyStatement(bundlePath, trustedKeys);
        foreach (var subject in verified.Statement.Subjects)
        {
            if (!signedFiles.TryGetValue(subject.Name, out string? digest) || digest != subject.Sha256Hex)
            {
                throw Errors.AttestationSubjectsMismatch(bundlePath, subject.Name);
            }
        }
        string stem = Path.GetFileName(bundlePath)[..^SigstoreBundle.FileSuffix.Length];
        string documentPath = Path.Combine(Path.GetDirectoryName(bundlePath)!, stem + ".json");
        if (File.Exists(documentPath))
        {
            JsonNode? document;
            try
            {
                document = JsonNode.Parse(File.ReadAllBytes(documentPath));
            }
            catch (JsonException)
            {
                document = null;
            }
            if (document is null || !JsonNode.DeepEquals(document, verified.Statement.Predicate))
            {
                throw Errors.AttestationDocumentModified(documentPath, bundlePath);
            }
        }
        return verified;
    }

    /// <summary>The union of all parts' subjects, after checking the parts belong to one signed manifest and none is missing.</summary>
    private static Dictionary<string, string> CollectSignedFiles(string attestationDirectory, IReadOnlyList<VerifiedStatement> statements, out IReadOnlyList<string> excluded)
    {
        var parts = new SortedDictionary<int, VerifiedStatement>();
        string? excludedJson = null;
        string? manifestDigest = null;
        int expectedParts = 0;
        foreach (var verified in statements)
        {
            var s = verified.Statement;
            if (s.PredicateType != SignedOutputLayout.PredicateType) throw Errors.BundleMalformed(verified.BundlePath, $"its predicateType is '{s.PredicateType}', not '{SignedOutputLayout.PredicateType}'.");
            string? digest = Text(s.Predicate["manifest"]?["digest"]?["sha256"]);
            int part = Number(s.Predicate["part"]);
            int count = Number(s.Predicate["parts"]);
            if (digest is null || part < 1 || count < part) throw Errors.BundleMalformed(verified.BundlePath, "its predicate lacks the manifest digest or part numbers.");
            manifestDigest ??= digest;
            if (expectedParts == 0) expectedParts = count;
            if (digest != manifestDigest || count != expectedParts) throw Errors.ManifestIncomplete(attestationDirectory, "its parts come from different signings.");
            if (!parts.TryAdd(part, verified)) throw Errors.ManifestIncomplete(attestationDirectory, $"part {part} appears twice.");
            string thisExcluded = s.Predicate["excludedDirectories"]?.ToJsonString() ?? "[]";
            excludedJson ??= thisExcluded;
            if (thisExcluded != excludedJson) throw Errors.ManifestIncomplete(attestationDirectory, "its parts exclude different directories.");
        }
        if (parts.Count != expectedParts) throw Errors.ManifestIncomplete(attestationDirectory, $"{expectedParts - parts.Count} of {expectedParts} parts are missing.");

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var ordered = new List<(string, string)>();
        foreach (var subject in parts.Values.SelectMany(p => p.Statement.Subjects))
        {
            if (!files.TryAdd(subject.Name, subject.Sha256Hex)) throw Errors.ManifestIncomplete(attestationDirectory, $"'{subject.Name}' is signed twice.");
            ordered.Add((subject.Name, subject.Sha256Hex));
        }
        excluded = ParseExcluded(excludedJson ?? "[]");
        string recomputed = Hex.Lower(SHA256.HashData(SignedOutputLayout.FormatManifest(ordered)));
        if (recomputed != manifestDigest) throw Errors.ManifestIncomplete(attestationDirectory, "the signed parts do not add up to the signed manifest.");
        return files;
    }

    private static string[] ParseExcluded(string json) =>
        (JsonNode.Parse(json) as JsonArray ?? []).Select(Text).OfType<string>().Where(IsSafeRelativeDirectory).ToArray();

    /// <summary>A signed exclusion may only name a folder inside the output, never the output itself or a way out of it.</summary>
    private static bool IsSafeRelativeDirectory(string name) =>
        name.Length > 0 && !name.StartsWith('/') && !name.Split('/').Any(part => part is "" or "." or "..");

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static int Number(JsonNode? node) => node?.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue(out int n) ? n : -1;
}
