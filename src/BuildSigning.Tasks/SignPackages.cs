using System.Text.Json.Nodes;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Packages;
using BuildSigning.Core.Sbom;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSigning.Tasks;

/// <summary>
/// After pack: author-signs each .nupkg/.snupkg with a NuGet signature (optionally timestamped), then writes Sigstore
/// bundles beside it over its final bytes: a message signature, the SBOM statements and the provenance.
/// </summary>
public sealed class SignPackages : AttestingTask
{
    /// <summary>@(NuGetPackOutput) items that are .nupkg or .snupkg files.</summary>
    [Required] public ITaskItem[] Packages { get; set; } = [];
    /// <summary>The SBOMs GeneratePackageSbom wrote (and pack embedded).</summary>
    public ITaskItem[] SbomFiles { get; set; } = [];
    public string? TargetFrameworks { get; set; }
    public bool SignPackage { get; set; } = true;
    /// <summary>Embed a statement over the package's entries, signed by the key, before the NuGet signature (trust by key at restore).</summary>
    public bool SignPackageContents { get; set; } = true;
    public string? PackageHashAlgorithm { get; set; }
    public bool OverwritePackageSignature { get; set; }
    public bool OutputFileNamesWithoutVersion { get; set; }
    /// <summary>$(PackageLicenseFile): the licence file inside the package, the packed project's licence when no expression is set.</summary>
    public string? PackageLicenseFile { get; set; }

    [Output] public ITaskItem[] WrittenFiles { get; private set; } = [];

    protected override void ExecuteCore()
    {
        var packages = Packages.Select(p => p.GetMetadata("FullPath")).Where(p => p.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase))
            .Select(FileNuGetWrote).Distinct(StringComparer.Ordinal).ToArray();
        if (packages.Length == 0) return;

        var key = ResolveKey();
        var timestampUrl = ResolveTimestampUrl();

        // Pack skips writing a package whose inputs did not change (reproducible builds, SOURCE_DATE_EPOCH): such a package
        // is still the one signed and attested last time, so it is left alone rather than signed twice.
        var recorder = ResolveRecorder("pack");
        var unchanged = packages.Where(p => PackageAttestor.IsUpToDate(p, key, recorder?.TransparencyLogUrl is not null)).ToHashSet(StringComparer.Ordinal);
        foreach (string package in unchanged) Log.LogMessage(MessageImportance.Normal, $"BuildSigning: {package} is unchanged; its signatures stand.");
        packages = packages.Where(p => !unchanged.Contains(p)).ToArray();
        var written = unchanged.SelectMany(PackageAttestor.ExistingBundles).ToList();
        if (packages.Length == 0)
        {
            WrittenFiles = written.Select(f => (ITaskItem)new TaskItem(f)).ToArray();
            return;
        }
        // Before anything changes a package: a key that cannot author-sign (Ed25519 BS1058, a signer command BS1059).
        Cancellation.ThrowIfCancellationRequested();
        if (SignPackage) PackageSigningIdentity.RequireUsableForPackages(key, KeyConfiguration());
        // The certificate is resolved before any package is changed: a configuration that cannot author-sign (BS6017)
        // fails without leaving a half-signed package behind.
        using var certificate = SignPackage ? PackageSigningIdentity.Resolve(KeyConfiguration()) : null;
        // The embedded SBOMs get the package's real file list before the NuGet signature covers them.
        var sboms = new Dictionary<string, IReadOnlyList<AttestationDocument>>(StringComparer.Ordinal);
        foreach (string package in packages.Where(p => !p.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase)))
        {
            Cancellation.ThrowIfCancellationRequested();
            sboms[package] = EmbedInventory(package);
        }

        // After the SBOMs are final: the statement covers them; the NuGet signature then covers the statement.
        if (SignPackageContents)
        {
            foreach (string package in packages.Where(p => p.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase)))
            {
                Cancellation.ThrowIfCancellationRequested();
                if (PackageContentsSigner.Embed(package, key, timestampUrl, removeNuGetSignature: SignPackage && OverwritePackageSignature, recorder))
                {
                    Log.LogMessage(MessageImportance.Low, $"BuildSigning: signed the entries of {package} with key {key.Id.Hex} ({PackageContentsSigner.EntryName})");
                }
            }
        }

        if (certificate is not null) AuthorSign(packages, certificate, timestampUrl);

        var provenance = Provenance();
        foreach (string package in packages)
        {
            Cancellation.ThrowIfCancellationRequested();
            bool isSymbols = package.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase);
            var documents = isSymbols ? [] : sboms[package].ToList();
            if (!isSymbols && provenance is not null) documents.Add(provenance);
            written.AddRange(PackageAttestor.Attest(package, documents, key, timestampUrl, recorder));
            Log.LogMessage(MessageImportance.Low, $"BuildSigning: attested {package} with key {key.Id.Hex}");
        }
        if (key.IsDevelopmentKey) LogWarning(SigningKeyResolver.DevelopmentKeyWarning(string.Join(", ", packages.Select(Path.GetFileName)), key));
        WrittenFiles = written.Select(f => (ITaskItem)new TaskItem(f)).ToArray();
    }

    /// <summary>
    /// Lists the packed package's entries (with SHA-256 and SHA-1), writes each target framework's SBOMs again with that
    /// inventory and replaces the provisional ones pack embedded. The provisional files in obj/ stay as they are, so an
    /// unchanged project still packs incrementally. Returns the documents as embedded, for the Sigstore bundles.
    /// </summary>
    private IReadOnlyList<AttestationDocument> EmbedInventory(string package)
    {
        if (SbomFiles.Length == 0) return [];
        var unlisted = SbomFiles.Select(f => f.GetMetadata("PackagePath")).Distinct(StringComparer.Ordinal).ToArray();
        string? licenseFile = NullIfEmpty(PackageLicenseFile)?.Replace('\\', '/').TrimStart('/');
        string? licenseText = null;
        using (var zip = System.IO.Compression.ZipFile.OpenRead(package))
        {
            foreach (var item in SbomFiles)
            {
                if (zip.GetEntry(item.GetMetadata("PackagePath")) is null) throw Errors.PackageSbomEntryMissing(package, item.GetMetadata("PackagePath"), item.GetMetadata("TargetFramework"));
            }
            if (licenseFile is not null && zip.GetEntry(licenseFile) is { } licenseEntry && licenseEntry.Length <= MaxLicenseBytes)
            {
                using var reader = new StreamReader(licenseEntry.Open(), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
                licenseText = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
            }
        }
        var inventory = PackageInventory.Read(package, unlisted);

        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var documents = new List<AttestationDocument>();
        // The warnings of these documents were logged when pack's provisional SBOMs were written.
        var warnings = new List<Diagnostic>();
        foreach (var group in SbomFiles.GroupBy(f => f.GetMetadata("TargetFramework"), StringComparer.OrdinalIgnoreCase))
        {
            var options = AttestationOptions("pack", group.Key);
            if (options is null) return [];
            options = options with
            {
                WriteProvenance = false,
                Sbom = options.Sbom with { UnlistedEntries = unlisted, LicenseFile = licenseFile, LicenseFileText = licenseText },
            };
            foreach (var document in BuildAttestations.Create(options, inventory, warnings))
            {
                string format = document.Name == BuildAttestations.SpdxName ? "spdx" : "cdx";
                var item = group.FirstOrDefault(f => f.GetMetadata("Format") == format);
                if (item is null) continue;
                contents[item.GetMetadata("PackagePath")] = GeneratePackageSbom.Serialize(document.Predicate);
                documents.Add(new AttestationDocument(item.GetMetadata("AttestationName"), document.PredicateType, document.Predicate, [], WriteDocument: false));
            }
        }
        PackageInventory.ReplaceEntries(package, contents);
        Log.LogMessage(MessageImportance.Low, $"BuildSigning: listed {inventory.Count} files of {package} in its {contents.Count} embedded SBOM(s).");
        return documents;
    }

    /// <summary>A licence file larger than this is referenced by name only (as for a dependency's).</summary>
    private const int MaxLicenseBytes = 64 * 1024;

    /// <summary>
    /// With OutputFileNamesWithoutVersion, SDKs up to 10.0.4xx still name the versioned file in @(NuGetPackOutput)
    /// (NuGet/Home#12644) while pack writes &lt;PackageId&gt;.nupkg: take the file that exists.
    /// </summary>
    private string FileNuGetWrote(string listed)
    {
        if (File.Exists(listed) || !OutputFileNamesWithoutVersion || NullIfEmpty(PackageId) is not { } id) return listed;
        string versionless = Path.Combine(Path.GetDirectoryName(listed)!, id + Path.GetExtension(listed));
        return File.Exists(versionless) ? versionless : listed;
    }

    private void AuthorSign(string[] packages, CodeSigningCertificate certificate, Uri? timestampUrl)
    {
        var options = new NuGetSignOptions
        {
            TimestampUrl = timestampUrl,
            HashAlgorithm = PackageSigningIdentity.ParseHashAlgorithm(PackageHashAlgorithm),
            Overwrite = OverwritePackageSignature,
        };
        foreach (string package in packages)
        {
            Cancellation.ThrowIfCancellationRequested();
            var result = NuGetPackageSigner.Sign(package, certificate, options);
            foreach (string warning in result.Warnings) Log.LogMessage(MessageImportance.Normal, $"NuGet signing {Path.GetFileName(package)}: {warning}");
            Log.LogMessage(MessageImportance.Normal,
                $"BuildSigning: author-signed {package} (certificate SHA-256 {result.CertificateFingerprint}{(result.Timestamp is { } t ? $", timestamp {t:u}" : ", no timestamp")})");
            if (certificate.IsDevelopmentCertificate)
            {
                LogWarning(DevelopmentCodeSigningCertificate.InUseWarning(package, certificate, DevelopmentKey.DefaultDirectory()));
            }
        }
    }

    /// <summary>SLSA provenance of the pack: every package any target framework resolved.</summary>
    private AttestationDocument? Provenance()
    {
        if (!GenerateProvenance) return null;
        var frameworks = (TargetFrameworks ?? TargetFramework ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var options = AttestationOptions("pack", string.Join(";", frameworks), sbomFormats: "none")!;
        var components = frameworks
            .SelectMany(f => SbomModel.FromAssetsFile(options.AssetsFile, f, null).Components)
            .DistinctBy(c => (c.Kind, c.Key.ToLowerInvariant()))
            .ToArray();
        var warnings = new List<Diagnostic>();
        var document = BuildAttestations.ProvenanceDocument(options.Provenance, components, Environment.GetEnvironmentVariable, warnings);
        foreach (var warning in warnings) LogWarning(warning);
        return document;
    }
}
