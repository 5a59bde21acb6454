using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Packages;

/// <summary>The key-signed statement over a package's entries that a rewrite adds as <see cref="PackageContentsSigner.EntryName"/>.</summary>
/// <param name="RemoveNuGetSignature">
/// Drop an existing NuGet signature (the package is about to be signed again); without it a NuGet-signed package gets no
/// statement, since changing an entry would break that signature.
/// </param>
public sealed record PackageContentsStatement(SigningKey Key, Uri? TimestampUrl, bool RemoveNuGetSignature, Transparency.SigningRecorder? Recorder = null);

/// <summary>What <see cref="PackageRewriter.Rewrite"/> did: whether the file was replaced, and whether the statement was added.</summary>
public sealed record PackageRewriteResult(bool Rewritten, bool ContentsSigned);

/// <summary>
/// The one rewrite of a packed .nupkg after pack and before its NuGet signature: the embedded SBOMs get their final
/// content (same entry names, order and timestamps, so equal inputs still give equal packages) and the contents statement
/// is computed over the final entry digests, in the same pass, through one copy renamed over the package.
/// </summary>
public static class PackageRewriter
{
    /// <summary>
    /// Puts <paramref name="replacements"/> (entry name to content) into the package and, with <paramref name="statement"/>,
    /// adds the signed statement over its entries as they are then. Nothing is written when there is nothing to change.
    /// <paramref name="replaceFile"/> moves the finished copy over the package (default: <see cref="File.Move(string, string, bool)"/>
    /// with overwrite); tests pass their own to count rewrites. Throws BS6024 when an SBOM could not be replaced, BS6030
    /// when the statement could not be added.
    /// </summary>
    public static PackageRewriteResult Rewrite(string packagePath, IReadOnlyDictionary<string, byte[]> replacements, PackageContentsStatement? statement,
        Action<string, string>? replaceFile = null)
    {
        if (replacements.Count == 0 && statement is null) return new PackageRewriteResult(false, false);
        string temporary = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(packagePath))!, $".{Path.GetFileName(packagePath)}.{Guid.NewGuid():N}.tmp");
        bool signing = false;
        try
        {
            File.Copy(packagePath, temporary);
            bool contentsSigned;
            using (var zip = ZipFile.Open(temporary, ZipArchiveMode.Update))
            {
                foreach (var (name, content) in replacements.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"it has no entry '{name}'");
                    var lastWrite = entry.LastWriteTime;
                    using (var stream = entry.Open())
                    {
                        stream.SetLength(0);
                        stream.Write(content);
                    }
                    entry.LastWriteTime = lastWrite;
                }
                signing = statement is not null;
                contentsSigned = statement is not null && AddStatement(zip, packagePath, replacements, statement);
                // Writing the package fails as adding the statement (BS6030) when there is one, else as replacing the SBOMs.
                signing = contentsSigned;
                if (replacements.Count == 0 && !contentsSigned) return new PackageRewriteResult(false, false);
            }
            (replaceFile ?? MoveOver)(temporary, packagePath);
            return new PackageRewriteResult(true, contentsSigned);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw signing ? Errors.PackageContentsNotSigned(packagePath, e.Message) : Errors.PackageInventoryUnreadable(packagePath, e.Message, e);
        }
        finally
        {
            AtomicFile.TryDelete(temporary);
        }
    }

    private static void MoveOver(string temporary, string packagePath) => File.Move(temporary, packagePath, overwrite: true);

    /// <summary>Replaces any carried statement with one over every entry as it now is; false when a NuGet signature must stay.</summary>
    private static bool AddStatement(ZipArchive zip, string packagePath, IReadOnlyDictionary<string, byte[]> replaced, PackageContentsStatement statement)
    {
        var signature = zip.GetEntry(PackageInventory.SignatureEntry);
        if (signature is not null)
        {
            if (!statement.RemoveNuGetSignature) return false;
            signature.Delete();
        }
        foreach (var carried in zip.Entries.Where(e => e.FullName.StartsWith(".buildsigning/", StringComparison.Ordinal)).ToArray()) carried.Delete();

        var subjects = new List<Subject>();
        DateTimeOffset entryTime = default;
        foreach (var entry in zip.Entries.Where(e => !e.FullName.EndsWith('/')).OrderBy(e => e.FullName, StringComparer.Ordinal))
        {
            // An entry replaced in this pass is hashed from the bytes it was given: they are its final content.
            if (replaced.TryGetValue(entry.FullName, out var content))
            {
                subjects.Add(new Subject(entry.FullName, Hex.Lower(SHA256.HashData(content))));
            }
            else
            {
                using var stream = entry.Open();
                subjects.Add(new Subject(entry.FullName, Hex.Lower(SHA256.HashData(stream))));
            }
            if (entry.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase) && !entry.FullName.Contains('/')) entryTime = entry.LastWriteTime;
        }
        var predicate = new JsonObject
        {
            ["packageFile"] = Path.GetFileName(packagePath),
            ["excludedEntries"] = new JsonArray(PackageInventory.SignatureEntry, ".buildsigning/"),
        };
        var bundle = AttestationSigner.SignStatement(new InTotoStatement(subjects, PackageContentsSigner.PredicateType, predicate), statement.Key,
            statement.TimestampUrl, statement.Recorder, packagePath + "!/" + PackageContentsSigner.EntryName);
        // Same time stamp as pack gave the nuspec, so the entry does not make the package depend on the clock.
        var added = zip.CreateEntry(PackageContentsSigner.EntryName, CompressionLevel.Optimal);
        if (entryTime != default) added.LastWriteTime = entryTime;
        using var output = added.Open();
        output.Write(bundle.ToJsonBytes());
        return true;
    }
}
