using System.Runtime.InteropServices;

namespace BuildSigning.TestSupport;

/// <summary>
/// A .NET installation that holds only the host (dotnet, host/fxr) and the shared runtime this process runs on, with
/// no sdk/ folder: what a deployment machine that runs the buildsign tool has. Copied (not linked) from the running
/// installation, so the runtime cannot find its way back to the original folder and its SDKs.
/// </summary>
public static class RuntimeOnlyDotnet
{
    /// <summary>Creates the installation in <paramref name="directory"/> and returns that folder (for DOTNET_ROOT).</summary>
    public static string Create(string directory)
    {
        string source = NuGetTestTrust.DotnetRoot();
        string runtime = Path.TrimEndingDirectorySeparator(RuntimeEnvironment.GetRuntimeDirectory());
        string runtimeRelative = Path.GetRelativePath(source, runtime);
        Directory.CreateDirectory(Path.Combine(directory, Path.GetDirectoryName(runtimeRelative)!));
        foreach (string part in new[] { OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet", "host", runtimeRelative })
        {
            var copy = ProcessRunner.Run("cp", ["-a", Path.Combine(source, part), Path.Combine(directory, part)], timeout: TimeSpan.FromMinutes(2));
            if (copy.ExitCode != 0) throw new InvalidOperationException($"Could not copy the .NET runtime:\n{copy}");
        }
        if (Directory.Exists(Path.Combine(directory, "sdk"))) throw new InvalidOperationException($"'{directory}' holds an sdk folder.");
        return directory;
    }

    /// <summary>
    /// The environment that makes an app host (and `dotnet`) use only <paramref name="root"/>: DOTNET_ROOT and PATH point
    /// there, and the architecture-specific DOTNET_ROOT variables that would win over DOTNET_ROOT are removed.
    /// </summary>
    public static Dictionary<string, string?> Environment(string root)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_ROOT"] = root,
            ["PATH"] = root + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
            ["DOTNET_HOST_PATH"] = null,
            ["MSBuildExtensionsPath"] = null,
        };
        foreach (string architecture in new[] { "X64", "X86", "ARM64", "ARM" })
        {
            environment[$"DOTNET_ROOT_{architecture}"] = null;
        }
        environment["DOTNET_ROOT(x86)"] = null;
        return environment;
    }
}
