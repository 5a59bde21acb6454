using System.Security.Cryptography;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.IO;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Outputs;

public sealed record OutputSigningRequest(
    string Directory,
    OutputDescription Description,
    IReadOnlyList<string>? ExcludedDirectories = null,
    string? DigestCacheFile = null);

public sealed record OutputSigningResult(
    int FileCount,
    int FilesRead,
    IReadOnlyList<string> BundlesWritten,
    IReadOnlyList<string> BundlesUnchanged,
    string ManifestPath)
{
    public IEnumerable<string> AllFiles => BundlesWritten.Concat(BundlesUnchanged).Append(ManifestPath);
}

/// <summary>
/// Signs every file of an output directory: one in-toto statement per 1024 files, each a DSSE Sigstore bundle.
/// A bundle whose statement would not change is left untouched (same bytes, same timestamp).
/// </summary>
public static class OutputSigner
{
    public static OutputSigningResult Sign(OutputSigningRequest request, SigningKey key)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(request.Directory));
        if (!Directory.Exists(root)) throw Errors.OutputDirectoryMissing(root);
        string attestationDirectory = SignedOutputLayout.AttestationDirectory(root);
        Directory.CreateDirectory(attestationDirectory);

        using var directoryLock = DirectoryLock.Acquire(attestationDirectory);

        var excluded = SignedOutputLayout.ExcludedInside(root, request.ExcludedDirectories);
        var names = SignedOutputLayout.EnumerateCoveredFiles(root, excluded.Select(e => SignedOutputLayout.FullPath(root, e)), out var linked);
        if (linked.Count > 0) throw Errors.LinkedDirectoryInOutput(root, linked[0]);
        var cache = DigestCache.Load(request.DigestCacheFile);
        var digests = cache.DigestFiles(names.Select(n => SignedOutputLayout.FullPath(root, n)).ToArray(), DigestAlgorithms.Sha256, out int filesRead);
        var subjects = names.Select((n, i) => new Subject(n, digests[i].Sha256Hex)).ToArray();

        byte[] manifest = SignedOutputLayout.FormatManifest(subjects.Select(s => (s.Name, s.Sha256Hex)));
        string manifestSha256 = Hex.Lower(SHA256.HashData(manifest));
        string manifestPath = SignedOutputLayout.ManifestPath(root);
        AtomicFile.WriteIfChanged(manifestPath, manifest);

        // An empty folder has nothing to attest (a statement needs at least one subject): leave no signature behind.
        int parts = (subjects.Length + InTotoStatement.MaxSubjects - 1) / InTotoStatement.MaxSubjects;
        var written = new List<string>();
        var unchanged = new List<string>();
        for (int part = 1; part <= parts; part++)
        {
            var chunk = subjects.Skip((part - 1) * InTotoStatement.MaxSubjects).Take(InTotoStatement.MaxSubjects).ToArray();
            var statement = new InTotoStatement(chunk, SignedOutputLayout.PredicateType,
                request.Description.ToPredicate(manifestSha256, subjects.Length, excluded, part, parts));
            string bundlePath = Path.Combine(attestationDirectory, SignedOutputLayout.FilesBundleName(part, parts));
            (WriteBundleIfStatementChanged(bundlePath, statement, key) ? written : unchanged).Add(bundlePath);
        }

        DeleteStaleBundles(attestationDirectory, written.Concat(unchanged));
        if (request.DigestCacheFile is { Length: > 0 } cacheFile) cache.Save(cacheFile);
        return new OutputSigningResult(subjects.Length, filesRead, written, unchanged, manifestPath);
    }

    /// <summary>ECDSA signatures differ on every signing, so "unchanged" means: same statement, same key, and still valid.</summary>
    internal static bool WriteBundleIfStatementChanged(string bundlePath, InTotoStatement statement, SigningKey key)
    {
        byte[] payload = statement.ToJsonBytes();
        if (File.Exists(bundlePath))
        {
            try
            {
                var existing = BundleVerifier.VerifyStatement(bundlePath, [key.PublicKey]);
                bool sameMaterial = key.Certificate is null
                    ? existing.Bundle.CertificateDer is null
                    : existing.Bundle.CertificateDer?.AsSpan().SequenceEqual(key.Certificate.RawData) == true;
                if (sameMaterial && existing.Bundle.Dsse!.Payload.AsSpan().SequenceEqual(payload)) return false;
            }
            catch (BuildSigningException)
            {
                // Damaged, foreign or differently signed: replace it.
            }
        }
        var bundle = AttestationSigner.SignPayload(InTotoStatement.PayloadType, payload, key);
        AtomicFile.WriteAllBytes(bundlePath, bundle.ToJsonBytes());
        return true;
    }

    private static void DeleteStaleBundles(string attestationDirectory, IEnumerable<string> current)
    {
        var keep = new HashSet<string>(current.Select(Path.GetFileName)!, StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(attestationDirectory))
        {
            string name = Path.GetFileName(file);
            if (SignedOutputLayout.IsFilesBundleName(name) && !keep.Contains(name)) AtomicFile.TryDelete(file);
        }
    }
}
