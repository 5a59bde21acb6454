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

    public IEnumerable<string> AllFiles => BundlesWritten.Concat(BundlesUnchanged).Append(ManifestPath).Concat(Documents);
}

/// <summary>
/// Signs every file of an output directory: one in-toto statement per 1024 files, each a DSSE Sigstore bundle,
/// plus any further attestations (SBOMs, provenance) over the same files.
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
        string? previousProject = SignedProject(attestationDirectory);

        var requested = SignedOutputLayout.ExcludedInside(root, request.ExcludedDirectories);
        var names = SignedOutputLayout.EnumerateCoveredFiles(root, requested.Select(e => SignedOutputLayout.FullPath(root, e)), excludeNestedSignedOutputs: true,
            out var linked, out var nested);
        if (linked.Count > 0) throw Errors.LinkedDirectoryInOutput(root, linked[0]);
        // Folders signed on their own (publish folders, other runtimes' outputs inside bin/) are listed in the signed statement.
        var excluded = requested.Concat(nested).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var cache = DigestCache.Load(request.DigestCacheFile);
        var digests = cache.DigestFiles(names.Select(n => SignedOutputLayout.FullPath(root, n)).ToArray(), request.Algorithms | DigestAlgorithms.Sha256, out int filesRead);
        var subjects = names.Select((n, i) => new Subject(n, digests[i].Sha256Hex)).ToArray();

        byte[] manifest = SignedOutputLayout.FormatManifest(subjects.Select(s => (s.Name, s.Sha256Hex)));
        string manifestSha256 = Hex.Lower(SHA256.HashData(manifest));
        string manifestPath = SignedOutputLayout.ManifestPath(root);
        AtomicFile.WriteIfChanged(manifestPath, manifest);

        var written = new List<string>();
        var unchanged = new List<string>();
        var documents = new List<string>();
        var signer = new StatementWriter(key, request.TimestampUrl, written, unchanged);

        // An empty folder has nothing to attest (a statement needs at least one subject): leave no signature behind.
        int parts = PartCount(subjects.Length);
        for (int part = 1; part <= parts; part++)
        {
            var statement = new InTotoStatement(Part(subjects, part), SignedOutputLayout.PredicateType,
                request.Description.ToPredicate(manifestSha256, subjects.Length, excluded, part, parts));
            signer.Write(Path.Combine(attestationDirectory, SignedOutputLayout.BundleName(SignedOutputLayout.FilesBundlePrefix, part, parts)), statement, []);
        }

        if (subjects.Length > 0 && request.Attestations is { } factory)
        {
            foreach (var document in factory(names, digests))
            {
                InTotoStatement? first = null;
                for (int part = 1; part <= parts; part++)
                {
                    var statement = new InTotoStatement(Part(subjects, part), document.PredicateType, (JsonObject)document.Predicate.DeepClone());
                    first ??= signer.Write(Path.Combine(attestationDirectory, SignedOutputLayout.BundleName(document.Name, part, parts)), statement, document.VolatilePaths);
                }
                if (document.WriteDocument)
                {
                    // The document beside the bundle is always the signed predicate, also when an older signature was kept.
                    string path = Path.Combine(attestationDirectory, document.Name + ".json");
                    AtomicFile.WriteIfChanged(path, [.. JsonSerializer.SerializeToUtf8Bytes(first!.Predicate, DocumentFormat), (byte)'\n']);
                    documents.Add(path);
                }
            }
        }

        DeleteStaleFiles(attestationDirectory, written.Concat(unchanged).Concat(documents).Append(manifestPath));
        if (request.DigestCacheFile is { Length: > 0 } cacheFile) cache.Save(cacheFile);
        return new OutputSigningResult(subjects.Length, filesRead, written, unchanged, manifestPath, documents)
        {
            PreviousProject = previousProject is not null && !string.IsNullOrEmpty(request.Description.Project)
                && !string.Equals(previousProject, request.Description.Project, StringComparison.Ordinal) ? previousProject : null,
        };
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

    private static int PartCount(int subjects) => (subjects + InTotoStatement.MaxSubjects - 1) / InTotoStatement.MaxSubjects;

    private static Subject[] Part(Subject[] subjects, int part) =>
        subjects.Skip((part - 1) * InTotoStatement.MaxSubjects).Take(InTotoStatement.MaxSubjects).ToArray();

    /// <summary>Signs statements into bundles, keeping an existing bundle whose statement says the same.</summary>
    private sealed class StatementWriter(SigningKey key, Uri? timestampUrl, List<string> written, List<string> unchanged)
    {
        /// <summary>Returns the statement the bundle now holds: the new one, or the kept one.</summary>
        public InTotoStatement Write(string bundlePath, InTotoStatement statement, IReadOnlyList<string> volatilePaths)
        {
            if (TryKeep(bundlePath, statement, volatilePaths) is { } kept)
            {
                unchanged.Add(bundlePath);
                return kept;
            }
            var bundle = AttestationSigner.SignPayload(InTotoStatement.PayloadType, statement.ToJsonBytes(), key, timestampUrl);
            AtomicFile.WriteAllBytes(bundlePath, bundle.ToJsonBytes());
            written.Add(bundlePath);
            return statement;
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
                if (!sameMaterial || !sameTimestamping) return null;
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

        private static byte[] Stable(InTotoStatement statement, IReadOnlyList<string> volatilePaths)
        {
            var predicate = (JsonObject)statement.Predicate.DeepClone();
            foreach (string path in volatilePaths) Remove(predicate, path.Split('/'));
            return (statement with { Predicate = predicate }).ToJsonBytes();
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

    /// <summary>.buildsigning/ belongs to BuildSigning: whatever this signing did not produce is from an older one.</summary>
    private static void DeleteStaleFiles(string attestationDirectory, IEnumerable<string> current)
    {
        var keep = new HashSet<string>(current.Select(Path.GetFileName)!, StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(attestationDirectory))
        {
            if (!keep.Contains(Path.GetFileName(file))) AtomicFile.TryDelete(file);
        }
    }
}
