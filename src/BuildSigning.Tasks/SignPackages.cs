using BuildSigning.Core.Packages;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSigning.Tasks;

/// <summary>
/// After pack: author-signs each .nupkg/.snupkg with a NuGet signature (optionally timestamped), then writes Sigstore
/// bundles beside it over its final bytes: a message signature, the SBOM statements and the provenance. The task maps
/// items and properties to a <see cref="PackSigningRequest"/> and logs; the work is <see cref="PackSigner"/>'s.
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
        var packages = PackSigner.PackageFiles(Packages.Select(p => p.GetMetadata("FullPath")), OutputFileNamesWithoutVersion, NullIfEmpty(PackageId));
        if (packages.Count == 0) return;

        var key = ResolveKey();
        var result = PackSigner.Sign(new PackSigningRequest(packages, key, KeyConfiguration())
        {
            TimestampUrl = ResolveTimestampUrl(),
            Recorder = ResolveRecorder("pack"),
            SignPackage = SignPackage,
            SignPackageContents = SignPackageContents,
            OverwritePackageSignature = OverwritePackageSignature,
            HashAlgorithm = PackageSigningIdentity.ParseHashAlgorithm(PackageHashAlgorithm),
            SbomFiles = SbomFiles.Select(f => new PackageSbomFile(f.ItemSpec, f.GetMetadata("PackagePath"), f.GetMetadata("TargetFramework"),
                f.GetMetadata("Format"), f.GetMetadata("PredicateType"), f.GetMetadata("AttestationName"))).ToArray(),
            SbomOptions = framework => AttestationOptions("pack", framework),
            LicenseFile = NullIfEmpty(PackageLicenseFile),
            Provenance = GenerateProvenance ? new PackProvenance(Frameworks, () => AttestationOptions("pack", string.Join(";", Frameworks), sbomFormats: "none")!) : null,
            Cancellation = Cancellation,
            OnMessage = m => Log.LogMessage(m.Routine ? MessageImportance.Low : MessageImportance.Normal, m.Text),
            OnWarning = LogWarning,
        });
        WrittenFiles = result.WrittenFiles.Select(f => (ITaskItem)new TaskItem(f)).ToArray();
    }

    private string[] Frameworks => (TargetFrameworks ?? TargetFramework ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
