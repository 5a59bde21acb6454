using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Trust;
using NuGet.Packaging;

namespace BuildSigning.Core.Packages;

public sealed record PackageVerificationReport(
    string PackagePath,
    string PackageIdentity,
    string? SignerFingerprint,
    string? SignerSubject,
    bool RootTrustedBySdk,
    DateTimeOffset? Timestamp,
    IReadOnlyList<string> SbomEntries,
    VerificationKey? BundleSigner,
    IReadOnlyList<VerifiedStatement> Attestations,
    VerificationKey? ContentsSigner = null);

/// <summary>
/// Checks a .nupkg (or .snupkg) as `buildsign verify` does: its NuGet author signature (integrity, signature, chain and
/// timestamp, offline), the SBOMs it carries against its own identity, and the Sigstore bundles beside it.
/// </summary>
public static class PackageVerifier
{
    public static PackageVerificationReport Verify(string packagePath, IReadOnlyCollection<VerificationKey> trustedKeys, string? expectedCertificateFingerprint = null)
    {
        packagePath = Path.GetFullPath(packagePath);
        if (!File.Exists(packagePath)) throw Errors.Create("PackageFileMissing", null, packagePath);

        PackageSignatureInspector.InitializeTrustStore();
        string? fingerprint = null, subject = null;
        bool rootTrusted = false;
        DateTimeOffset? trustedTime = null;
        bool pinned = false;
        using (var inspected = PackageSignatureInspector.Open(packagePath))
        {
            if (inspected.ReadError is { } readError) throw Errors.PackageNuGetSignatureInvalid(packagePath, readError);
            if (inspected.Primary is { } primary)
            {
                if (inspected.CheckIntegrity() is { } integrity) throw Errors.PackageNuGetSignatureInvalid(packagePath, integrity);
                var check = inspected.Verify(primary);
                if (!check.Valid && !check.OnlyUntrustedRoot) throw Errors.PackageNuGetSignatureInvalid(packagePath, check.IssuesText);
                fingerprint = Convert.ToHexString(SHA256.HashData(primary.CertificateDer));
                subject = primary.Subject;
                rootTrusted = check.Valid;
                trustedTime = check.TrustedTime;
                if (expectedCertificateFingerprint is { Length: > 0 } expected)
                {
                    if (!string.Equals(expected.Replace(":", "").Trim(), fingerprint, StringComparison.OrdinalIgnoreCase))
                    {
                        throw Errors.PackageCertificateNotExpected(packagePath, fingerprint, expected);
                    }
                    pinned = true;
                }
                if (!rootTrusted && !pinned && trustedKeys.Count == 0)
                {
                    throw Errors.PackageCertificateNotPinned(packagePath, subject, fingerprint, check.IssuesText);
                }
            }
            else if (trustedKeys.Count == 0)
            {
                throw Errors.PackageNotSigned(packagePath);
            }
        }

        // Signed by key inside the package (BuildSigningSignPackage=false, or beside a NuGet signature): restore trusts
        // it through trustedKeys, so verify counts it the same way.
        var carriedSigner = trustedKeys.Count == 0 ? null : PackageContentsSigner.VerifyCarried(packagePath, trustedKeys);
        var (identity, sbomEntries) = CheckEmbeddedSboms(packagePath);
        var (signer, attestations) = trustedKeys.Count == 0 ? (null, []) : VerifyBundles(packagePath, trustedKeys, required: carriedSigner is null);
        // A NuGet signature from an untrusted root counts only when pinned: by fingerprint, or by a trusted key that signed
        // this package's bytes (the bundle beside it) or its entries (the statement inside it).
        if (fingerprint is null && carriedSigner is null && signer is null) throw Errors.PackageNotSigned(packagePath);
        return new PackageVerificationReport(packagePath, identity, fingerprint, subject, rootTrusted, trustedTime, sbomEntries, signer, attestations, carriedSigner);
    }

    /// <summary>Every SBOM under buildsigning/ must describe this package (its id and version) and be well-formed.</summary>
    private static (string Identity, IReadOnlyList<string> Entries) CheckEmbeddedSboms(string packagePath)
    {
        using var reader = new PackageArchiveReader(packagePath);
        var identity = reader.GetIdentity();
        string expected = $"{identity.Id} {identity.Version.ToNormalizedString()}";
        var entries = new List<string>();
        using var zip = ZipFile.OpenRead(packagePath);
        foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith("buildsigning/sbom.", StringComparison.Ordinal) && e.FullName.EndsWith(".json", StringComparison.Ordinal)))
        {
            JsonNode? document;
            using (var stream = entry.Open())
            {
                try { document = JsonNode.Parse(stream); }
                catch (JsonException) { document = null; }
            }
            string describes = Describes(document) ?? "nothing readable";
            if (!string.Equals(describes, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw Errors.PackageSbomMismatch(entry.FullName, packagePath, describes, expected);
            }
            entries.Add(entry.FullName);
        }
        return (expected, entries);
    }

    /// <summary>"Id Version" of the SBOM's root: SPDX's described package, or CycloneDX's metadata.component.</summary>
    private static string? Describes(JsonNode? document)
    {
        if (document?["bomFormat"]?.GetValue<string>() == "CycloneDX")
        {
            var component = document["metadata"]?["component"];
            return component is null ? null : $"{component["name"]} {component["version"]}";
        }
        string? root = (document?["documentDescribes"] as JsonArray)?.FirstOrDefault()?.GetValue<string>()
            ?? (document?["relationships"] as JsonArray)?.FirstOrDefault(r => r?["relationshipType"]?.GetValue<string>() == "DESCRIBES")?["relatedSpdxElement"]?.GetValue<string>();
        var package = (document?["packages"] as JsonArray)?.FirstOrDefault(p => p?["SPDXID"]?.GetValue<string>() == root);
        return package is null ? null : $"{package["name"]} {package["versionInfo"]}";
    }

    private static (VerificationKey?, IReadOnlyList<VerifiedStatement>) VerifyBundles(string packagePath, IReadOnlyCollection<VerificationKey> trustedKeys, bool required)
    {
        string blobPath = PackageAttestor.BlobBundlePath(packagePath);
        if (!File.Exists(blobPath))
        {
            if (required) throw Errors.NoAttestations(packagePath);
            return (null, []);
        }
        VerificationKey signer;
        using (var stream = File.OpenRead(packagePath))
        {
            signer = BundleVerifier.VerifyBlob(blobPath, BundleVerifier.ReadBundle(blobPath), stream, trustedKeys);
        }
        string sha256 = Hex.Lower(SHA256.HashData(File.ReadAllBytes(packagePath)));
        string name = Path.GetFileName(packagePath);
        var attestations = new List<VerifiedStatement>();
        foreach (string path in Directory.EnumerateFiles(Path.GetDirectoryName(packagePath)!, name + ".*" + SigstoreBundle.FileSuffix).Order(StringComparer.Ordinal))
        {
            var verified = BundleVerifier.VerifyStatement(path, trustedKeys);
            if (!verified.Statement.Subjects.Any(s => s.Name == name && s.Sha256Hex == sha256)) throw Errors.AttestationSubjectsMismatch(path, name);
            attestations.Add(verified);
        }
        return (signer, attestations);
    }
}
