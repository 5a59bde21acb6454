using BuildSigning.Core.Attestations;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;

namespace BuildSigning.Core.Gate;

/// <summary>
/// Where approvals (more signatures over the same statements, one Sigstore bundle each) are stored. Each approving key gets
/// a folder named by its key id, holding one bundle per signed bundle, under the same file name:
/// <code>
/// &lt;dir&gt;/.buildsigning/approvals/&lt;key id&gt;/files.sigstore.json, sbom.spdx.sigstore.json, provenance.sigstore.json, ...
/// &lt;pkg&gt;.nupkg.approvals/&lt;key id&gt;/&lt;pkg&gt;.nupkg.sigstore.json, &lt;pkg&gt;.nupkg.sbom.net10.0.spdx.sigstore.json, ...
/// </code>
/// A package's approvals stay beside it: changing the .nupkg would break its NuGet signature.
/// </summary>
public static class ApprovalLayout
{
    public const string DirectoryName = "approvals";
    public const string PackageSuffix = ".approvals";

    public static bool IsPackage(string path) =>
        File.Exists(path) && (path.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase));

    /// <summary>The folder holding every approver's folder for a signed output folder or a package.</summary>
    public static string Root(string target) => IsPackage(target)
        ? Path.GetFullPath(target) + PackageSuffix
        : Path.Combine(SignedOutputLayout.AttestationDirectory(Path.TrimEndingDirectorySeparator(Path.GetFullPath(target))), DirectoryName);

    public static string KeyDirectory(string target, KeyId key) => Path.Combine(Root(target), key.Hex);

    /// <summary>Every approval bundle over the bundle named <paramref name="bundleFileName"/>, one per approver folder.</summary>
    public static IReadOnlyList<string> Approvals(string target, string bundleFileName)
    {
        string root = Root(target);
        if (!Directory.Exists(root)) return [];
        return Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal)
            .Select(d => Path.Combine(d, bundleFileName))
            .Where(File.Exists)
            .ToArray();
    }

    public static bool IsBundle(string fileName) => fileName.EndsWith(SigstoreBundle.FileSuffix, StringComparison.Ordinal);
}
