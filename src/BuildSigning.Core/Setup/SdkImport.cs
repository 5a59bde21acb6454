using System.Text;
using System.Text.RegularExpressions;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Setup;

/// <summary>What <see cref="SdkImport.Ensure"/> did to a file.</summary>
public enum SdkImportChange
{
    Created,
    Added,
    VersionUpdated,
    AlreadyPresent,
    /// <summary>The file has the line with another version; left alone (without force).</summary>
    OtherVersionKept,
}

/// <summary>
/// The one line that turns restore-time verification on for a repository (docs/restore.md): <c>&lt;Sdk Name="BuildSigning"
/// Version="…" /&gt;</c> in Directory.Build.props and in Directory.Solution.targets beside each solution. Files are edited as
/// text: an existing file gets the line right after its opening <c>&lt;Project&gt;</c> tag, and nothing else changes.
/// </summary>
public static class SdkImport
{
    private static readonly Regex ExistingLine = new(@"<Sdk\s+Name\s*=\s*[""']BuildSigning[""'](?<rest>[^>]*)/?>", RegexOptions.IgnoreCase);
    private static readonly Regex VersionAttribute = new(@"Version\s*=\s*[""'](?<version>[^""']*)[""']", RegexOptions.IgnoreCase);
    private static readonly Regex ProjectStart = new(@"<Project\b[^>]*?(?<selfClosing>/?)>", RegexOptions.IgnoreCase);

    public static string Line(string version) => $"<Sdk Name=\"BuildSigning\" Version=\"{version}\" />";

    public static SdkImportChange Ensure(string path, string version, bool force)
    {
        if (!File.Exists(path))
        {
            AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes($"<Project>\n  {Line(version)}\n</Project>\n"));
            return SdkImportChange.Created;
        }
        byte[] bytes = File.ReadAllBytes(path);
        bool bom = bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF });
        string text = Encoding.UTF8.GetString(bom ? bytes[3..] : bytes);
        var existing = ExistingLine.Match(text);
        if (existing.Success)
        {
            var attribute = VersionAttribute.Match(existing.Groups["rest"].Value);
            string current = attribute.Success ? attribute.Groups["version"].Value : "";
            if (string.Equals(current, version, StringComparison.Ordinal)) return SdkImportChange.AlreadyPresent;
            if (!force) return SdkImportChange.OtherVersionKept;
            string updated = text[..existing.Index] + Line(version) + text[(existing.Index + existing.Length)..];
            Write(path, updated, bom);
            return SdkImportChange.VersionUpdated;
        }
        var project = ProjectStart.Match(text);
        if (!project.Success) throw TrustEditErrors.InitFileUnusable(path, "it has no <Project> element", version);
        if (project.Groups["selfClosing"].Value == "/") throw TrustEditErrors.InitFileUnusable(path, "its <Project /> element is empty and self-closing", version);
        string newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        string indent = DetectIndent(text, project.Index + project.Length);
        int at = project.Index + project.Length;
        Write(path, text[..at] + newline + indent + Line(version) + text[at..], bom);
        return SdkImportChange.Added;
    }

    /// <summary>The indentation of the first element inside the project, else two spaces.</summary>
    private static string DetectIndent(string text, int from)
    {
        var next = Regex.Match(text[from..], @"\n([ \t]+)<");
        return next.Success ? next.Groups[1].Value : "  ";
    }

    private static void Write(string path, string text, bool bom)
    {
        byte[] content = Encoding.UTF8.GetBytes(text);
        AtomicFile.WriteAllBytes(path, bom ? [0xEF, 0xBB, 0xBF, .. content] : content);
    }
}
