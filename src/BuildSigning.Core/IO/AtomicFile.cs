using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.IO;

/// <summary>Writes go to a temporary file beside the target and are renamed over it, so a reader never sees half a file.</summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content, UnixFileMode? unixMode = null)
    {
        string temporary = WriteTemporary(path, content, unixMode);
        try
        {
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw Errors.FileWriteFailed(path, e);
        }
    }

    /// <summary>Writes only when the content differs, so unchanged files keep their timestamps. Returns whether it wrote.</summary>
    public static bool WriteIfChanged(string path, ReadOnlySpan<byte> content)
    {
        // Only a regular file is compared: reading a FIFO planted under that name would block.
        if (FileKind.Of(path) == EntryKind.RegularFile)
        {
            try
            {
                if (content.SequenceEqual(File.ReadAllBytes(path))) return false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Unreadable: fall through and replace it.
            }
        }
        WriteAllBytes(path, content);
        return true;
    }

    /// <summary>Creates the file only if it does not exist yet; returns false when another writer got there first.</summary>
    public static bool TryCreateNew(string path, ReadOnlySpan<byte> content, UnixFileMode? unixMode = null)
    {
        string temporary = WriteTemporary(path, content, unixMode);
        try
        {
            File.Move(temporary, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            TryDelete(temporary);
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw Errors.FileWriteFailed(path, e);
        }
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public static void TryDeleteDirectory(string path)
    {
        try { Directory.Delete(path, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Writes and flushes the content to a new temporary file in the target's folder (the file created with the given mode).</summary>
    private static string WriteTemporary(string path, ReadOnlySpan<byte> content, UnixFileMode? unixMode)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            // A private file's new folders are private too (0700), whatever the umask.
            if (unixMode is null) Directory.CreateDirectory(directory);
            else PrivateDirectory.Create(directory);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (unixMode is { } mode && !OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
            using var stream = new FileStream(temporary, options);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
            return temporary;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw Errors.FileWriteFailed(path, e);
        }
    }
}
