using System.Text;
using System.Text.Json;
using BuildSigning.Core.Trust;
using Microsoft.Build.Framework;

namespace BuildSigning.Tasks;

/// <summary>
/// Reads a trust policy once per build: a solution restore followed by its build verifies many projects that share one
/// policy file. Keyed by the file's identity (path, size, time) and the items, so an edited policy is read again.
/// </summary>
internal static class TrustPolicyCache
{
    public static TrustPolicyReadResult Resolve(IBuildEngine engine, string? explicitPath, string projectDirectory, TrustPolicyItems items)
    {
        if (engine is not IBuildEngine4 engine4) return TrustPolicyFiles.Resolve(explicitPath, projectDirectory, items);
        string? file = explicitPath is not null ? Path.GetFullPath(explicitPath, projectDirectory) : TrustPolicyFiles.FindPolicyFile(projectDirectory);
        string cacheKey = new StringBuilder("BuildSigning.TrustPolicy\n")
            .Append(explicitPath is null ? "found:" : "explicit:").Append(Stamp(file)).Append('\n')
            .Append(JsonSerializer.Serialize(items)).ToString();
        if (engine4.GetRegisteredTaskObject(cacheKey, RegisteredTaskObjectLifetime.Build) is TrustPolicyReadResult cached) return cached;
        var result = TrustPolicyFiles.Resolve(explicitPath, projectDirectory, items);
        engine4.RegisterTaskObject(cacheKey, result, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: true);
        return result;
    }

    private static string Stamp(string? path)
    {
        if (path is null) return "(built-in)";
        var info = new FileInfo(path);
        return info.Exists ? $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}" : $"{info.FullName}|missing";
    }
}
