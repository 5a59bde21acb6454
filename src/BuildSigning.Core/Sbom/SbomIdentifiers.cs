using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BuildSigning.Core.Sbom;

/// <summary>Package URLs (purl) for NuGet packages: <c>pkg:nuget/&lt;Id&gt;@&lt;Version&gt;</c>, percent-encoded per the purl spec.</summary>
public static class PackageUrl
{
    public static string NuGet(string id, string version) =>
        version.Length == 0 ? $"pkg:nuget/{Encode(id)}" : $"pkg:nuget/{Encode(id)}@{Encode(version)}";

    /// <summary>Percent-encodes everything but the purl spec's unencoded characters (A-Z a-z 0-9 . - _ ~).</summary>
    public static string Encode(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~') builder.Append(c);
            else builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }
}

/// <summary>
/// Identifiers of components that are on no package feed (the published project, project references): used as CycloneDX
/// bom-refs. The "project:" scheme is BuildSigning's own and names no registry, so no scanner matches it against a
/// public package's advisories.
/// </summary>
public static class SbomReference
{
    public static string Project(string name, string version) => $"project:{name}@{version}";

    /// <summary>A shared framework installed with .NET (not a NuGet package): "framework:&lt;name&gt;@&lt;version&gt;".</summary>
    public static string Framework(string name, string version) => $"framework:{name}@{version}";
}

/// <summary>
/// Who supplies a component, from NuGet's free-text authors: a comma-separated list of names. One name may be a person or
/// an organization (it cannot be told) and is written as an organization, the common case for published packages. Several
/// names are people: SPDX's supplier holds one, so it is the first person, and every name is kept (SPDX attributionTexts,
/// CycloneDX authors).
/// </summary>
public static class SbomSupplier
{
    public static IReadOnlyList<string> Names(string? authors)
    {
        if (string.IsNullOrWhiteSpace(authors)) return [];
        var names = authors.Split(',').Select(Clean).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        // "Contoso, Inc." is one organization, not two people.
        return names.Skip(1).Any(n => CompanySuffixes.Contains(n.TrimEnd('.'))) ? [Clean(authors)] : names;
    }

    private static readonly HashSet<string> CompanySuffixes = new(StringComparer.OrdinalIgnoreCase)
    {
        "Inc", "Ltd", "LLC", "LLP", "GmbH", "AG", "Corp", "Co", "S.A", "SA", "SAS", "BV", "B.V", "Pty Ltd", "PLC", "Limited", "Incorporated",
    };

    /// <summary>An organization's name as written (not split): for who wrote the SBOM.</summary>
    public static string? Organization(string? name) => string.IsNullOrWhiteSpace(name) ? null : Clean(name);

    /// <summary>"Organization: name", "Person: first name" for a list, or NOASSERTION.</summary>
    public static string Spdx(string? authors)
    {
        var names = Names(authors);
        return names.Count switch
        {
            0 => "NOASSERTION",
            1 => "Organization: " + names[0],
            _ => "Person: " + names[0],
        };
    }

    /// <summary>The name SPDX's supplier gives (CycloneDX supplier.name), or null.</summary>
    public static string? Name(string? authors) => Names(authors) is { Count: > 0 } names ? names[0] : null;

    // Parentheses would be read as an e-mail address and line breaks break SPDX's tag-value form.
    private static string Clean(string name) =>
        string.Join(' ', name.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Replace('(', '[').Replace(')', ']');
}

/// <summary>NuGet package id rules, to notice ids that did not come from a real NuGet feed.</summary>
public static partial class NuGetId
{
    [GeneratedRegex(@"^\w+([.-]\w+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidId();

    public static bool IsValid(string id) => id.Length is > 0 and <= 100 && ValidId().IsMatch(id) && id.All(char.IsAscii);
}

/// <summary>SPDX element IDs: <c>SPDXRef-</c> followed by [A-Za-z0-9.-] only, unique within a document.</summary>
public sealed class SpdxIdAllocator
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal) { "SPDXRef-DOCUMENT" };

    /// <summary>Returns "SPDXRef-{prefix}-{parts}" with every other character replaced by '-', made unique with a numeric suffix.</summary>
    public string Allocate(string prefix, params string[] parts)
    {
        string id = "SPDXRef-" + Sanitize(string.Join("-", [prefix, .. parts]));
        string candidate = id;
        for (int n = 2; !_used.Add(candidate); n++) candidate = $"{id}-{n}";
        return candidate;
    }

    public static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text) builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '-');
        return builder.Length == 0 ? "-" : builder.ToString();
    }

    public static bool IsValid(string id) => id.StartsWith("SPDXRef-", StringComparison.Ordinal) && id.Length > 8
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-');
}

/// <summary>Name-based (version 5) UUIDs: identifiers derived from content, so equal documents get equal identifiers.</summary>
public static class DeterministicUuid
{
    /// <summary>The namespace of BuildSigning's document identifiers: UUIDv5(URL namespace, "https://buildsigning.dev/sbom").</summary>
    public static readonly Guid SbomNamespace = Create(new Guid("6ba7b811-9dad-11d1-80b4-00c04fd430c8"), "https://buildsigning.dev/sbom");

    public static Guid Create(Guid namespaceId, string name)
    {
        Span<byte> namespaceBytes = stackalloc byte[16];
        namespaceId.TryWriteBytes(namespaceBytes, bigEndian: true, out _);
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        byte[] input = new byte[16 + nameBytes.Length];
        namespaceBytes.CopyTo(input);
        nameBytes.CopyTo(input, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for version 5 UUIDs; it is an identifier, not a security control.
        byte[] hash = SHA1.HashData(input);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>A UUIDv5 in <see cref="SbomNamespace"/> named by the SHA-256 (hex) of the content.</summary>
    public static Guid FromContent(ReadOnlySpan<byte> content) =>
        Create(SbomNamespace, Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant());
}

/// <summary>Shared JSON and time formatting for the documents we write, so output is stable byte for byte.</summary>
internal static class SbomJson
{
    /// <summary>Indented, and without the HTML-safe escaping of '+', '&lt;' and non-ASCII text (still valid JSON).</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NewLine = "\n",
    };

    /// <summary>UTC, whole seconds: the form SPDX requires ("YYYY-MM-DDThh:mm:ssZ") and CycloneDX accepts.</summary>
    public static string Timestamp(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The document with the string value of the first <c>"key": "placeholder"</c> replaced: an identifier derived from the
    /// draft's content is put in without writing the whole document a second time.
    /// </summary>
    public static byte[] ReplaceValue(byte[] document, string key, string placeholder, string value)
    {
        byte[] find = Encoding.UTF8.GetBytes($"\"{key}\": \"{placeholder}\"");
        int at = document.AsSpan().IndexOf(find);
        if (at < 0) throw new InvalidOperationException($"The document has no \"{key}\" placeholder.");
        byte[] replacement = [.. Encoding.UTF8.GetBytes($"\"{key}\": \""), .. JsonEncodedText.Encode(value, WriterOptions.Encoder).EncodedUtf8Bytes, (byte)'"'];
        return [.. document.AsSpan(0, at), .. replacement, .. document.AsSpan(at + find.Length)];
    }

    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) write(writer);
        return buffer.WrittenSpan.ToArray();
    }
}
