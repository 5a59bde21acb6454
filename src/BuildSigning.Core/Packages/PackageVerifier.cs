using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
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
        var sbomEntries = zip.Entries.Where(e => e.FullName.StartsWith("buildsigning/sbom.", StringComparison.Ordinal) && e.FullName.EndsWith(".json", StringComparison.Ordinal)).ToArray();
        Dictionary<string, string>? inventory = null;
        foreach (var entry in sbomEntries)
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
            // A document that lists the package's files (BuildSigning writes the inventory since issue 11) must list exactly
            // its entries, with their SHA-256; one without a file list (older versions) is only checked for its identity.
            if (ListedFiles(document) is { } listed)
            {
                inventory ??= PackageInventory.Read(packagePath, sbomEntries.Select(e => e.FullName).ToArray()).ToDictionary(f => f.RelativePath, f => f.Sha256Hex, StringComparer.Ordinal);
                if (InventoryDifference(listed, inventory) is { } difference) throw Errors.PackageSbomInventoryMismatch(entry.FullName, packagePath, difference);
            }
            entries.Add(entry.FullName);
        }
        return (expected, entries);
    }

    /// <summary>The files an SBOM lists (SPDX files[], CycloneDX file components of the root) by path, with SHA-256; null when it lists none.</summary>
    private static Dictionary<string, string?>? ListedFiles(JsonNode? document)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (document?["bomFormat"]?.GetValue<string>() == "CycloneDX")
        {
            foreach (var file in (document["metadata"]?["component"]?["components"] as JsonArray ?? []).Where(c => c?["type"]?.GetValue<string>() == "file"))
            {
                string? name = file?["name"]?.GetValue<string>();
                if (name is null) continue;
                result[name] = (file!["hashes"] as JsonArray)?.FirstOrDefault(h => h?["alg"]?.GetValue<string>() == "SHA-256")?["content"]?.GetValue<string>();
            }
        }
        else
        {
            foreach (var file in document?["files"] as JsonArray ?? [])
            {
                string? name = file?["fileName"]?.GetValue<string>();
                if (name is null) continue;
                result[name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name] =
                    (file!["checksums"] as JsonArray)?.FirstOrDefault(h => h?["algorithm"]?.GetValue<string>() == "SHA256")?["checksumValue"]?.GetValue<string>();
            }
        }
        return result.Count == 0 ? null : result;
    }

    private static string? InventoryDifference(Dictionary<string, string?> listed, Dictionary<string, string> inventory)
    {
        foreach (var (name, sha256) in inventory.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!listed.TryGetValue(name, out string? declared)) return $"the package has '{name}', which the SBOM does not list.";
            if (!string.Equals(declared, sha256, StringComparison.OrdinalIgnoreCase)) return $"'{name}' has SHA-256 {sha256} in the package, {declared ?? "none"} in the SBOM.";
        }
        string? extra = listed.Keys.Where(k => !inventory.ContainsKey(k)).Order(StringComparer.Ordinal).FirstOrDefault();
        return extra is null ? null : $"the SBOM lists '{extra}', which is not in the package.";
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
