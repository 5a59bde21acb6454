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

    /// <summary>The manifest's name as a subject: every further attestation names it, which binds it to one signing.</summary>
    public const string ManifestSubjectName = DirectoryName + "/" + ManifestFileName;

    public static string FilesBundleName(int part, int parts) => BundleName(FilesBundlePrefix, part, parts);

    /// <summary>"&lt;stem&gt;.sigstore.json", or "&lt;stem&gt;.&lt;part&gt;.sigstore.json" when a signing needs several parts.</summary>
    public static string BundleName(string stem, int part, int parts) =>
        parts == 1 ? $"{stem}.sigstore.json" : $"{stem}.{part}.sigstore.json";

    /// <summary>Splits "sbom.spdx.2.sigstore.json" into ("sbom.spdx", 2), "provenance.sigstore.json" into ("provenance", 1).</summary>
    public static bool TryParseBundleName(string fileName, out string stem, out int part)
    {
        stem = "";
        part = 0;
        if (!fileName.EndsWith(Attestations.SigstoreBundle.FileSuffix, StringComparison.Ordinal)) return false;
        stem = fileName[..^Attestations.SigstoreBundle.FileSuffix.Length];
        part = 1;
        int dot = stem.LastIndexOf('.');
        if (dot > 0 && int.TryParse(stem.AsSpan(dot + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int number)
            && number > 0 && stem[(dot + 1)..] == number.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            stem = stem[..dot];
            part = number;
        }
        return stem.Length > 0;
    }

    public static bool IsFilesBundleName(string fileName) =>
        fileName.StartsWith(FilesBundlePrefix + ".", StringComparison.Ordinal)
        && fileName.EndsWith(Attestations.SigstoreBundle.FileSuffix, StringComparison.Ordinal);

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
