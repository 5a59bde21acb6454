using System.Xml;

namespace BuildSigning.Core.Sbom;

/// <summary>The parts of a .nuspec an SBOM needs. Values are trimmed; empty values are null.</summary>
public sealed record NuspecMetadata(string? Id, string? Version, string? Authors, string? LicenseType, string? License, string? LicenseUrl, string? ProjectUrl)
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
        return new NuspecMetadata(id, version, authors, licenseType, license, licenseUrl, projectUrl);
    }

    private static string? Text(XmlReader reader)
    {
        string text = reader.ReadElementContentAsString().Trim();
        return text.Length == 0 ? null : text;
    }
}
