using System.Security.Cryptography;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;

namespace BuildSigning.Core.Packages;

/// <summary>
/// Sigstore bundles beside a package file, over its final bytes (after the NuGet signature):
/// <code>
/// Lib.1.0.0.nupkg.sigstore.json                      message signature over the file (cosign verify-blob)
/// Lib.1.0.0.nupkg.sbom.net10.0.spdx.sigstore.json     DSSE statements whose subject is the package file
/// Lib.1.0.0.nupkg.sbom.net10.0.cdx.sigstore.json
/// Lib.1.0.0.nupkg.provenance.sigstore.json
/// </code>
/// </summary>
public static class PackageAttestor
{
    /// <summary>Where the SBOMs of each target framework go inside the package.</summary>
    public static string SbomPackagePath(string targetFramework, string format) => $"buildsigning/sbom.{targetFramework}.{format}.json";

    public static string BlobBundlePath(string packagePath) => packagePath + SigstoreBundle.FileSuffix;

    public static string StatementBundlePath(string packagePath, string name) => $"{packagePath}.{name}{SigstoreBundle.FileSuffix}";

    /// <summary>
    /// True when the bundles beside the package already sign these exact bytes with this key: pack left the package as it
    /// was (its inputs did not change), so its attestations stand and nothing is signed again.
    /// </summary>
    public static bool IsUpToDate(string packagePath, SigningKey key, bool requireLogEntries = false)
    {
        string blobBundle = BlobBundlePath(packagePath);
        if (!File.Exists(blobBundle)) return false;
        // Transparency logging switched on since: statements signed without a log entry are signed (and logged) again.
        if (requireLogEntries && ExistingBundles(packagePath).Where(b => b != blobBundle)
            .Any(b => SigstoreBundle.TryParse(File.ReadAllBytes(b), out _) is not { Dsse: not null, TlogEntries.Count: > 0 })) return false;
        try
        {
            using var stream = File.OpenRead(packagePath);
            BundleVerifier.VerifyBlob(blobBundle, BundleVerifier.ReadBundle(blobBundle), stream, [key.PublicKey]);
            return true;
        }
        catch (BuildSigningException)
        {
            return false;
        }
    }

    public static IReadOnlyList<string> ExistingBundles(string packagePath) =>
        Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(packagePath))!, Path.GetFileName(packagePath) + "*" + SigstoreBundle.FileSuffix)
            .Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<string> Attest(string packagePath, IReadOnlyList<AttestationDocument> documents, SigningKey key, Uri? timestampUrl, Transparency.SigningRecorder? recorder = null)
    {
        var written = new List<string>();
        string blobBundle = BlobBundlePath(packagePath);
        byte[] sha256;
        byte[] blobBundleJson;
        using (var stream = File.OpenRead(packagePath))
        {
            blobBundleJson = AttestationSigner.SignBlob(stream, key, timestampUrl, recorder, blobBundle).ToJsonBytes();
            stream.Position = 0;
            sha256 = SHA256.HashData(stream);
        }
        // The file's own bundle is written last: when logging a statement fails, no new bundle claims the package is
        // attested, and the next pack (IsUpToDate) signs it again.
        AtomicFile.TryDelete(blobBundle);
        written.Add(blobBundle);

        var subject = new Subject(Path.GetFileName(packagePath), Hex.Lower(sha256));
        foreach (var document in documents)
        {
            string path = StatementBundlePath(packagePath, document.Name);
            var statement = new InTotoStatement([subject], document.PredicateType, document.Predicate);
            AtomicFile.WriteAllBytes(path, AttestationSigner.SignStatement(statement, key, timestampUrl, recorder, path).ToJsonBytes());
            written.Add(path);
        }
        AtomicFile.WriteAllBytes(blobBundle, blobBundleJson);

        // Bundles of an earlier pack of the same file (another target framework list, formats switched off) would
        // otherwise stand beside a package they do not describe.
        string prefix = Path.GetFileName(packagePath) + ".";
        foreach (string stale in Directory.EnumerateFiles(Path.GetDirectoryName(Path.GetFullPath(packagePath))!, prefix + "*" + SigstoreBundle.FileSuffix))
        {
            if (!written.Contains(stale, StringComparer.Ordinal)) AtomicFile.TryDelete(stale);
        }
        return written;
    }
}
