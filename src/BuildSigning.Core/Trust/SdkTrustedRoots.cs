using System.Reflection;
using NuGet.Packaging.Signing;

namespace BuildSigning.Core.Trust;

/// <summary>
/// On Linux and macOS, NuGet trusts code-signing and timestamping roots only from the .NET SDK's trustedroots/ bundles,
/// which it looks for beside the running application. Inside MSBuild that is the SDK folder; the buildsign tool runs
/// from its own folder, so it points NuGet at the installed SDK's bundles: the same roots `dotnet nuget verify` trusts.
/// NuGet exposes no public way to name the bundle, so this calls its internal factory, and reports when that changed.
/// </summary>
public static class SdkTrustedRoots
{
    /// <summary>Returns null when NuGet now trusts the SDK's bundles, else why not (the default trust store stays in use).</summary>
    public static string? UseBundlesOf(string sdkDirectory)
    {
        if (OperatingSystem.IsWindows()) return null; // Windows uses the machine's root store.
        try
        {
            Install(sdkDirectory, "CodeSigning", "codesignctl.pem", "SetCodeSigningX509ChainFactory");
            Install(sdkDirectory, "Timestamping", "timestampctl.pem", "SetTimestampingX509ChainFactory");
            return null;
        }
        catch (Exception e) when (e is MissingMemberException or InvalidOperationException or TargetInvocationException or ArgumentException or TypeLoadException)
        {
            return e.Message;
        }
    }

    private static void Install(string sdkDirectory, string purpose, string fileName, string setterName)
    {
        string bundle = Path.Combine(sdkDirectory, "trustedroots", fileName);
        if (!File.Exists(bundle)) throw new InvalidOperationException($"'{bundle}' does not exist.");
        Assembly nuget = typeof(X509TrustStore).Assembly;
        Type purposeType = nuget.GetType("NuGet.Packaging.Signing.X509StorePurpose", throwOnError: true)!;
        Type factoryType = nuget.GetType("NuGet.Packaging.Signing.FallbackCertificateBundleX509ChainFactory", throwOnError: true)!;
        MethodInfo tryCreate = factoryType.GetMethod("TryCreate", BindingFlags.Static | BindingFlags.NonPublic, [purposeType, typeof(string), factoryType.MakeByRefType()])
            ?? throw new MissingMethodException(factoryType.FullName, "TryCreate");
        MethodInfo setter = typeof(X509TrustStore).GetMethod(setterName, BindingFlags.Static | BindingFlags.NonPublic)
            ?? throw new MissingMethodException(typeof(X509TrustStore).FullName, setterName);
        object?[] arguments = [Enum.Parse(purposeType, purpose), bundle, null];
        if (tryCreate.Invoke(null, arguments) is not true || arguments[2] is not { } factory)
        {
            throw new InvalidOperationException($"NuGet could not read '{bundle}'.");
        }
        setter.Invoke(null, [factory]);
    }
}
