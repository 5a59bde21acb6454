using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.IO;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Outputs;

/// <summary>Makes the further attestations of a signing from the covered files (their names and digests, in the same order).</summary>
public delegate IReadOnlyList<AttestationDocument> AttestationFactory(IReadOnlyList<string> names, IReadOnlyList<FileDigest> digests);

public sealed record OutputSigningRequest(
    string Directory,
    OutputDescription Description,
    IReadOnlyList<string>? ExcludedDirectories = null,
    string? DigestCacheFile = null)
{
    /// <summary>Digests the covered files need beyond SHA-256 (SPDX wants SHA-1 for every file).</summary>
    public DigestAlgorithms Algorithms { get; init; } = DigestAlgorithms.Sha256;

    public AttestationFactory? Attestations { get; init; }

    /// <summary>An RFC 3161 timestamp authority whose token each new signature carries.</summary>
    public Uri? TimestampUrl { get; init; }

    /// <summary>Transparency log and audit log for every new signature (null: neither).</summary>
    public Transparency.SigningRecorder? Recorder { get; init; }

    /// <summary>Sign links to files outside the directory (their target and its content) instead of refusing them.</summary>
    public bool AllowExternalLinks { get; init; }

    /// <summary>
    /// A fingerprint of everything <see cref="Attestations"/> makes apart from the covered files and volatile fields (see
    /// <see cref="BuildAttestations.InputFingerprint"/>). With it, and a <see cref="DigestCacheFile"/>, a signing whose every
    /// input is unchanged ends after one scan of the folder (see <see cref="OutputSigningResult.UpToDate"/>); without it, a
    /// signing with attestations always takes the full path.
    /// </summary>
    public string? AttestationInputs { get; init; }

    /// <summary>Files changed this close to a scan are not trusted to keep their stamp (tests set it to zero).</summary>
    internal TimeSpan RacyWindow { get; init; } = SigningState.DefaultRacyWindow;
}

public sealed record OutputSigningResult(
    int FileCount,
    int FilesRead,
    IReadOnlyList<string> BundlesWritten,
    IReadOnlyList<string> BundlesUnchanged,
    string ManifestPath,
    IReadOnlyList<string> Documents)
{
    /// <summary>Another project whose output this folder held when it was signed before (a folder shared by projects).</summary>
    public string? PreviousProject { get; init; }

    /// <summary>Subfolders left out because each holds a valid signature of its own by the same key.</summary>
    public IReadOnlyList<string> SignedDirectories { get; init; } = [];

    /// <summary>
    /// Every input and every file in .buildsigning/ matched the state the last signing saved: the result was taken from it
    /// without hashing a file, building a document or verifying a signature.
    /// </summary>
    public bool UpToDate { get; init; }

    public IEnumerable<string> AllFiles => BundlesWritten.Concat(BundlesUnchanged).Append(ManifestPath).Concat(Documents);
}

/// <summary>
/// Signs every file of an output directory: one in-toto statement per 1024 files, each a DSSE Sigstore bundle,
/// plus any further attestations (SBOMs, provenance) over the same files, every part of each bound to the same manifest.
/// A bundle whose statement would not change is left untouched (same bytes, same timestamp).
/// </summary>
public static class OutputSigner
{
    private static readonly JsonSerializerOptions DocumentFormat = new() { WriteIndented = true };

    public static OutputSigningResult Sign(OutputSigningRequest request, SigningKey key)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(request.Directory));
        if (!Directory.Exists(root)) throw Errors.OutputDirectoryMissing(root);
        string attestationDirectory = SignedOutputLayout.AttestationDirectory(root);
        Directory.CreateDirectory(attestationDirectory);

        using var directoryLock = DirectoryLock.Acquire(attestationDirectory);

        var lazyCache = new Lazy<DigestCache>(() => DigestCache.Load(request.DigestCacheFile));
        var requested = SignedOutputLayout.ExcludedInside(root, request.ExcludedDirectories);
        long scannedTicks = DateTime.UtcNow.Ticks;
        // A subfolder is left out as signed on its own only when its signature verifies with this key now: a copied or
        // empty .buildsigning/ must not hide files from this signature.
        var tree = OutputTree.Scan(root, requested.Select(e => SignedOutputLayout.FullPath(root, e)),
            subdirectory => VerifiesOnItsOwn(subdirectory, key, lazyCache.Value));
        RefuseWhatCannotBeSigned(root, tree, request.AllowExternalLinks);

        // Nothing changed since the last signing (its state says so, and .buildsigning/ still holds what it wrote): done.
        string? statePath = SigningState.PathFor(request.DigestCacheFile);
        string? inputs = statePath is null ? null : SigningState.Fingerprint(root, request, key, requested, tree);
        if (statePath is not null && inputs is not null && SigningState.TryLoad(statePath) is { } state
            && !SigningState.AnyRacy(tree, state.ScannedTicks, request.RacyWindow) && state.Matches(inputs, attestationDirectory, request.RacyWindow, out var restamped))
        {
            try
            {
                restamped?.Save(statePath);
            }
            catch (BuildSigningException)
            {
                // Only a saving of work: the next run reads those files again.
            }
            string Full(SigningState.Output o) => Path.Combine(attestationDirectory, o.Name);
            return new OutputSigningResult(state.FileCount, 0, [],
                state.Outputs.Where(o => o.Role == SigningState.Role.Bundle).Select(Full).ToArray(),
                SignedOutputLayout.ManifestPath(root),
                state.Outputs.Where(o => o.Role == SigningState.Role.Document).Select(Full).ToArray())
            {
                SignedDirectories = tree.SubdirectoriesWithSignatures,
                UpToDate = true,
            };
        }
        // From here on the folder may change: a state left from before must not describe it.
        if (statePath is not null) AtomicFile.TryDelete(statePath);

        string? previousProject = SignedProject(attestationDirectory);
        var cache = lazyCache.Value;
        var names = tree.Files;
        var digests = cache.DigestFiles(names.Select(n => SignedOutputLayout.FullPath(root, n)).ToArray(), tree.Stamps, request.Algorithms | DigestAlgorithms.Sha256, out int filesRead);
        var subjects = names.Select((n, i) => new Subject(n, digests[i].Sha256Hex)).ToArray();

        byte[] manifest = SignedOutputLayout.FormatManifest(subjects.Select(s => (s.Name, s.Sha256Hex)));
        string manifestSha256 = Hex.Lower(SHA256.HashData(manifest));
        var manifestSubject = new Subject(SignedOutputLayout.ManifestSubjectName, manifestSha256);

        // An empty folder has nothing to attest (a statement needs at least one subject): leave no signature behind.
        var documents = subjects.Length > 0 && request.Attestations is { } factory ? factory(names, digests) : [];
        var scope = new SignedScope(requested, tree.SubdirectoriesWithSignatures, tree.EmptyDirectories, tree.Links,
            documents.Select(d => d.Name).Order(StringComparer.Ordinal).ToArray());

        var written = new List<string>();
        var unchanged = new List<string>();
        var documentPaths = new List<string>();
        var signer = new StatementWriter(key, request.TimestampUrl, written, unchanged, request.Recorder);

        int parts = PartCount(subjects.Length, InTotoStatement.MaxSubjects);
        for (int part = 1; part <= parts; part++)
        {
            var statement = new InTotoStatement(Part(subjects, part, InTotoStatement.MaxSubjects), SignedOutputLayout.PredicateType,
                request.Description.ToPredicate(manifestSha256, subjects.Length, scope, part, parts));
            signer.Write([(Path.Combine(attestationDirectory, SignedOutputLayout.FilesBundleName(part, parts)), statement)], []);
        }

        // Each further attestation is one statement that names the manifest as a subject, which binds it to this signing (one
        // left from an earlier build names another manifest digest). Up to 1023 files it names every file as well, so a
        // standard verifier finds any single file in it; above that its one subject is the manifest, which binds every file
        // through the file statements, and the document (an SBOM lists every file with its digests) is signed once, not
        // repeated per 1023 files.
        var attestationSubjects = subjects.Length <= MaxFilesNamedByAttestation ? [.. subjects, manifestSubject] : new[] { manifestSubject };
        foreach (var document in documents)
        {
            var statements = new[]
            {
                (Path.Combine(attestationDirectory, SignedOutputLayout.BundleName(document.Name, 1, 1)),
                    new InTotoStatement(attestationSubjects, document.PredicateType, (JsonObject)document.Predicate.DeepClone())),
            };
            var signed = signer.Write(statements, document.VolatilePaths);
            if (document.WriteDocument)
            {
                // The document beside the bundles is always the signed predicate, also when an older signature was kept.
                string path = Path.Combine(attestationDirectory, document.Name + ".json");
                AtomicFile.WriteIfChanged(path, [.. JsonSerializer.SerializeToUtf8Bytes(signed.Predicate, DocumentFormat), (byte)'\n']);
                documentPaths.Add(path);
            }
        }

        // The sha256sum manifest goes last: until the statements that sign it are written, it must not claim anything.
        string manifestPath = SignedOutputLayout.ManifestPath(root);
        AtomicFile.WriteIfChanged(manifestPath, manifest);

        // Approvals (buildsign approve) sign these statements' payloads: they stay while no statement changed.
        var current = written.Concat(unchanged).Concat(documentPaths).Append(manifestPath);
        if (written.Count == 0) current = current.Append(Path.Combine(attestationDirectory, Gate.ApprovalLayout.DirectoryName));
        DeleteStaleEntries(attestationDirectory, current);
        if (request.DigestCacheFile is { Length: > 0 } cacheFile) cache.Save(cacheFile);
        if (statePath is not null && inputs is not null)
        {
            SigningState.Save(statePath, inputs, scannedTicks, subjects.Length, attestationDirectory,
                written.Concat(unchanged).Select(p => (p, SigningState.Role.Bundle))
                    .Concat(documentPaths.Select(p => (p, SigningState.Role.Document)))
                    .Append((manifestPath, SigningState.Role.Manifest)));
        }
        return new OutputSigningResult(subjects.Length, filesRead, written, unchanged, manifestPath, documentPaths)
        {
            PreviousProject = previousProject is not null && !string.IsNullOrEmpty(request.Description.Project)
                && !string.Equals(previousProject, request.Description.Project, StringComparison.Ordinal) ? previousProject : null,
            SignedDirectories = tree.SubdirectoriesWithSignatures,
        };
    }

    /// <summary>
    /// The most files a further attestation names one by one: with the manifest subject, a statement's 1024 places. A larger
    /// output's attestations name only the manifest.
    /// </summary>
    internal const int MaxFilesNamedByAttestation = InTotoStatement.MaxSubjects - 1;

    private static bool VerifiesOnItsOwn(string directory, SigningKey key, DigestCache cache)
    {
        try
        {
            return OutputVerifier.Verify(directory, [key.PublicKey], paths => cache.DigestFiles(paths, DigestAlgorithms.Sha256, out _)).Succeeded;
        }
        catch (BuildSigningException)
        {
            return false;
        }
    }

    /// <summary>
    /// Only regular files, links to regular files inside the output (or outside, when allowed) and directories can be signed.
    /// Every entry that cannot is reported, not just the first.
    /// </summary>
    private static void RefuseWhatCannotBeSigned(string root, OutputTree tree, bool allowExternalLinks)
    {
        var refusals = tree.Unsupported.Select(u => Errors.UnsupportedFileInOutput(root, u.Name, u.Description))
            .Concat(tree.LinkedDirectories.Select(d => Errors.LinkedDirectoryInOutput(root, d)))
            .Concat(allowExternalLinks ? [] : tree.ExternalLinks.Select(l => Errors.ExternalLinkInOutput(root, l.Name, l.Target)))
            .ToArray();
        if (refusals.Length == 1) throw refusals[0];
        if (refusals.Length > 1) throw new AggregateException(refusals);
    }

    /// <summary>The project named by the folder's current file statement, read without checking its signature (only a hint).</summary>
    private static string? SignedProject(string attestationDirectory)
    {
        string path = Path.Combine(attestationDirectory, SignedOutputLayout.BundleName(SignedOutputLayout.FilesBundlePrefix, 1, 1));
        if (!File.Exists(path)) path = Path.Combine(attestationDirectory, SignedOutputLayout.BundleName(SignedOutputLayout.FilesBundlePrefix, 1, 2));
        try
        {
            var bundle = File.Exists(path) ? SigstoreBundle.TryParse(File.ReadAllBytes(path), out _) : null;
            var statement = bundle?.Dsse is { } dsse ? InTotoStatement.TryParse(dsse.Payload, out _) : null;
            return statement?.Predicate["project"]?.GetValueKind() == JsonValueKind.String ? (string?)statement.Predicate["project"] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int PartCount(int subjects, int perPart) => (subjects + perPart - 1) / perPart;

    private static Subject[] Part(Subject[] subjects, int part, int perPart) => subjects.Skip((part - 1) * perPart).Take(perPart).ToArray();

    /// <summary>Signs statements into bundles, keeping existing bundles whose statements say the same.</summary>
    private sealed class StatementWriter(SigningKey key, Uri? timestampUrl, List<string> written, List<string> unchanged, Transparency.SigningRecorder? recorder = null)
    {
        /// <summary>
        /// Writes the parts of one statement: all kept when every part is unchanged, else all signed anew (the parts of one
        /// attestation must carry one predicate, volatile fields included). Returns the first part as the bundle now holds it.
        /// </summary>
        public InTotoStatement Write(IReadOnlyList<(string BundlePath, InTotoStatement Statement)> parts, IReadOnlyList<string> volatilePaths)
        {
            var kept = parts.Select(p => TryKeep(p.BundlePath, p.Statement, volatilePaths)).ToArray();
            if (kept.All(k => k is not null))
            {
                unchanged.AddRange(parts.Select(p => p.BundlePath));
                return kept[0]!;
            }
            foreach (var (bundlePath, statement) in parts)
            {
                var bundle = AttestationSigner.SignPayload(InTotoStatement.PayloadType, statement.ToJsonBytes(), key, timestampUrl, recorder, bundlePath);
                AtomicFile.WriteAllBytes(bundlePath, bundle.ToJsonBytes());
                written.Add(bundlePath);
            }
            return parts[0].Statement;
        }

        /// <summary>ECDSA signatures differ on every signing, so "unchanged" means: same statement, same key, and still valid.</summary>
        private InTotoStatement? TryKeep(string bundlePath, InTotoStatement statement, IReadOnlyList<string> volatilePaths)
        {
            if (!File.Exists(bundlePath)) return null;
            try
            {
                var existing = BundleVerifier.VerifyStatement(bundlePath, [key.PublicKey]);
                bool sameMaterial = key.Certificate is null
                    ? existing.Bundle.CertificateDer is null
                    : existing.Bundle.CertificateDer?.AsSpan().SequenceEqual(key.Certificate.RawData) == true;
                bool sameTimestamping = timestampUrl is null || existing.Bundle.Rfc3161Timestamps.Count > 0;
                // Logging switched on since: sign again, so the new signature is logged.
                bool sameLogging = recorder?.TransparencyLogUrl is null || existing.Bundle.TlogEntries.Count > 0;
                if (!sameMaterial || !sameTimestamping || !sameLogging) return null;
                if (volatilePaths.Count == 0)
                {
                    return existing.Bundle.Dsse!.Payload.AsSpan().SequenceEqual(statement.ToJsonBytes()) ? existing.Statement : null;
                }
                return Stable(existing.Statement, volatilePaths).AsSpan().SequenceEqual(Stable(statement, volatilePaths)) ? existing.Statement : null;
            }
            catch (BuildSigningException)
            {
                return null; // Damaged, foreign or differently signed: replace it.
            }
        }

        private static byte[] Stable(InTotoStatement statement, IReadOnlyList<string> volatilePaths) =>
            (statement with { Predicate = AttestationDocument.StablePredicate(statement.Predicate, volatilePaths) }).ToJsonBytes();
    }

    /// <summary>.buildsigning/ belongs to BuildSigning: whatever this signing did not produce is from an older one, or planted.</summary>
    private static void DeleteStaleEntries(string attestationDirectory, IEnumerable<string> current)
    {
        var keep = new HashSet<string>(current.Select(Path.GetFileName)!, StringComparer.Ordinal);
        foreach (string entry in Directory.EnumerateFileSystemEntries(attestationDirectory))
        {
            if (keep.Contains(Path.GetFileName(entry))) continue;
            if (FileKind.Of(entry) == EntryKind.Directory) AtomicFile.TryDeleteDirectory(entry);
            else AtomicFile.TryDelete(entry);
        }
    }
}
