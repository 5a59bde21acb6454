using System.IO.Compression;
using System.Security.Cryptography;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Trust;

/// <summary>
/// Deep mode: the files restore extracted into a package's folder, compared with the entries of the package's verified
/// .nupkg. Only what NuGet extracts is compared (not its packaging files: [Content_Types].xml, _rels/, package/,
/// .signature.p7s, the root .nuspec, which the identity check reads from the .nupkg itself). A file missing from the
/// folder is not an error here (nothing can load it); a file whose length or SHA-256 differs is.
/// </summary>
public static class ExtractedFiles
{
    /// <summary>The first extracted file that differs from its entry, as a BS4039 diagnostic, or null when all match.</summary>
    public static Diagnostic? FindChanged(string nupkg, string id, string version)
    {
        string directory = Path.GetDirectoryName(nupkg)!;
        try
        {
            using var zip = ZipFile.OpenRead(nupkg);
            foreach (var entry in zip.Entries.OrderBy(e => e.FullName, StringComparer.Ordinal))
            {
                if (entry.FullName.EndsWith('/') || IsPackagingFile(entry.FullName)) continue;
                string relative = Uri.UnescapeDataString(entry.FullName).Replace('/', Path.DirectorySeparatorChar);
                string path = Path.GetFullPath(Path.Combine(directory, relative));
                if (!path.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;
                var info = new FileInfo(path);
                if (!info.Exists) continue;
                string expected;
                using (var stream = entry.Open()) expected = Convert.ToHexStringLower(SHA256.HashData(stream));
                string actual;
                if (info.Length != entry.Length)
                {
                    actual = $"{info.Length} bytes instead of {entry.Length}";
                }
                else
                {
                    using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
                    string hash = Convert.ToHexStringLower(SHA256.HashData(file));
                    if (hash == expected) continue;
                    actual = $"SHA-256 {hash}";
                }
                return TrustMessages.PackageExtractedFileChanged(id, version, path, entry.FullName, nupkg, expected, actual, directory);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return TrustMessages.PackageUnreadable(id, version, nupkg, e.Message, directory);
        }
        return null;
    }

    private static bool IsPackagingFile(string name) =>
        name.Equals("[Content_Types].xml", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("_rels/", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("package/", StringComparison.OrdinalIgnoreCase)
        || name.Equals(".signature.p7s", StringComparison.OrdinalIgnoreCase)
        || (!name.Contains('/') && name.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
}
