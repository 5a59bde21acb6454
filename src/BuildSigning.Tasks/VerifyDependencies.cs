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

    protected override void ExecuteCore()
    {
        var read = TrustPolicyCache.Resolve(BuildEngine, NullIfEmpty(TrustPolicyFile), ProjectDirectory, Items());
        if (!read.Succeeded)
        {
            // Never verify against a policy that could not be read.
            foreach (var error in read.Errors) LogError(error);
            return;
        }

        var result = DependencyVerifier.Verify(new DependencyVerificationRequest(AssetsFile, read.Policy!, NullIfEmpty(CacheFile))
        {
            // tasks/<tfm>/BuildSigning.Tasks.dll inside the extracted package.
            VerifierPackageDirectory = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(VerifyDependencies).Assembly.Location)!, "..", "..")),
        });
        foreach (var error in result.Errors) LogError(error);
        foreach (var warning in result.Warnings) LogWarning(warning);
        Log.LogMessage(result.Succeeded ? MessageImportance.Normal : MessageImportance.High,
            $"BuildSigning: verified {result.Packages.Count} packages of {AssetsFile} against the trust policy ({result.CacheHits} from cache, {result.Elapsed.TotalMilliseconds:F0} ms): "
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
}
