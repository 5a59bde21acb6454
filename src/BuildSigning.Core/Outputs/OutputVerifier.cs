using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.IO;
using BuildSigning.Core.Json;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Outputs;

public enum FileProblemKind
{
    /// <summary>A signed file (or link) whose content or target changed.</summary>
    Modified,
    /// <summary>A signed file, empty directory or subfolder signed on its own that is gone.</summary>
    Missing,
    /// <summary>Something no signature covers: a file, an empty directory, a linked directory, an entry in .buildsigning/.</summary>
    Unexpected,
    /// <summary>A FIFO, device, socket or broken link: never read, never signable.</summary>
    Unsupported,
    /// <summary>An SBOM or provenance the signed manifest names that is missing, stale, incomplete or altered.</summary>
    Attestation,
    /// <summary>A subfolder left out as signed on its own whose own signature does not verify.</summary>
    SignedDirectory,
}

/// <summary>One thing verification found wrong, by name (relative to the verified folder) with its coded message.</summary>
public sealed record FileProblem(FileProblemKind Kind, string Name, Diagnostic Diagnostic)
{
    public static FileProblem Modified(string name, string signedSha256, string actualSha256) =>
        new(FileProblemKind.Modified, name, Findings.SignedFileModified(name, signedSha256, actualSha256))
        {
            SignedSha256 = signedSha256,
            ActualSha256 = actualSha256,
        };

    public static FileProblem Missing(string name) => new(FileProblemKind.Missing, name, Findings.SignedFileMissing(name));

    public static FileProblem Unexpected(string name) => new(FileProblemKind.Unexpected, name, Findings.UnsignedFileFound(name));

    public string? SignedSha256 { get; init; }
    public string? ActualSha256 { get; init; }

    public Diagnostic ToDiagnostic() => Diagnostic;

    public override string ToString() => Diagnostic.Formatted;
}

public sealed record OutputVerificationReport(
    string Directory,
    IReadOnlyList<VerifiedStatement> FileStatements,
    int FilesChecked,
    IReadOnlyList<FileProblem> Problems)
{
    /// <summary>SBOMs, provenance and other statements over the same files, each signature verified.</summary>
    public IReadOnlyList<VerifiedStatement> Attestations { get; init; } = [];

    /// <summary>The subfolders left out of this signature because they are signed on their own, each verified in turn.</summary>
    public IReadOnlyList<OutputVerificationReport> SignedDirectories { get; init; } = [];

    public bool Succeeded => Problems.Count == 0 && SignedDirectories.All(d => d.Succeeded);
    public JsonObject Predicate => FileStatements[0].Statement.Predicate;
}

/// <summary>
/// Checks a signed output directory: every bundle's signature, the completeness of the signed manifest, every file, link and
/// empty directory, every attestation the manifest names, every entry of .buildsigning/, and every subfolder signed on its own.
/// </summary>
public static class OutputVerifier
{
    public static OutputVerificationReport Verify(string directory, IReadOnlyCollection<VerificationKey> trustedKeys) =>
        Verify(directory, trustedKeys, paths => FileDigester.DigestFiles(paths));

    /// <summary>As above, with the digests coming from <paramref name="digest"/> (a signer passes its digest cache).</summary>
    internal static OutputVerificationReport Verify(string directory, IReadOnlyCollection<VerificationKey> trustedKeys,
        Func<IReadOnlyList<string>, IReadOnlyList<FileDigest>> digest)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!System.IO.Directory.Exists(root)) throw Errors.OutputDirectoryMissing(root);
        string attestationDirectory = SignedOutputLayout.AttestationDirectory(root);
        var entries = AttestationEntries(attestationDirectory);
        var fileBundles = entries.Where(e => e.Kind == EntryKind.RegularFile && SignedOutputLayout.IsFilesBundleName(e.Name)).Select(e => e.Path).ToArray();
        if (fileBundles.Length == 0) throw Errors.NoAttestations(root);

        var statements = fileBundles.Select(p => BundleVerifier.VerifyStatement(p, trustedKeys)).ToArray();
        var signed = CollectSignedFiles(attestationDirectory, statements);
        var problems = new List<FileProblem>();
        var attestations = VerifyAttestations(attestationDirectory, entries, signed, trustedKeys, problems);

        var tree = OutputTree.Scan(root, signed.Scope.ExcludedDirectories.Concat(signed.Scope.SignedDirectories).Select(e => SignedOutputLayout.FullPath(root, e)));
        int filesChecked = CompareFiles(root, tree, signed, digest, problems);
        var nested = VerifySignedDirectories(root, signed.Scope, trustedKeys, digest, problems);

        problems.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new OutputVerificationReport(root, statements, filesChecked, problems) { Attestations = attestations, SignedDirectories = nested };
    }

    private sealed record AttestationEntry(string Path, string Name, EntryKind Kind);

    private sealed record SignedFiles(
        Dictionary<string, string> Digests,
        IReadOnlyList<(string Name, string Sha256Hex)> Ordered,
        string ManifestSha256,
        SignedScope Scope);

    private static AttestationEntry[] AttestationEntries(string attestationDirectory) =>
        FileKind.Of(attestationDirectory) == EntryKind.Directory
            ? System.IO.Directory.EnumerateFileSystemEntries(attestationDirectory)
                .Select(p => new AttestationEntry(p, Path.GetFileName(p), FileKind.Of(p)))
                .OrderBy(e => e.Name, StringComparer.Ordinal).ToArray()
            : [];

    private static int CompareFiles(string root, OutputTree tree, SignedFiles signed, Func<IReadOnlyList<string>, IReadOnlyList<FileDigest>> digest,
        List<FileProblem> problems)
    {
        var digests = digest(tree.Files.Select(n => SignedOutputLayout.FullPath(root, n)).ToArray());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < tree.Files.Count; i++)
        {
            string name = tree.Files[i];
            seen.Add(name);
            if (!signed.Digests.TryGetValue(name, out string? expected)) problems.Add(FileProblem.Unexpected(name));
            else if (expected != digests[i].Sha256Hex) problems.Add(FileProblem.Modified(name, expected, digests[i].Sha256Hex));
        }
        foreach (var entry in tree.Unsupported)
        {
            seen.Add(entry.Name);
            problems.Add(new FileProblem(FileProblemKind.Unsupported, entry.Name, Findings.UnsupportedFileFound(entry.Name, entry.Description)));
        }
        problems.AddRange(tree.LinkedDirectories.Select(n => FileProblem.Unexpected(n + "/")));
        problems.AddRange(signed.Digests.Keys.Where(n => !seen.Contains(n)).Order(StringComparer.Ordinal).Select(FileProblem.Missing));

        // A link is signed as a link: pointing it elsewhere, or swapping a file for a link, is a change even with equal content.
        var signedLinks = signed.Scope.Links.ToDictionary(l => l.Name, l => l.Target, StringComparer.Ordinal);
        var actualLinks = tree.Links.ToDictionary(l => l.Name, l => l.Target, StringComparer.Ordinal);
        foreach (string name in signed.Digests.Keys.Where(seen.Contains))
        {
            bool wasLink = signedLinks.TryGetValue(name, out string? signedTarget);
            bool isLink = actualLinks.TryGetValue(name, out string? actualTarget);
            if (wasLink == isLink && signedTarget == actualTarget) continue;
            string was = wasLink ? $"a link to '{signedTarget}'" : "a regular file";
            string now = isLink ? $"a link to '{actualTarget}'" : "a regular file";
            problems.Add(new FileProblem(FileProblemKind.Modified, name, Findings.SignedLinkChanged(name, was, now)));
        }

        var signedEmpty = signed.Scope.EmptyDirectories.ToHashSet(StringComparer.Ordinal);
        problems.AddRange(tree.EmptyDirectories.Where(d => !signedEmpty.Remove(d)).Select(d => FileProblem.Unexpected(d + "/")));
        problems.AddRange(signedEmpty.Where(d => FileKind.Of(SignedOutputLayout.FullPath(root, d)) != EntryKind.Directory).Select(d => FileProblem.Missing(d + "/")));
        return tree.Files.Count;
    }

    /// <summary>Each excluded subfolder that is there is verified on its own; one that was signed on its own must be there.</summary>
    private static List<OutputVerificationReport> VerifySignedDirectories(string root, SignedScope scope, IReadOnlyCollection<VerificationKey> trustedKeys,
        Func<IReadOnlyList<string>, IReadOnlyList<FileDigest>> digest, List<FileProblem> problems)
    {
        var reports = new List<OutputVerificationReport>();
        var required = scope.SignedDirectories.ToHashSet(StringComparer.Ordinal);
        foreach (string name in scope.ExcludedDirectories.Concat(scope.SignedDirectories).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            string path = SignedOutputLayout.FullPath(root, name);
            if (FileKind.Of(path) != EntryKind.Directory)
            {
                // Whatever stands there instead (a file, a link) is not excluded and was reported with the files.
                if (required.Contains(name)) problems.Add(new FileProblem(FileProblemKind.Missing, name + "/", Findings.SignedDirectoryMissing(name, root)));
                continue;
            }
            try
            {
                reports.Add(Verify(path, trustedKeys, digest));
            }
            catch (BuildSigningException e)
            {
                problems.Add(new FileProblem(FileProblemKind.SignedDirectory, name + "/", Findings.SignedDirectoryUnverified(name, root, e.Message)));
            }
        }
        return reports;
    }

    /// <summary>
    /// Every attestation the signed scope names must be complete, signed by a trusted key, bound to this signing's manifest
    /// and about exactly the signed files; its document beside it must say what the signature says; nothing else may be in
    /// .buildsigning/ besides the file statements and the sha256sum manifest, which must agree with them.
    /// </summary>
    private static List<VerifiedStatement> VerifyAttestations(string attestationDirectory, AttestationEntry[] entries, SignedFiles signed,
        IReadOnlyCollection<VerificationKey> trustedKeys, List<FileProblem> problems)
    {
        var named = signed.Scope.Attestations.ToHashSet(StringComparer.Ordinal);
        var bundlesByName = new Dictionary<string, string>(StringComparer.Ordinal);
        var documents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            string relative = $"{SignedOutputLayout.DirectoryName}/{entry.Name}";
            // Approvals (buildsign approve) are further signatures over these statements; the deployment gate counts them.
            if (entry.Kind == EntryKind.Directory && entry.Name == Gate.ApprovalLayout.DirectoryName) continue;
            if (entry.Kind != EntryKind.RegularFile)
            {
                problems.Add(new FileProblem(FileProblemKind.Unexpected, relative, Findings.AttestationEntryUnexpected(relative, attestationDirectory)));
            }
            else if (entry.Name == SignedOutputLayout.ManifestFileName || SignedOutputLayout.IsFilesBundleName(entry.Name))
            {
                continue;
            }
            // One bundle per attestation; "<name>.<n>.sigstore.json" parts (an older layout) are not among what a signing writes.
            else if (SignedOutputLayout.TryParseBundleName(entry.Name, out string stem, out _) && named.Contains(stem) && entry.Name == SignedOutputLayout.BundleName(stem, 1, 1))
            {
                bundlesByName[stem] = entry.Path;
            }
            else if (entry.Name.EndsWith(".json", StringComparison.Ordinal) && named.Contains(entry.Name[..^".json".Length]))
            {
                documents[entry.Name[..^".json".Length]] = entry.Path;
            }
            else
            {
                problems.Add(new FileProblem(FileProblemKind.Unexpected, relative, Findings.AttestationEntryUnexpected(relative, attestationDirectory)));
            }
        }

        CheckManifestFile(attestationDirectory, signed, problems);

        var verified = new List<VerifiedStatement>();
        foreach (string name in signed.Scope.Attestations)
        {
            string relative = $"{SignedOutputLayout.DirectoryName}/{name}";
            if (!bundlesByName.TryGetValue(name, out var path))
            {
                problems.Add(new FileProblem(FileProblemKind.Attestation, relative, Findings.AttestationMissing(name, attestationDirectory)));
                continue;
            }
            if (VerifyAttestation(name, path, signed, trustedKeys, problems) is not { } statement) continue;
            verified.Add(statement);
            if (documents.TryGetValue(name, out string? documentPath)) CheckDocument(documentPath, statement, problems);
        }
        return verified;
    }

    /// <summary>
    /// The attestation's statement, or null when a problem was reported. It must name this signing's manifest, and either
    /// every signed file with its digest (up to 1023 files) or nothing else: the manifest binds every file through the file
    /// statements.
    /// </summary>
    private static VerifiedStatement? VerifyAttestation(string name, string path, SignedFiles signed, IReadOnlyCollection<VerificationKey> trustedKeys,
        List<FileProblem> problems)
    {
        string relative = $"{SignedOutputLayout.DirectoryName}/{name}";
        VerifiedStatement verified;
        try
        {
            verified = BundleVerifier.VerifyStatement(path, trustedKeys);
        }
        catch (BuildSigningException e)
        {
            problems.Add(new FileProblem(FileProblemKind.Attestation, relative, e.Diagnostic));
            return null;
        }

        var manifest = verified.Statement.Subjects.Where(s => s.Name == SignedOutputLayout.ManifestSubjectName).ToArray();
        if (manifest.Length != 1 || manifest[0].Sha256Hex != signed.ManifestSha256)
        {
            string attested = manifest.Length == 1 ? manifest[0].Sha256Hex : "none";
            problems.Add(new FileProblem(FileProblemKind.Attestation, relative, Findings.AttestationStale(verified.BundlePath, attested, signed.ManifestSha256)));
            return null;
        }
        var files = verified.Statement.Subjects.Where(s => s.Name != SignedOutputLayout.ManifestSubjectName).ToArray();
        if (files.Length == 0) return verified;

        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var subject in files)
        {
            if (!signed.Digests.TryGetValue(subject.Name, out string? digest) || digest != subject.Sha256Hex || !covered.Add(subject.Name))
            {
                problems.Add(new FileProblem(FileProblemKind.Attestation, relative, Findings.AttestationSubjectsMismatch(verified.BundlePath, subject.Name)));
                return null;
            }
        }
        if (covered.Count != signed.Digests.Count)
        {
            string example = signed.Ordered.First(f => !covered.Contains(f.Name)).Name;
            problems.Add(new FileProblem(FileProblemKind.Attestation, relative,
                Findings.AttestationIncomplete(name, signed.Digests.Count - covered.Count, signed.Digests.Count, example)));
            return null;
        }
        return verified;
    }

    /// <summary>A document written beside an attestation (sbom.spdx.json) must be exactly the signed predicate.</summary>
    private static void CheckDocument(string documentPath, VerifiedStatement signed, List<FileProblem> problems)
    {
        bool same;
        try
        {
            byte[] bytes = File.ReadAllBytes(documentPath);
            // The document is written from the signed predicate, so its tokens are the signed ones in the same order: compared
            // as they stream (an SBOM of 20,000 files is megabytes), and as parsed trees only when they differ.
            same = RawPredicate(signed) is { } raw && JsonTokens.Equal(bytes, raw.Span)
                || JsonNode.Parse(bytes) is { } document && JsonNode.DeepEquals(document, signed.Statement.Predicate);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            same = false;
        }
        if (!same)
        {
            string relative = $"{SignedOutputLayout.DirectoryName}/{Path.GetFileName(documentPath)}";
            problems.Add(new FileProblem(FileProblemKind.Attestation, relative, Findings.AttestationDocumentModified(documentPath, signed.BundlePath)));
        }
    }

    /// <summary>The predicate's value as signed (the payload's one top-level "predicate"), or null when it cannot be told apart.</summary>
    private static ReadOnlyMemory<byte>? RawPredicate(VerifiedStatement statement)
    {
        if (statement.Bundle.Dsse?.Payload is not { } payload) return null;
        var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
        ReadOnlyMemory<byte>? found = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isPredicate = reader.ValueTextEquals("predicate"u8);
            if (!reader.Read()) return null;
            long start = reader.TokenStartIndex;
            reader.Skip();
            if (isPredicate)
            {
                if (found is not null) return null;
                found = payload.AsMemory((int)start, (int)(reader.BytesConsumed - start));
            }
        }
        return found;
    }

    /// <summary>files.sha256 is for sha256sum users: it must list exactly what the signed statements list.</summary>
    private static void CheckManifestFile(string attestationDirectory, SignedFiles signed, List<FileProblem> problems)
    {
        string path = Path.Combine(attestationDirectory, SignedOutputLayout.ManifestFileName);
        string? actual = null;
        if (FileKind.Of(path) == EntryKind.RegularFile)
        {
            try
            {
                actual = Hex.Lower(SHA256.HashData(File.ReadAllBytes(path)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                actual = null;
            }
        }
        if (actual != signed.ManifestSha256)
        {
            problems.Add(new FileProblem(FileProblemKind.Attestation, SignedOutputLayout.ManifestSubjectName,
                Findings.ManifestFileDisagrees(path, actual ?? "no readable file", signed.ManifestSha256)));
        }
    }

    /// <summary>The union of all parts' subjects, after checking the parts belong to one signed manifest and none is missing.</summary>
    private static SignedFiles CollectSignedFiles(string attestationDirectory, IReadOnlyList<VerifiedStatement> statements)
    {
        var parts = new SortedDictionary<int, VerifiedStatement>();
        string? scopeText = null;
        SignedScope? scope = null;
        string? manifestDigest = null;
        int expectedParts = 0;
        foreach (var verified in statements)
        {
            var s = verified.Statement;
            if (s.PredicateType != SignedOutputLayout.PredicateType) throw Errors.BundleMalformed(verified.BundlePath, $"its predicateType is '{s.PredicateType}', not '{SignedOutputLayout.PredicateType}'.");
            string? digest = Text(((s.Predicate["manifest"] as JsonObject)?["digest"] as JsonObject)?["sha256"]);
            int part = Number(s.Predicate["part"]);
            int count = Number(s.Predicate["parts"]);
            if (digest is null || part < 1 || count < part) throw Errors.BundleMalformed(verified.BundlePath, "its predicate lacks the manifest digest or part numbers.");
            var thisScope = SignedScope.Read(s.Predicate, out string? scopeProblem) ?? throw Errors.BundleMalformed(verified.BundlePath, $"its predicate is not of its form: {scopeProblem}");
            manifestDigest ??= digest;
            if (expectedParts == 0) expectedParts = count;
            if (digest != manifestDigest || count != expectedParts) throw Errors.ManifestIncomplete(attestationDirectory, "its parts come from different signings.");
            if (!parts.TryAdd(part, verified)) throw Errors.ManifestIncomplete(attestationDirectory, $"part {part} appears twice.");
            scopeText ??= thisScope.Canonical();
            scope ??= thisScope;
            if (thisScope.Canonical() != scopeText) throw Errors.ManifestIncomplete(attestationDirectory, "its parts describe the output differently.");
        }
        if (parts.Count != expectedParts) throw Errors.ManifestIncomplete(attestationDirectory, $"{expectedParts - parts.Count} of {expectedParts} parts are missing.");

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var ordered = new List<(string, string)>();
        foreach (var subject in parts.Values.SelectMany(p => p.Statement.Subjects))
        {
            if (!SignedScope.IsSafeRelativePath(subject.Name)) throw Errors.ManifestIncomplete(attestationDirectory, $"it signs '{subject.Name}', which is not a name inside the output.");
            if (!files.TryAdd(subject.Name, subject.Sha256Hex)) throw Errors.ManifestIncomplete(attestationDirectory, $"'{subject.Name}' is signed twice.");
            ordered.Add((subject.Name, subject.Sha256Hex));
        }
        string recomputed = Hex.Lower(SHA256.HashData(SignedOutputLayout.FormatManifest(ordered)));
        if (recomputed != manifestDigest) throw Errors.ManifestIncomplete(attestationDirectory, "the signed parts do not add up to the signed manifest.");
        return new SignedFiles(files, ordered, manifestDigest!, scope!);
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private static int Number(JsonNode? node) => node?.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue(out int n) ? n : -1;
}
