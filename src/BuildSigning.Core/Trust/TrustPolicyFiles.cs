using System.Globalization;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Json;
using BuildSigning.Core.Keys;
using NuGet.Versioning;

namespace BuildSigning.Core.Trust;


/// <summary>Which trust policy applies to a project: an explicit file, else the nearest buildsigning.trust.json above it, else the built-in one; then the MSBuild items merged in.</summary>
public static class TrustPolicyFiles
{
    /// <summary>
    /// The policy file that applies to a project: the nearest <see cref="TrustPolicy.DefaultFileName"/> in the project
    /// directory or any directory above it, or null when there is none (then the built-in policy applies).
    /// </summary>
    public static string? FindPolicyFile(string projectDirectory)
    {
        for (var directory = new DirectoryInfo(Path.GetFullPath(projectDirectory)); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, TrustPolicy.DefaultFileName);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// The policy for a project: the explicitly named file (missing: error), else the nearest file found by walking up from
    /// the project directory, else <see cref="TrustPolicy.Default"/>.
    /// </summary>
    public static TrustPolicyReadResult Resolve(string? explicitPolicyPath, string projectDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitPolicyPath))
        {
            string full = Path.GetFullPath(explicitPolicyPath, projectDirectory);
            return File.Exists(full)
                ? TrustPolicyReader.ReadFile(full)
                : TrustPolicyReader.Fail(Errors.TrustPolicyFileNotFound(full).Diagnostic);
        }
        string? found = FindPolicyFile(projectDirectory);
        return found is null ? new TrustPolicyReadResult(TrustPolicy.Default, []) : TrustPolicyReader.ReadFile(found);
    }

    /// <summary>
    /// The effective policy for a project, as restore-time verification uses it: <see cref="Resolve(string?, string)"/>, then the
    /// MSBuild items merged in (<see cref="TrustPolicyMerger"/>). Errors from either mean: stop, verify nothing.
    /// </summary>
    public static TrustPolicyReadResult Resolve(string? explicitPolicyPath, string projectDirectory, TrustPolicyItems? items)
    {
        var read = Resolve(explicitPolicyPath, projectDirectory);
        return read.Policy is null || items is null ? read : TrustPolicyMerger.Merge(read.Policy, items, projectDirectory);
    }
}
