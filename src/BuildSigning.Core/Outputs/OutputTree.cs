using BuildSigning.Core.IO;

namespace BuildSigning.Core.Outputs;

/// <summary>A link to a file, by its name in the output and its target exactly as the link holds it.</summary>
public sealed record OutputLink(string Name, string Target);

/// <summary>An entry no signature can cover: a FIFO, a device, a socket, or a link that leads to one or to nothing.</summary>
public sealed record UnsupportedEntry(string Name, string Description);

/// <summary>
/// Everything an output directory holds, sorted by kind, read without opening a single file (a FIFO or a link to
/// /dev/zero would block or never end). Names are relative, '/'-separated, in ordinal order.
/// </summary>
public sealed class OutputTree
{
    /// <summary>Regular files, and links to regular files (what a reader of that name gets is what is hashed).</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>Every link among <see cref="Files"/>, with its target as written.</summary>
    public required IReadOnlyList<OutputLink> Links { get; init; }

    /// <summary>The links among <see cref="Links"/> whose target lies outside the root.</summary>
    public required IReadOnlyList<OutputLink> ExternalLinks { get; init; }

    /// <summary>Directories with nothing in them: part of what an output is (a plugin folder, say), so signed too.</summary>
    public required IReadOnlyList<string> EmptyDirectories { get; init; }

    /// <summary>Links to directories: never followed (they could loop or lead anywhere).</summary>
    public required IReadOnlyList<string> LinkedDirectories { get; init; }

    /// <summary>Subfolders holding a .buildsigning/ of their own that the caller chose to leave out: not entered.</summary>
    public required IReadOnlyList<string> SubdirectoriesWithSignatures { get; init; }

    public required IReadOnlyList<UnsupportedEntry> Unsupported { get; init; }

    /// <summary>
    /// The stamp of each of <see cref="Files"/> (same order) as the scan saw it, taken by the same call that told its kind
    /// (a link's is its target's); null where it could not be taken. Lets a digest cache and the signing state skip a second stat.
    /// </summary>
    internal IReadOnlyList<FileStamp?> Stamps { get; init; } = [];

    /// <summary>
    /// Scans root, leaving out its own .buildsigning/ and the excluded directories. A subfolder holding its own
    /// .buildsigning/ is listed and not entered when <paramref name="leaveOutSignedSubdirectory"/> says so (given its full
    /// path); otherwise its files are part of this output like any other.
    /// </summary>
    public static OutputTree Scan(string root, IEnumerable<string>? excludedDirectories, Func<string, bool>? leaveOutSignedSubdirectory = null)
    {
        string fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        string realRoot = FileKind.RealPath(fullRoot) ?? fullRoot;
        var excluded = new HashSet<string>(
            (excludedDirectories ?? []).Where(d => !string.IsNullOrWhiteSpace(d)).Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d))),
            OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal)
        {
            Path.Combine(fullRoot, SignedOutputLayout.DirectoryName),
        };
        excluded.Remove(fullRoot);

        var files = new List<(string Name, FileStamp? Stamp)>();
        var links = new List<OutputLink>();
        var external = new List<OutputLink>();
        var empty = new List<string>();
        var linkedDirectories = new List<string>();
        var signed = new List<string>();
        var unsupported = new List<UnsupportedEntry>();
        var pending = new Stack<string>();
        pending.Push(fullRoot);
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        while (pending.Count > 0)
        {
            string directory = pending.Pop();
            bool any = false;
            foreach (string path in Directory.EnumerateFileSystemEntries(directory, "*", options))
            {
                any = true;
                string name = SignedOutputLayout.RelativeName(fullRoot, path);
                // One lstat per entry: its kind and, for a regular file, the stamp a digest cache compares.
                if (!FileStatus.TryGetEntry(path, out var entryKind, out var stamp))
                {
                    entryKind = FileKind.Of(path);
                    stamp = entryKind == EntryKind.RegularFile ? FileStamp.Get(path) : null;
                }
                switch (entryKind)
                {
                    case EntryKind.Directory:
                        if (excluded.Contains(path)) break;
                        if (leaveOutSignedSubdirectory is not null && FileKind.Of(Path.Combine(path, SignedOutputLayout.DirectoryName)) == EntryKind.Directory
                            && leaveOutSignedSubdirectory(path))
                        {
                            signed.Add(name);
                        }
                        else pending.Push(path);
                        break;
                    case EntryKind.RegularFile:
                        files.Add((name, stamp));
                        break;
                    case EntryKind.SymbolicLink:
                        ClassifyLink(path, name, realRoot, files, links, external, linkedDirectories, unsupported);
                        break;
                    case EntryKind.Missing:
                        break; // Deleted while we looked: whoever compares names reports it.
                    case var kind:
                        unsupported.Add(new UnsupportedEntry(name, FileKind.Describe(kind)));
                        break;
                }
            }
            if (!any && directory != fullRoot) empty.Add(SignedOutputLayout.RelativeName(fullRoot, directory));
        }
        files.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        links.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        external.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        empty.Sort(StringComparer.Ordinal);
        linkedDirectories.Sort(StringComparer.Ordinal);
        signed.Sort(StringComparer.Ordinal);
        unsupported.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new OutputTree
        {
            Files = files.Select(f => f.Name).ToArray(),
            Stamps = files.Select(f => f.Stamp).ToArray(),
            Links = links,
            ExternalLinks = external,
            EmptyDirectories = empty,
            LinkedDirectories = linkedDirectories,
            SubdirectoriesWithSignatures = signed,
            Unsupported = unsupported,
        };
    }

    private static void ClassifyLink(string path, string name, string realRoot, List<(string Name, FileStamp? Stamp)> files, List<OutputLink> links, List<OutputLink> external,
        List<string> linkedDirectories, List<UnsupportedEntry> unsupported)
    {
        string target = new FileInfo(path).LinkTarget ?? "";
        string? real = FileKind.RealPath(path);
        var kind = real is null ? EntryKind.Missing : FileKind.Of(real);
        switch (kind)
        {
            case EntryKind.Directory:
                linkedDirectories.Add(name);
                return;
            case EntryKind.RegularFile:
                var link = new OutputLink(name, target);
                files.Add((name, FileStamp.Get(path)));
                links.Add(link);
                if (!IsInside(real!, realRoot)) external.Add(link);
                return;
            case EntryKind.Missing:
                unsupported.Add(new UnsupportedEntry(name, $"a link to '{target}', which does not exist"));
                return;
            default:
                unsupported.Add(new UnsupportedEntry(name, $"a link to '{target}', {FileKind.Describe(kind)}"));
                return;
        }
    }

    private static bool IsInside(string path, string root) =>
        path.StartsWith(root + Path.DirectorySeparatorChar, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
