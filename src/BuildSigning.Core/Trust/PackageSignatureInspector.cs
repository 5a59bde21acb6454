using System.Security.Cryptography;
using BuildSigning.Core.Attestations;
using NuGet.Common;
using NuGet.Packaging;
using NuGet.Packaging.Signing;

namespace BuildSigning.Core.Trust;

/// <summary>Opens packages with NuGet.Packaging (the SDK's inside MSBuild, the tool's own in buildsign) and reads their signatures.</summary>
public static class PackageSignatureInspector
{
    internal static readonly IntegrityVerificationProvider Integrity = new();
    internal static readonly SignatureTrustAndValidityVerificationProvider Trust = new(null);

    internal static readonly SignedPackageVerifierSettings IntegritySettings = new(
        allowUnsigned: false, allowIllegal: false, allowUntrusted: true, allowIgnoreTimestamp: true, allowMultipleTimestamps: true,
        allowNoTimestamp: true, allowUnknownRevocation: true, reportUnknownRevocation: false, verificationTarget: VerificationTarget.All,
        signaturePlacement: SignaturePlacement.Any, repositoryCountersignatureVerificationBehavior: SignatureVerificationBehavior.IfExists,
        revocationMode: RevocationMode.Offline);

    /// <summary>
    /// Makes NuGet use the .NET SDK's certificate bundles for chains and timestamps on Linux and macOS, as restore does:
    /// the trustedroots/ folder beside NuGet.Packaging.dll (see <see cref="NuGetTrustedRoots"/>). A no-op when NuGet already
    /// initialized its trust store (inside MSBuild it has).
    /// </summary>
    /// <remarks>
    /// Every caller waits until the first has finished: packages are verified in parallel, and a thread that went on
    /// while another was still initializing would check timestamps against the system store and reject valid ones.
    /// </remarks>
    public static void InitializeTrustStore() => _ = s_trustStore.Value;

    private static readonly Lazy<bool> s_trustStore = new(() =>
    {
        X509TrustStore.InitializeForDotNetSdk(NullLogger.Instance);
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Opens a .nupkg and reads its primary signature and any repository countersignature. Never throws for bad content: see ReadError.</summary>
    public static InspectedPackage Open(string nupkgPath) => Open(nupkgPath, null);

    /// <summary>Opens a package already read into memory: every check then sees exactly those bytes.</summary>
    internal static InspectedPackage Open(PackageContent content) => Open(content.Path, content.Open);

    private static InspectedPackage Open(string nupkgPath, Func<Stream>? openContent)
    {
        InitializeTrustStore();
        PackageArchiveReader? reader = null;
        try
        {
            reader = openContent is null ? new PackageArchiveReader(nupkgPath) : new PackageArchiveReader(openContent(), leaveStreamOpen: false);
            var primary = reader.GetPrimarySignatureAsync(CancellationToken.None).GetAwaiter().GetResult();
            var bundles = reader.GetFiles()
                .Where(f => f.StartsWith(".buildsigning/", StringComparison.Ordinal) && f.EndsWith(SigstoreBundle.FileSuffix, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).ToList();
            return new InspectedPackage(nupkgPath, reader, primary, bundles, null, openContent);
        }
        catch (Exception e) when (e is SignatureException or InvalidDataException or IOException or CryptographicException or UnauthorizedAccessException or InvalidOperationException or NuGet.Packaging.Core.PackagingException)
        {
            reader?.Dispose();
            return new InspectedPackage(nupkgPath, null, null, [], e.Message, openContent);
        }
    }
}
