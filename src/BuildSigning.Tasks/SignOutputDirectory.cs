using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using Microsoft.Build.Framework;

namespace BuildSigning.Tasks;

/// <summary>Signs every file of a build or publish output directory (see BuildSigning.targets).</summary>
public sealed class SignOutputDirectory : BuildSigningTask
{
    [Required] public string Directory { get; set; } = "";
    [Required] public string Kind { get; set; } = "";
    public string? ProjectName { get; set; }
    public string? Configuration { get; set; }
    public string? TargetFramework { get; set; }
    public string? RuntimeIdentifier { get; set; }
    public ITaskItem[] ExcludedDirectories { get; set; } = [];
    public string? DigestCacheFile { get; set; }

    public string? KeyFile { get; set; }
    public string? KeyPasswordVariable { get; set; }
    public string? CertificateFile { get; set; }
    public bool RequireSigningKey { get; set; }
    public string? RequireSigningKeyReason { get; set; }

    [Output] public ITaskItem[] WrittenFiles { get; private set; } = [];

    protected override void ExecuteCore()
    {
        var key = SigningKeyCache.Resolve(BuildEngine, new KeyConfiguration(
            NullIfEmpty(KeyFile), NullIfEmpty(KeyPasswordVariable), NullIfEmpty(CertificateFile), RequireSigningKey, NullIfEmpty(RequireSigningKeyReason)));

        var request = new OutputSigningRequest(
            Directory,
            new OutputDescription(Kind, ProjectName ?? "", NullIfEmpty(Configuration), NullIfEmpty(TargetFramework), NullIfEmpty(RuntimeIdentifier)),
            ExcludedDirectories.Select(i => i.GetMetadata("FullPath")).ToArray(),
            NullIfEmpty(DigestCacheFile));
        var result = OutputSigner.Sign(request, key);

        WrittenFiles = result.AllFiles.Select(f => (ITaskItem)new Microsoft.Build.Utilities.TaskItem(f)).ToArray();
        if (key.IsDevelopmentKey) LogWarning(SigningKeyResolver.DevelopmentKeyWarning(Directory, key));
        if (result.BundlesWritten.Count > 0)
        {
            Log.LogMessage(MessageImportance.High, $"BuildSigning: signed {result.FileCount} files in {Directory} with key {key.Id.Hex} ({result.FilesRead} read, {result.BundlesWritten.Count} bundle(s) written)");
        }
        else
        {
            Log.LogMessage(MessageImportance.Normal, $"BuildSigning: {Directory} is unchanged; its {result.FileCount} files keep their signature ({result.FilesRead} read).");
        }
    }
}
