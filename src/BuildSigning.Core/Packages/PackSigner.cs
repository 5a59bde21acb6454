using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Core.Packages;

/// <summary>The provenance of a pack: every package any of <paramref name="TargetFrameworks"/> resolved.</summary>
/// <param name="Options">The attestation settings of the pack (asked only when a package is signed).</param>
public sealed record PackProvenance(IReadOnlyList<string> TargetFrameworks, Func<BuildAttestationOptions> Options);

/// <summary>What to sign after pack, and how: the packages pack wrote (.nupkg and .snupkg), the key and its configuration.</summary>
public sealed record PackSigningRequest(IReadOnlyList<string> Packages, SigningKey Key, KeyConfiguration KeyConfiguration)
{
    public Uri? TimestampUrl { get; init; }

    /// <summary>Transparency log and audit log for every new signature (null: neither).</summary>
    public Transparency.SigningRecorder? Recorder { get; init; }

    /// <summary>Author-sign with a NuGet signature (needs a code-signing certificate for the key).</summary>
    public bool SignPackage { get; init; } = true;

    /// <summary>Embed the key-signed statement over the entries (<see cref="PackageContentsSigner.EntryName"/>) before the NuGet signature.</summary>
    public bool SignPackageContents { get; init; } = true;

    public bool OverwritePackageSignature { get; init; }
    public PackageSignatureHashAlgorithm HashAlgorithm { get; init; } = PackageSignatureHashAlgorithm.Sha256;

    /// <summary>The provisional SBOMs pack embedded (<see cref="PackageSboms.WriteProvisional"/>): written again with the package's file list.</summary>
    public IReadOnlyList<PackageSbomFile> SbomFiles { get; init; } = [];

    /// <summary>The attestation settings of one target framework, for the SBOMs (null: no SBOMs are wanted). Asked per package.</summary>
    public Func<string, BuildAttestationOptions?>? SbomOptions { get; init; }

    /// <summary>$(PackageLicenseFile): the licence file inside the package, the packed project's licence when no expression is set.</summary>
    public string? LicenseFile { get; init; }

    /// <summary>Null: no provenance beside the packages.</summary>
    public PackProvenance? Provenance { get; init; }

    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
    public CancellationToken Cancellation { get; init; }

    /// <summary>Reported as they happen (the result holds them too): routine progress is <see cref="PackSigningMessage.Routine"/>.</summary>
    public Action<PackSigningMessage>? OnMessage { get; init; }

    public Action<Diagnostic>? OnWarning { get; init; }

    /// <summary>Moves a rewritten copy over its package (tests count rewrites); null: <see cref="File.Move(string, string, bool)"/>.</summary>
    public Action<string, string>? ReplaceFile { get; init; }
}

/// <summary>A progress line; <see cref="Routine"/> lines are for detailed logs only.</summary>
public sealed record PackSigningMessage(string Text, bool Routine);

public sealed record PackSigningResult(IReadOnlyList<string> WrittenFiles, IReadOnlyList<PackSigningMessage> Messages, IReadOnlyList<Diagnostic> Warnings)
{
    /// <summary>Packages pack left as they were, whose earlier signatures stand.</summary>
    public IReadOnlyList<string> Unchanged { get; init; } = [];
}

/// <summary>
/// Signs what pack wrote. For each package pack actually rewrote, in this order: the embedded SBOMs get the package's
/// file list and the key-signed contents statement is computed over the final entries (one rewrite of the .nupkg), then
/// the NuGet author signature, then the Sigstore bundles beside it over its final bytes (message signature, SBOM
/// statements, provenance). Nothing changes a package before the key and the certificate are known to be usable
/// (BS1058, BS1059, BS6017); cancellation is checked between packages.
/// </summary>
public static class PackSigner
{
    /// <summary>A licence file larger than this is referenced by name only (as for a dependency's).</summary>
    private const int MaxLicenseBytes = 64 * 1024;

    /// <summary>
    /// The .nupkg and .snupkg files among pack's outputs. With OutputFileNamesWithoutVersion, SDKs up to 10.0.4xx still
    /// name the versioned file in @(NuGetPackOutput) (NuGet/Home#12644) while pack writes &lt;PackageId&gt;.nupkg: the file
    /// that exists is taken.
    /// </summary>
    public static IReadOnlyList<string> PackageFiles(IEnumerable<string> packOutputs, bool outputFileNamesWithoutVersion, string? packageId) =>
        packOutputs
            .Where(p => p.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase))
            .Select(p => FileNuGetWrote(p, outputFileNamesWithoutVersion, packageId))
            .Distinct(StringComparer.Ordinal)
            .ToArray();

    private static string FileNuGetWrote(string listed, bool outputFileNamesWithoutVersion, string? packageId)
    {
        if (File.Exists(listed) || !outputFileNamesWithoutVersion || string.IsNullOrWhiteSpace(packageId)) return listed;
        string versionless = Path.Combine(Path.GetDirectoryName(listed)!, packageId + Path.GetExtension(listed));
        return File.Exists(versionless) ? versionless : listed;
    }

    public static PackSigningResult Sign(PackSigningRequest request)
    {
        var run = new Run(request);
        run.Execute();
        return new PackSigningResult(run.Written, run.Messages, run.Warnings) { Unchanged = run.Unchanged };
    }

    private static bool IsSymbols(string package) => package.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase);

    private sealed class Run(PackSigningRequest request)
    {
        public List<string> Written { get; } = [];
        public List<PackSigningMessage> Messages { get; } = [];
        public List<Diagnostic> Warnings { get; } = [];
        public List<string> Unchanged { get; } = [];

        private SigningKey Key => request.Key;

        private void Message(string text, bool routine = true)
        {
            var message = new PackSigningMessage(text, routine);
            Messages.Add(message);
            request.OnMessage?.Invoke(message);
        }

        private void Warning(Diagnostic warning)
        {
            Warnings.Add(warning);
            request.OnWarning?.Invoke(warning);
        }

        public void Execute()
        {
            // Pack skips writing a package whose inputs did not change (reproducible builds, SOURCE_DATE_EPOCH): such a
            // package is still the one signed and attested last time, so it is left alone rather than signed twice.
            bool requireLogEntries = request.Recorder?.TransparencyLogUrl is not null;
            var unchanged = request.Packages.Where(p => PackageAttestor.IsUpToDate(p, Key, requireLogEntries)).ToHashSet(StringComparer.Ordinal);
            foreach (string package in unchanged) Message($"BuildSigning: {package} is unchanged; its signatures stand.", routine: false);
            Unchanged.AddRange(unchanged);
            var packages = request.Packages.Where(p => !unchanged.Contains(p)).ToArray();
            Written.AddRange(unchanged.SelectMany(PackageAttestor.ExistingBundles));
            if (packages.Length == 0) return;

            // Before anything changes a package: a key that cannot author-sign (Ed25519 BS1058, a signer command BS1059).
            request.Cancellation.ThrowIfCancellationRequested();
            if (request.SignPackage) PackageSigningIdentity.RequireUsableForPackages(Key, request.KeyConfiguration);
            // The certificate is resolved before any package is changed: a configuration that cannot author-sign (BS6017)
            // fails without leaving a half-signed package behind.
            using var certificate = request.SignPackage ? PackageSigningIdentity.Resolve(request.KeyConfiguration, request.Environment) : null;

            // One rewrite per package: the embedded SBOMs get the package's real file list, and the statement covers the
            // entries as they then are; the NuGet signature afterwards covers both.
            var sboms = new Dictionary<string, IReadOnlyList<AttestationDocument>>(StringComparer.Ordinal);
            foreach (string package in packages.Where(p => !IsSymbols(p)))
            {
                request.Cancellation.ThrowIfCancellationRequested();
                sboms[package] = RewritePackage(package);
            }

            if (certificate is not null) AuthorSign(packages, certificate);

            var provenance = Provenance();
            foreach (string package in packages)
            {
                request.Cancellation.ThrowIfCancellationRequested();
                var documents = IsSymbols(package) ? [] : sboms[package].ToList();
                if (!IsSymbols(package) && provenance is not null) documents.Add(provenance);
                Written.AddRange(PackageAttestor.Attest(package, documents, Key, request.TimestampUrl, request.Recorder));
                Message($"BuildSigning: attested {package} with key {Key.Id.Hex}");
            }
            if (Key.IsDevelopmentKey) Warning(SigningKeyResolver.DevelopmentKeyWarning(string.Join(", ", packages.Select(Path.GetFileName)), Key));
        }

        /// <summary>The final SBOMs and the contents statement, written into the package in one pass. Returns the SBOMs as embedded.</summary>
        private IReadOnlyList<AttestationDocument> RewritePackage(string package)
        {
            var (contents, documents, fileCount) = FinalSboms(package);
            var statement = request.SignPackageContents && package.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase)
                ? new PackageContentsStatement(Key, request.TimestampUrl, RemoveNuGetSignature: request.SignPackage && request.OverwritePackageSignature, request.Recorder)
                : null;
            var rewrite = PackageRewriter.Rewrite(package, contents ?? new Dictionary<string, byte[]>(), statement, request.ReplaceFile);
            if (contents is not null) Message($"BuildSigning: listed {fileCount} files of {package} in its {contents.Count} embedded SBOM(s).");
            if (rewrite.ContentsSigned) Message($"BuildSigning: signed the entries of {package} with key {Key.Id.Hex} ({PackageContentsSigner.EntryName})");
            return documents;
        }

        /// <summary>
        /// Lists the packed package's entries (with SHA-256 and SHA-1) and writes each target framework's SBOMs again with
        /// that inventory, to replace the provisional ones pack embedded (the provisional files in obj/ stay as they are, so
        /// an unchanged project still packs incrementally). Contents null: the package keeps its SBOMs as they are.
        /// </summary>
        private (Dictionary<string, byte[]>? Contents, IReadOnlyList<AttestationDocument> Documents, int FileCount) FinalSboms(string package)
        {
            var sbomFiles = request.SbomFiles;
            if (sbomFiles.Count == 0) return (null, [], 0);
            var unlisted = sbomFiles.Select(f => f.PackagePath).Distinct(StringComparer.Ordinal).ToArray();
            string? licenseFile = string.IsNullOrWhiteSpace(request.LicenseFile) ? null : request.LicenseFile.Replace('\\', '/').TrimStart('/');
            string? licenseText = null;
            try
            {
                using var zip = System.IO.Compression.ZipFile.OpenRead(package);
                foreach (var file in sbomFiles)
                {
                    if (zip.GetEntry(file.PackagePath) is null) throw Errors.PackageSbomEntryMissing(package, file.PackagePath, file.TargetFramework);
                }
                if (licenseFile is not null && zip.GetEntry(licenseFile) is { } licenseEntry && licenseEntry.Length <= MaxLicenseBytes)
                {
                    using var reader = new StreamReader(licenseEntry.Open(), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
                    licenseText = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw Errors.PackageInventoryUnreadable(package, e.Message, e);
            }
            var inventory = PackageInventory.Read(package, unlisted);

            var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            var documents = new List<AttestationDocument>();
            // The warnings of these documents were logged when pack's provisional SBOMs were written.
            var ignored = new List<Diagnostic>();
            foreach (var group in sbomFiles.GroupBy(f => f.TargetFramework, StringComparer.OrdinalIgnoreCase))
            {
                var options = request.SbomOptions?.Invoke(group.Key);
                if (options is null) return (null, [], 0);
                options = options with
                {
                    WriteProvenance = false,
                    Sbom = options.Sbom with { UnlistedEntries = unlisted, LicenseFile = licenseFile, LicenseFileText = licenseText },
                };
                foreach (var document in BuildAttestations.Create(options, inventory, ignored))
                {
                    string format = PackageSboms.FormatOf(document);
                    var file = group.FirstOrDefault(f => f.Format == format);
                    if (file is null) continue;
                    contents[file.PackagePath] = PackageSboms.Serialize(document.Predicate);
                    documents.Add(new AttestationDocument(file.AttestationName, document.PredicateType, document.Predicate, [], WriteDocument: false));
                }
            }
            return (contents, documents, inventory.Count);
        }

        private void AuthorSign(string[] packages, CodeSigningCertificate certificate)
        {
            var options = new NuGetSignOptions
            {
                TimestampUrl = request.TimestampUrl,
                HashAlgorithm = request.HashAlgorithm,
                Overwrite = request.OverwritePackageSignature,
            };
            foreach (string package in packages)
            {
                request.Cancellation.ThrowIfCancellationRequested();
                var result = NuGetPackageSigner.Sign(package, certificate, options);
                foreach (string warning in result.Warnings) Message($"NuGet signing {Path.GetFileName(package)}: {warning}", routine: false);
                Message($"BuildSigning: author-signed {package} (certificate SHA-256 {result.CertificateFingerprint}{(result.Timestamp is { } t ? $", timestamp {t:u}" : ", no timestamp")})",
                    routine: false);
                if (certificate.IsDevelopmentCertificate)
                {
                    Warning(DevelopmentCodeSigningCertificate.InUseWarning(package, certificate, DevelopmentKey.DefaultDirectory()));
                }
            }
        }

        /// <summary>SLSA provenance of the pack: every package any target framework resolved.</summary>
        private AttestationDocument? Provenance()
        {
            if (request.Provenance is not { } provenance) return null;
            var options = provenance.Options();
            var components = provenance.TargetFrameworks
                .SelectMany(f => SbomModel.FromAssetsFile(options.AssetsFile, f, null).Components)
                .DistinctBy(c => (c.Kind, c.Key.ToLowerInvariant()))
                .ToArray();
            var warnings = new List<Diagnostic>();
            var document = BuildAttestations.ProvenanceDocument(options.Provenance, components, request.Environment, warnings);
            foreach (var warning in warnings) Warning(warning);
            return document;
        }
    }
}
