using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using Microsoft.Build.Framework;

namespace BuildSigning.Tasks;

/// <summary>Signs every file of a build or publish output directory, with SBOM and provenance attestations when asked (see BuildSigning.targets).</summary>
public sealed class SignOutputDirectory : AttestingTask
{
    [Required] public string Directory { get; set; } = "";
    [Required] public string Kind { get; set; } = "";
    public string? ProjectName { get; set; }
    public ITaskItem[] ExcludedDirectories { get; set; } = [];
    public string? DigestCacheFile { get; set; }
    public bool AllowExternalLinks { get; set; }

    [Output] public ITaskItem[] WrittenFiles { get; private set; } = [];

    protected override void ExecuteCore()
    {
        var key = ResolveKey();
        var attestations = AttestationOptions(Kind);
        var warnings = new List<Diagnostic>();
        // What the documents would say apart from the files (made for no files: costs what the packages cost, not the
        // files). With it, an unchanged folder is recognised from one scan without building the documents.
        var fingerprintWarnings = new List<Diagnostic>();
        string? attestationInputs = attestations is null ? null : BuildAttestations.InputFingerprint(attestations, fingerprintWarnings);
        var request = new OutputSigningRequest(
            Directory,
            new OutputDescription(Kind, ProjectName ?? "", NullIfEmpty(Configuration), NullIfEmpty(TargetFramework), NullIfEmpty(RuntimeIdentifier)),
            ExcludedDirectories.Select(i => i.GetMetadata("FullPath")).ToArray(),
            NullIfEmpty(DigestCacheFile))
        {
            TimestampUrl = ResolveTimestampUrl(),
            Recorder = ResolveRecorder(Kind),
            AllowExternalLinks = AllowExternalLinks,
            Algorithms = attestations is null ? DigestAlgorithms.Sha256 : DigestAlgorithms.Sha256 | DigestAlgorithms.Sha1,
            Attestations = attestations is null ? null : (names, digests) => BuildAttestations.ForFiles(attestations, names, digests, warnings),
            AttestationInputs = attestationInputs,
        };
        Cancellation.ThrowIfCancellationRequested();
        var result = OutputSigner.Sign(request, key);

        foreach (var warning in result.UpToDate ? fingerprintWarnings : warnings) LogWarning(warning);
        // Only a publish folder carries one project's SBOMs and provenance; shared build output folders are common and fine.
        if (result.PreviousProject is { } previous && Kind == OutputDescription.PublishKind) LogWarning(Warnings.OutputShared(Directory, previous, ProjectName ?? ""));
        WrittenFiles = result.AllFiles.Select(f => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(f)).ToArray();
        if (key.IsDevelopmentKey) LogWarning(SigningKeyResolver.DevelopmentKeyWarning(Directory, key));
        if (result.BundlesWritten.Count > 0)
        {
            Log.LogMessage(MessageImportance.Normal, $"BuildSigning: signed {result.FileCount} files in {Directory} with key {key.Id.Hex} ({result.FilesRead} read, {result.BundlesWritten.Count} bundle(s) written)");
        }
        else if (result.UpToDate)
        {
            Log.LogMessage(MessageImportance.Normal, $"BuildSigning: {Directory} is unchanged since it was signed; its {result.FileCount} files keep their signature (nothing read or re-verified).");
        }
        else
        {
            Log.LogMessage(MessageImportance.Normal, $"BuildSigning: {Directory} is unchanged; its {result.FileCount} files keep their signature ({result.FilesRead} read).");
        }
    }
}
