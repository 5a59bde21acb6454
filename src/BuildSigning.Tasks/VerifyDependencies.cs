using BuildSigning.Core.Trust;
using Microsoft.Build.Framework;

namespace BuildSigning.Tasks;

/// <summary>
/// Verifies the signature of every package in project.assets.json against the trust policy (file + items):
/// one BSnnnn error per package that is not allowed (a warning in audit mode). See BuildSigning.targets.
/// </summary>
public sealed class VerifyDependencies : BuildSigningTask
{
    [Required] public string AssetsFile { get; set; } = "";
    [Required] public string ProjectDirectory { get; set; } = "";
    public string? TrustPolicyFile { get; set; }
    public string? TrustMode { get; set; }
    public string? CacheFile { get; set; }
    public ITaskItem[] TrustedSigners { get; set; } = [];
    public ITaskItem[] AllowUnsigned { get; set; } = [];
    public ITaskItem[] TrustedKeys { get; set; } = [];
    public ITaskItem[] RevokedSigners { get; set; } = [];

    /// <summary>"restore" when MSBuild is restoring ($(MSBuildIsRestoring)), else the build pass.</summary>
    public string? Phase { get; set; }

    /// <summary>Deep mode: compare the extracted files with the verified .nupkg's entries (BuildSigningVerifyExtractedFiles).</summary>
    public bool VerifyExtractedFiles { get; set; }

    /// <summary>
    /// A build pass answered from the verification its own restore pass made moments ago (nothing changed in between) does
    /// not repeat that pass's audit warnings: one `dotnet build` reports each once.
    /// </summary>
    private static readonly TimeSpan SameInvocation = TimeSpan.FromSeconds(30);

    protected override void ExecuteCore()
    {
        var read = TrustPolicyCache.Resolve(BuildEngine, NullIfEmpty(TrustPolicyFile), ProjectDirectory, Items());
        if (!read.Succeeded)
        {
            // Never verify against a policy that could not be read.
            foreach (var error in read.Errors) LogError(error);
            return;
        }

        Cancellation.ThrowIfCancellationRequested();
        var result = DependencyVerifier.Verify(new DependencyVerificationRequest(AssetsFile, read.Policy!, NullIfEmpty(CacheFile))
        {
            VerifierPackageDirectory = PackageDirectoryOf(typeof(VerifyDependencies).Assembly.Location),
            RememberInProcess = true,
            VerifyExtractedFiles = VerifyExtractedFiles,
            Phase = string.Equals(Phase, "true", StringComparison.OrdinalIgnoreCase) || string.Equals(Phase, "restore", StringComparison.OrdinalIgnoreCase) ? "restore" : "build",
        });
        var remembered = result.Remembered;
        bool reportedByRestore = remembered is { Phase: "restore" } && remembered.Age < SameInvocation
            && !string.Equals(Phase, "true", StringComparison.OrdinalIgnoreCase) && !string.Equals(Phase, "restore", StringComparison.OrdinalIgnoreCase);
        foreach (var error in result.Errors) LogError(error);
        if (!reportedByRestore) foreach (var warning in result.Warnings) LogWarning(warning);
        string how = remembered is null
            ? $"{result.CacheHits} from cache, {result.Elapsed.TotalMilliseconds:F0} ms"
            : $"unchanged since the {remembered.Phase ?? "earlier"} pass {remembered.Age.TotalMilliseconds:F0} ms ago, {result.Elapsed.TotalMilliseconds:F1} ms"
              + (reportedByRestore && result.Warnings.Count > 0 ? ", its audit warnings reported there" : "");
        Log.LogMessage(result.Succeeded ? MessageImportance.Normal : MessageImportance.High,
            $"BuildSigning: verified {result.Packages.Count} packages of {AssetsFile} against the trust policy ({how}): "
            + $"{result.Packages.Count(p => p.IsAllowed)} allowed, {result.Packages.Count(p => p.IsError)} rejected, {result.Packages.Count(p => p.IsWarning)} audit warnings.");
    }

    private TrustPolicyItems Items() => new()
    {
        Mode = NullIfEmpty(TrustMode),
        Signers = TrustedSigners.Select(i => new TrustedSignerItem(i.ItemSpec, i.GetMetadata("Kind"), i.GetMetadata("Fingerprint"),
            NullIfEmpty(i.GetMetadata("HashAlgorithm")), SplitList(i.GetMetadata("Owners")), NullIfEmpty(i.GetMetadata("AllowUntrustedRoot")),
            NullIfEmpty(i.GetMetadata("NotBefore")), NullIfEmpty(i.GetMetadata("NotAfter")))).ToArray(),
        Exceptions = AllowUnsigned.Select(i => new UnsignedExceptionItem(i.ItemSpec, NullIfEmpty(i.GetMetadata("VersionRange")),
            NullIfEmpty(i.GetMetadata("Reason")), NullIfEmpty(i.GetMetadata("Expires")))).ToArray(),
        Keys = TrustedKeys.Select(i => new TrustedKeyItem(i.ItemSpec,
            NullIfEmpty(i.GetMetadata("PublicKeyFile")) is { } file ? Path.GetFullPath(Path.Combine(ProjectDirectory, file)) : null,
            NullIfEmpty(i.GetMetadata("KeyId")))).ToArray(),
        Revocations = RevokedSigners.Select(i => new RevocationItem(i.ItemSpec, NullIfEmpty(i.GetMetadata("HashAlgorithm")),
            NullIfEmpty(i.GetMetadata("RevokedOn")), NullIfEmpty(i.GetMetadata("Reason")),
            string.Equals(i.GetMetadata("Kind"), "key", StringComparison.OrdinalIgnoreCase))).ToArray(),
    };

    private static IReadOnlyList<string>? SplitList(string value) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The extracted package this assembly was loaded from: the folder holding tasks/, whether the assembly sits in
    /// tasks/&lt;tfm&gt;/ or in the ReadyToRun copy's tasks/&lt;tfm&gt;/&lt;rid&gt;/.
    /// </summary>
    internal static string PackageDirectoryOf(string assemblyPath)
    {
        string directory = Path.GetFullPath(Path.GetDirectoryName(assemblyPath)!);
        string? parent = Path.GetDirectoryName(directory);
        string? grandparent = parent is null ? null : Path.GetDirectoryName(parent);
        if (grandparent is not null && IsTasksFolder(grandparent) && Path.GetDirectoryName(grandparent) is { } ofReadyToRun) return ofReadyToRun;
        return Path.GetFullPath(Path.Combine(directory, "..", ".."));
    }

    private static bool IsTasksFolder(string path) => string.Equals(Path.GetFileName(path), "tasks", StringComparison.Ordinal);
}
