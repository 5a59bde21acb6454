using System.Xml;

namespace BuildSigning.Core.Sbom;

/// <summary>The parts of a .nuspec an SBOM needs. Values are trimmed; empty values are null.</summary>
public sealed record NuspecMetadata(string? Id, string? Version, string? Authors, string? LicenseType, string? License, string? LicenseUrl, string? ProjectUrl,
    string? Copyright = null, string? Description = null, SbomRepository? Repository = null)
{
    /// <summary>
    /// Reads the metadata with a forward-only XmlReader (no DTDs, no external resources). Namespaces vary between
    /// nuspec schema versions, so elements are matched by local name under &lt;package&gt;&lt;metadata&gt;.
    /// </summary>
    /// <exception cref="XmlException">The file is not well-formed XML or not a nuspec.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static NuspecMetadata Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 16 * 1024);
        return Read(stream);
    }

    public static NuspecMetadata Read(Stream stream)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            MaxCharactersInDocument = 16 * 1024 * 1024,
        };
        using var reader = XmlReader.Create(stream, settings);
        string? id = null, version = null, authors = null, licenseType = null, license = null, licenseUrl = null, projectUrl = null;
        string? copyright = null, description = null;
        SbomRepository? repository = null;
        bool sawPackage = false, sawMetadata = false, inMetadata = false;

        // ReadElementContentAsString leaves the reader on the next node already, so only read on when nothing was consumed.
        bool more = reader.Read();
        while (more)
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                more = reader.Read();
                continue;
            }
            bool consumed = false;
            if (reader.Depth == 0)
            {
                if (reader.LocalName != "package") throw new XmlException($"the root element is <{reader.LocalName}>, not <package>");
                sawPackage = true;
            }
            else if (reader.Depth == 1)
            {
                inMetadata = reader.LocalName == "metadata";
                sawMetadata |= inMetadata;
            }
            else if (reader.Depth == 2 && inMetadata)
            {
                consumed = true;
                switch (reader.LocalName)
                {
                    case "id": id = Text(reader); break;
                    case "version": version = Text(reader); break;
                    case "authors": authors = Text(reader); break;
                    case "licenseUrl": licenseUrl = Text(reader); break;
                    case "projectUrl": projectUrl = Text(reader); break;
                    case "copyright": copyright = Text(reader); break;
                    case "description": description = Text(reader); break;
                    case "repository":
                        repository = SbomRepository.Create(reader.GetAttribute("type"), reader.GetAttribute("url"), reader.GetAttribute("commit"));
                        consumed = false;
                        break;
                    case "license":
                        licenseType = reader.GetAttribute("type")?.Trim();
                        license = Text(reader);
                        break;
                    default: consumed = false; break;
                }
            }
            more = consumed ? !reader.EOF : reader.Read();
        }
        if (!sawPackage) throw new XmlException("the file has no <package> element");
        if (!sawMetadata) throw new XmlException("the file has no <metadata> element");
        return new NuspecMetadata(id, version, authors, licenseType, license, licenseUrl, projectUrl, copyright, description, repository);
    }

    private static string? Text(XmlReader reader)
    {
        string text = reader.ReadElementContentAsString().Trim();
        return text.Length == 0 ? null : text;
    }
}

/// <summary>
/// A source repository as a nuspec's &lt;repository type url commit&gt; (or the build's own git checkout) declares it. The URL
/// is absolute, with any user name or password removed; the commit is a hex object name or null.
/// </summary>
public sealed record SbomRepository(string? Type, string Url, string? Commit)
{
    public static SbomRepository? Create(string? type, string? url, string? commit)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.IsFile || uri.IsUnc) return null;
        // Credentials in a repository URL never reach a document: over http(s) a user name is often a token, so all of it goes;
        // other schemes keep a plain user name (ssh://git@host/...) but never a password.
        string clean = uri.UserInfo.Length == 0 ? uri.OriginalString
            : uri.Scheme is "http" or "https" || uri.UserInfo.Contains(':', StringComparison.Ordinal)
                ? new UriBuilder(uri) { UserName = uri.Scheme is "http" or "https" ? "" : Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]), Password = "" }.Uri.AbsoluteUri
                : uri.OriginalString;
        if (clean.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))) return null;
        string? hex = commit?.Trim() is { Length: >= 7 and <= 64 } name && name.All(char.IsAsciiHexDigit) ? name.ToLowerInvariant() : null;
        return new SbomRepository(string.IsNullOrWhiteSpace(type) ? null : type.Trim(), clean, hex);
    }

    public bool IsGit => string.Equals(Type, "git", StringComparison.OrdinalIgnoreCase);

    /// <summary>The SPDX VCS download location <c>git+&lt;url&gt;@&lt;commit&gt;</c>, when this is git and the commit is known.</summary>
    public string? SpdxDownloadLocation => IsGit && Commit is not null
        ? (Url.StartsWith("git+", StringComparison.OrdinalIgnoreCase) ? Url : "git+" + Url) + "@" + Commit
        : null;
}
