using System.Text;

namespace BuildSigning.Core.Outputs;

/// <summary>
/// Where signatures live in a signed output directory, and which files they cover.
/// <code>
/// &lt;dir&gt;/.buildsigning/files.sha256            every covered file, sha256sum format (sha256sum -c works from &lt;dir&gt;)
/// &lt;dir&gt;/.buildsigning/files.sigstore.json     DSSE bundle: statement whose subjects are the files (&lt;= 1024 of them)
/// &lt;dir&gt;/.buildsigning/files.N.sigstore.json   ... or parts 1..n of them when there are more than 1024 files
/// </code>
/// </summary>
public static class SignedOutputLayout
{
    public const string DirectoryName = ".buildsigning";
    public const string ManifestFileName = "files.sha256";
    public const string FilesBundlePrefix = "files";
    public const string PredicateType = "https://buildsigning.dev/attestation/output-files/v1";

    public static string AttestationDirectory(string root) => Path.Combine(root, DirectoryName);

    public static string ManifestPath(string root) => Path.Combine(root, DirectoryName, ManifestFileName);

    public static string FilesBundleName(int part, int parts) => BundleName(FilesBundlePrefix, part, parts);

    /// <summary>"&lt;stem&gt;.sigstore.json", or "&lt;stem&gt;.&lt;part&gt;.sigstore.json" when a signing needs several parts.</summary>
    public static string BundleName(string stem, int part, int parts) =>
        parts == 1 ? $"{stem}.sigstore.json" : $"{stem}.{part}.sigstore.json";

    public static bool IsFilesBundleName(string fileName) =>
        fileName.StartsWith(FilesBundlePrefix + ".", StringComparison.Ordinal)
        && fileName.EndsWith(Attestations.SigstoreBundle.FileSuffix, StringComparison.Ordinal);

    /// <summary>
    /// The files a signature covers: everything below root except the attestation directory and the excluded directories,
    /// as relative paths with '/' separators in ordinal order.
    /// </summary>
    public static IReadOnlyList<string> EnumerateCoveredFiles(string root, IEnumerable<string>? excludedDirectories = null) =>
        EnumerateCoveredFiles(root, excludedDirectories, out _);

    /// <summary>
    /// As above; linked directories are not followed (they could loop or lead outside the output) but returned,
    /// so that signing can refuse them and verification can report them.
    /// </summary>
    public static IReadOnlyList<string> EnumerateCoveredFiles(string root, IEnumerable<string>? excludedDirectories, out IReadOnlyList<string> linkedDirectories) =>
        EnumerateCoveredFiles(root, excludedDirectories, excludeNestedSignedOutputs: false, out linkedDirectories, out _);

    /// <summary>
    /// As above. With <paramref name="excludeNestedSignedOutputs"/> (signing only), a subfolder that holds its own
    /// .buildsigning/ (a publish folder, another runtime's output) is another signed output: it is left out and returned, so the
    /// signer can record it in the signed statement. A verifier never does this: it skips only what a signature lists.
    /// </summary>
    public static IReadOnlyList<string> EnumerateCoveredFiles(string root, IEnumerable<string>? excludedDirectories, bool excludeNestedSignedOutputs,
        out IReadOnlyList<string> linkedDirectories, out IReadOnlyList<string> nestedSignedOutputs)
    {
        var links = new List<string>();
        var nested = new List<string>();
        string fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var excluded = new HashSet<string>(
            (excludedDirectories ?? []).Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))),
            OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)
        {
            Path.Combine(fullRoot, DirectoryName),
        };
        excluded.Remove(fullRoot);

        var files = new List<string>();
        var pending = new Stack<string>();
        pending.Push(fullRoot);
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        while (pending.Count > 0)
        {
            string directory = pending.Pop();
            foreach (FileSystemInfo entry in new DirectoryInfo(directory).EnumerateFileSystemInfos("*", options))
            {
                if (entry is DirectoryInfo)
                {
                    if (excluded.Contains(entry.FullName)) continue;
                    if (entry.Attributes.HasFlag(FileAttributes.ReparsePoint)) links.Add(RelativeName(fullRoot, entry.FullName));
                    else if (excludeNestedSignedOutputs && Directory.Exists(Path.Combine(entry.FullName, DirectoryName))) nested.Add(RelativeName(fullRoot, entry.FullName));
                    else pending.Push(entry.FullName);
                }
                else
                {
                    files.Add(RelativeName(fullRoot, entry.FullName));
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        links.Sort(StringComparer.Ordinal);
        nested.Sort(StringComparer.Ordinal);
        linkedDirectories = links;
        nestedSignedOutputs = nested;
        return files;
    }

    /// <summary>The excluded directories that lie inside root, as sorted relative names with '/' separators.</summary>
    public static IReadOnlyList<string> ExcludedInside(string root, IEnumerable<string>? excludedDirectories)
    {
        string fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return (excludedDirectories ?? [])
            .Where(d => !string.IsNullOrWhiteSpace(d))
            .Select(d => Path.GetRelativePath(fullRoot, Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))))
            .Where(r => r != "." && r != ".." && !r.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) && !Path.IsPathRooted(r))
            .Select(r => r.Replace(Path.DirectorySeparatorChar, '/'))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    public static string RelativeName(string root, string path) =>
        Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    public static string FullPath(string root, string relativeName) =>
        Path.Combine(root, relativeName.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The manifest in sha256sum's format, including its escaping of '\' and newlines in names.</summary>
    public static byte[] FormatManifest(IEnumerable<(string Name, string Sha256Hex)> entries)
    {
        var text = new StringBuilder();
        foreach (var (name, sha256) in entries)
        {
            bool escape = name.Contains('\\') || name.Contains('\n') || name.Contains('\r');
            if (escape) text.Append('\\');
            text.Append(sha256).Append("  ");
            text.Append(escape ? name.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r") : name);
            text.Append('\n');
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
