using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace BuildSigning.Cli;

/// <summary>
/// NuGet's signing and verification assemblies are not a package this tool can ship: they come with the .NET SDK
/// (next to MSBuild.dll), exactly as they do for the MSBuild tasks. This resolves NuGet.* from the newest
/// installed SDK of the runtime's dotnet installation when the tool first needs them.
/// </summary>
internal static class SdkAssemblyResolver
{
    private static readonly Lazy<string?> s_sdkDirectory = new(FindSdkDirectory);

    public static void Register() => AssemblyLoadContext.Default.Resolving += Resolve;

    public static string? SdkDirectory => s_sdkDirectory.Value;

    private static Assembly? Resolve(AssemblyLoadContext context, AssemblyName name)
    {
        if (name.Name is null || !name.Name.StartsWith("NuGet.", StringComparison.Ordinal)) return null;
        string? directory = s_sdkDirectory.Value;
        if (directory is null) return null;
        string candidate = Path.Combine(directory, name.Name + ".dll");
        return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
    }

    private static string? FindSdkDirectory()
    {
        var roots = new List<string>();
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } dotnetRoot) roots.Add(dotnetRoot);
        // <root>/shared/Microsoft.NETCore.App/<version>/ is where this runtime lives.
        roots.Add(Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..")));
        foreach (string root in roots)
        {
            string sdks = Path.Combine(root, "sdk");
            if (!Directory.Exists(sdks)) continue;
            var newest = Directory.EnumerateDirectories(sdks)
                .Select(d => (Path: d, Version: Version.TryParse(Path.GetFileName(d).Split('-')[0], out var v) ? v : null))
                .Where(d => d.Version is not null && File.Exists(Path.Combine(d.Path, "NuGet.Packaging.dll")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (newest.Path is not null) return newest.Path;
        }
        return null;
    }
}
