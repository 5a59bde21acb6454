using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using NuGet.Packaging.Signing;

namespace BuildSigning.TestSupport;

/// <summary>
/// Makes NuGet trust test root CAs the way it trusts real ones on Linux and macOS: through the certificate bundles
/// the .NET SDK ships in sdk/VERSION/trustedroots/ (codesignctl.pem, timestampctl.pem). NuGet uses nothing else for
/// timestamp authorities there, so a loopback TSA is only accepted when its root is in such a bundle.
/// </summary>
public static class NuGetTestTrust
{
    private static readonly object Gate = new();
    private static X509Certificate2Collection? s_codeSigningRoots;
    private static X509Certificate2Collection? s_timestampingRoots;

    /// <summary>
    /// In this process: replaces NuGet.Packaging's code-signing and timestamping trust stores (normally the SDK's
    /// bundles, see X509TrustStore.InitializeForDotNetSdk) with bundles that hold <paramref name="roots"/>.
    /// Idempotent; later calls add roots. Uses NuGet's internal test hooks, by reflection.
    /// </summary>
    public static void TrustInProcess(params X509Certificate2[] roots)
    {
        lock (Gate)
        {
            if (s_codeSigningRoots is null || s_timestampingRoots is null)
            {
                s_codeSigningRoots = Install("CodeSigning", "SetCodeSigningX509ChainFactory", roots);
                s_timestampingRoots = Install("Timestamping", "SetTimestampingX509ChainFactory", roots);
                return;
            }
            foreach (var root in roots)
            {
                if (!s_codeSigningRoots.Contains(root)) s_codeSigningRoots.Add(root);
                if (!s_timestampingRoots.Contains(root)) s_timestampingRoots.Add(root);
            }
        }
    }

    private static X509Certificate2Collection Install(string purposeName, string setterName, X509Certificate2[] roots)
    {
        Assembly nuget = typeof(X509TrustStore).Assembly;
        Type purposeType = nuget.GetType("NuGet.Packaging.Signing.X509StorePurpose", throwOnError: true)!;
        Type factoryType = nuget.GetType("NuGet.Packaging.Signing.FallbackCertificateBundleX509ChainFactory", throwOnError: true)!;
        MethodInfo tryCreate = factoryType.GetMethod("TryCreate", BindingFlags.Static | BindingFlags.NonPublic, [purposeType, typeof(string), factoryType.MakeByRefType()])
            ?? throw new MissingMethodException(factoryType.FullName, "TryCreate");
        MethodInfo setter = typeof(X509TrustStore).GetMethod(setterName, BindingFlags.Static | BindingFlags.NonPublic)
            ?? throw new MissingMethodException(typeof(X509TrustStore).FullName, setterName);

        // TryCreate combines the SDK folder with the file name; an absolute name wins, so any bundle file works.
        // Keep the SDK's own roots too, so the process trusts what `dotnet nuget` trusts plus the test roots.
        string bundle = Path.Combine(Path.GetTempPath(), $"buildsigning-nuget-{purposeName.ToLowerInvariant()}-{Environment.ProcessId}-{Guid.NewGuid():N}.pem");
        string sdkBundle = SdkBundle(purposeName == "CodeSigning" ? "codesignctl.pem" : "timestampctl.pem");
        File.WriteAllText(bundle, (File.Exists(sdkBundle) ? File.ReadAllText(sdkBundle).TrimEnd() + "\n" : "") + TestCertificates.ToPem(roots));
        try
        {
            object?[] arguments = [Enum.Parse(purposeType, purposeName), bundle, null];
            if (tryCreate.Invoke(null, arguments) is not true || arguments[2] is not { } factory)
            {
                throw new InvalidOperationException($"NuGet could not load the test trust bundle '{bundle}'.");
            }
            setter.Invoke(null, [factory]);
            return (X509Certificate2Collection)factoryType.GetProperty("Certificates")!.GetValue(factory)!;
        }
        finally
        {
            File.Delete(bundle);
        }
    }

    /// <summary>
    /// Out of process: a private mirror of the running .NET installation (hard links, so it is cheap) whose
    /// sdk/*/trustedroots bundles also hold <paramref name="roots"/>. Returns the mirror's dotnet executable;
    /// `that-dotnet nuget sign|verify` then trusts the roots exactly as the SDK trusts public CAs. Linux and macOS only.
    /// </summary>
    public static string CreateTrustingDotnet(string directory, params X509Certificate2[] roots)
    {
        string mirror = CreateTrustingCopy(DotnetRoot(), Path.Combine(directory, "dotnet"), roots);
        return Path.Combine(mirror, RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet");
    }

    /// <summary>
    /// A private mirror of <paramref name="source"/> (hard links where possible) in which every trustedroots/*.pem bundle,
    /// the files NuGet reads beside NuGet.Packaging.dll (an SDK's, an installed buildsign tool's), also holds
    /// <paramref name="roots"/>. Returns <paramref name="mirror"/>.
    /// </summary>
    public static string CreateTrustingCopy(string source, string mirror, params X509Certificate2[] roots)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(mirror))!);
        var copy = ProcessRunner.Run("cp", ["-al", source, mirror], timeout: TimeSpan.FromMinutes(2));
        if (copy.ExitCode != 0)
        {
            if (Directory.Exists(mirror)) Directory.Delete(mirror, recursive: true);
            copy = ProcessRunner.Run("cp", ["-a", source, mirror], timeout: TimeSpan.FromMinutes(5));
            if (copy.ExitCode != 0) throw new InvalidOperationException($"Could not mirror '{source}':\n{copy}");
        }

        string extra = TestCertificates.ToPem(roots);
        foreach (string trustedRoots in Directory.GetDirectories(mirror, "trustedroots", SearchOption.AllDirectories))
        {
            foreach (string bundle in Directory.GetFiles(trustedRoots, "*.pem"))
            {
                // Never write through the hard link: replace the file with a new one.
                string original = File.ReadAllText(bundle);
                File.Delete(bundle);
                File.WriteAllText(bundle, original.TrimEnd() + "\n" + extra);
            }
        }
        return mirror;
    }

    /// <summary>A trust bundle of the newest SDK in the running .NET installation.</summary>
    public static string SdkBundle(string fileName)
    {
        string? sdk = Directory.GetDirectories(Path.Combine(DotnetRoot(), "sdk"))
            .Where(d => File.Exists(Path.Combine(d, "trustedroots", fileName)))
            .OrderBy(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : new Version(0, 0))
            .LastOrDefault();
        return sdk is null ? "" : Path.Combine(sdk, "trustedroots", fileName);
    }

    /// <summary>The folder of the .NET installation running this process (the one holding dotnet, sdk/ and shared/).</summary>
    public static string DotnetRoot()
    {
        // shared/Microsoft.NETCore.App/VERSION/ -> installation root
        string runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar);
        string root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        if (!Directory.Exists(Path.Combine(root, "sdk"))) throw new DirectoryNotFoundException($"'{root}' holds no sdk folder.");
        return root;
    }
}
