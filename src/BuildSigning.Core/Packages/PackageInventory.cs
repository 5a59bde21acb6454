using System.IO.Compression;
using System.Security.Cryptography;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Core.Packages;

/// <summary>
/// The file inventory of a packed .nupkg, for the SBOMs embedded in it. Pack writes the package with provisional SBOMs
/// (no files); after pack and before the NuGet signature, <see cref="Read"/> lists the real zip entries with SHA-256 and
/// SHA-1, the SBOMs are written again with that list, and <see cref="PackageRewriter"/> puts them into the package in place
/// of the provisional ones (same entry names, order and timestamps). The SBOM entries themselves are left out of the list
/// (a document cannot contain its own digest), and so is the NuGet signature, added afterwards.
/// </summary>
public static class PackageInventory
{
    /// <summary>NuGet's package signature entry: written by signing, after the SBOMs.</summary>
    public const string SignatureEntry = ".signature.p7s";

    /// <summary>Every file entry of the package except <paramref name="unlisted"/> and the signature, by entry name (ordinal order). Throws BS6024.</summary>
    public static IReadOnlyList<SbomFile> Read(string packagePath, IReadOnlyCollection<string> unlisted)
    {
        var skip = new HashSet<string>(unlisted, StringComparer.Ordinal) { SignatureEntry };
        var files = new List<SbomFile>();
        try
        {
            using var zip = ZipFile.OpenRead(packagePath);
            var buffer = new byte[1 << 16];
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
#pragma warning disable CA5350 // SPDX requires SHA-1 among a file's checksums.
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
#pragma warning restore CA5350
            foreach (var entry in zip.Entries)
            {
                // Directory entries (a name ending with '/') hold no content.
                // .buildsigning/ holds the statement over the entries (PackageContentsSigner), written after the SBOMs.
                if (entry.FullName.EndsWith('/') || skip.Contains(entry.FullName) || entry.FullName.StartsWith(".buildsigning/", StringComparison.Ordinal)) continue;
                using (var stream = entry.Open())
                {
                    int read;
                    while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        sha256.AppendData(buffer, 0, read);
                        sha1.AppendData(buffer, 0, read);
                    }
                }
                files.Add(new SbomFile(entry.FullName, Hex.Lower(sha256.GetHashAndReset()), Hex.Lower(sha1.GetHashAndReset())));
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw Errors.PackageInventoryUnreadable(packagePath, e.Message, e);
        }
        return files.OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// Replaces the content of existing entries, keeping their names, order and timestamps (so equal inputs still give
    /// equal packages), through a copy renamed over the package. Throws BS6024 when the package cannot be rewritten.
    /// </summary>
    public static void ReplaceEntries(string packagePath, IReadOnlyDictionary<string, byte[]> contents) => PackageRewriter.Rewrite(packagePath, contents, statement: null);
}
