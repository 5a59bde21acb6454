using BuildSigning.Core.Diagnostics;
using NuGet.Packaging.Signing;

namespace BuildSigning.Core.Trust;

/// <summary>
/// The code-signing and timestamping root bundles NuGet trusts on Linux and macOS. NuGet's public
/// <see cref="X509TrustStore.InitializeForDotNetSdk"/> reads them from trustedroots/ beside NuGet.Packaging.dll: inside
/// MSBuild that is the SDK's folder; the buildsign tool ships copies beside its own NuGet; the tests copy them likewise.
/// </summary>
public static class NuGetTrustedRoots
{
    public const string CodeSigningBundle = "codesignctl.pem";
    public const string TimestampingBundle = "timestampctl.pem";

    /// <summary>Where the NuGet loaded in this process looks for the bundles.</summary>
    public static string Directory =>
        Path.Combine(Path.GetDirectoryName(typeof(X509TrustStore).Assembly.Location) is { Length: > 0 } nuget ? nuget : AppContext.BaseDirectory, "trustedroots");

    /// <summary>
    /// Throws BS6023 when a bundle is missing: NuGet would then trust no root at all and every public signature would fail
    /// for a reason that names neither the file nor the fix. Windows uses the machine's root store instead.
    /// </summary>
    public static void Require()
    {
        if (!OperatingSystem.IsWindows()) Require(Directory);
    }

    internal static void Require(string directory)
    {
        foreach (string bundle in new[] { CodeSigningBundle, TimestampingBundle })
        {
            string path = Path.Combine(directory, bundle);
            if (!File.Exists(path)) throw Errors.NuGetTrustedRootsMissing(path);
        }
    }
}
