using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BuildSigning.Core.Sbom;

/// <summary>
/// Writes an SPDX 2.3 JSON document: the project as the described root package (with its files for publish),
/// every resolved package and project reference with DEPENDS_ON relationships, and the .NET SDK as BUILD_TOOL_OF.
/// Same model and input, same bytes: ordering is fixed and the namespace is derived from the content.
/// </summary>
public static class SpdxWriter
{
    public const string PredicateType = "https://spdx.dev/Document/v2.3";
    public const string NamespacePrefix = "https://buildsigning.dev/spdx/";
    private const string NoAssertion = "NOASSERTION";
    private const string RootId = "SPDXRef-RootPackage";
    private const string NamespacePlaceholder = "https://buildsigning.dev/spdx/placeholder";
    private const string RootLicenseKey = "root-file:";

    public static byte[] Write(SbomModel model, SbomInput input)
    {
        var ids = Allocate(model, input);
        // The namespace is a UUIDv5 of the document written with a placeholder namespace: it changes exactly when the content does.
        byte[] draft = SbomJson.Write(w => WriteDocument(w, model, input, ids, NamespacePlaceholder));
        string name = $"{SpdxIdAllocator.Sanitize(input.ProjectName)}-{SpdxIdAllocator.Sanitize(input.ProjectVersion)}";
        string documentNamespace = $"{NamespaceOf(input)}{name}-{DeterministicUuid.FromContent(draft)}";
        return SbomJson.ReplaceValue(draft, "documentNamespace", NamespacePlaceholder, documentNamespace);
    }

    /// <summary>
    /// The namespace prefix: BuildSigningSbomNamespace; else the http(s) repository URL (without ".git") + "/spdx/", so the
    /// project's own address says whose document it is; else https://buildsigning.dev/spdx/. Always ends with '/'.
    /// </summary>
    internal static string NamespaceOf(SbomInput input)
    {
        if (input.SpdxNamespace is { Length: > 0 } configured) return ValidNamespace(configured);
        if (input.Repository?.Url is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.Query.Length == 0 && uri.Fragment.Length == 0)
        {
            string path = uri.AbsoluteUri.TrimEnd('/');
            if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) path = path[..^4];
            return path + "/spdx/";
        }
        return NamespacePrefix;
    }

    /// <summary>An absolute URI without a fragment, ending with '/'; BS5015 otherwise.</summary>
    public static string ValidNamespace(string value)
    {
        string trimmed = value.Trim();
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.IsFile || trimmed.Contains('#', StringComparison.Ordinal)
            || trimmed.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw Diagnostics.Errors.SbomNamespaceInvalid(value);
        }
        return trimmed.EndsWith('/') ? trimmed : trimmed + "/";
    }

    private sealed record Ids(Dictionary<string, string> Components, string[] Files, string Sdk, Dictionary<string, (string Id, string Url)> LicenseRefs)
    {
        public string[] Frameworks { get; init; } = [];
    }

    private static Ids Allocate(SbomModel model, SbomInput input)
    {
        var allocator = new SpdxIdAllocator();
        allocator.Allocate("RootPackage"); // reserve
        var components = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var licenseRefs = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (var c in model.Components)
        {
            components[c.Key] = allocator.Allocate(c.Kind == SbomComponentKind.Project ? "Project" : "Package", c.Name, c.Version);
        }
        // One LicenseRef per license URL and per license file (named after the package), in component order.
        foreach (var c in model.Components)
        {
            if (c.License.Expression is not null) continue;
            if (c.License.Url is { } url && !licenseRefs.ContainsKey("url:" + url))
            {
                licenseRefs["url:" + url] = (allocator.Allocate("License", LicenseRefName(url)).Replace("SPDXRef-License-", "LicenseRef-", StringComparison.Ordinal), url);
            }
            else if (c.License.FileName is not null)
            {
                licenseRefs["file:" + c.Key] = (allocator.Allocate("License", c.Name, c.Version, "file").Replace("SPDXRef-License-", "LicenseRef-", StringComparison.Ordinal), c.License.FileName);
            }
        }
        if (input.HasLicenseFile)
        {
            licenseRefs[RootLicenseKey] = (allocator.Allocate("License", input.ProjectName, input.ProjectVersion, "file").Replace("SPDXRef-License-", "LicenseRef-", StringComparison.Ordinal), input.LicenseFile!);
        }
        var sorted = input.SortedFiles;
        var files = new string[sorted.Count];
        for (int i = 0; i < sorted.Count; i++) files[i] = allocator.Allocate("File", Normalize(sorted[i].RelativePath));
        var frameworks = input.SortedFrameworks.Select(f => allocator.Allocate("Framework", f.Name, f.Version)).ToArray();
        return new Ids(components, files, allocator.Allocate("Tool", "dotnet-sdk", input.SdkVersion), licenseRefs) { Frameworks = frameworks };
    }

    private static string LicenseRefName(string url)
    {
        var uri = new Uri(url);
        string text = (uri.Host + uri.AbsolutePath).TrimEnd('/');
        return text.Length > 80 ? text[..80] : text;
    }

    private static void WriteDocument(Utf8JsonWriter w, SbomModel model, SbomInput input, Ids ids, string documentNamespace)
    {
        var files = input.SortedFiles;
        w.WriteStartObject();
        w.WriteString("spdxVersion", "SPDX-2.3");
        w.WriteString("dataLicense", "CC0-1.0");
        w.WriteString("SPDXID", "SPDXRef-DOCUMENT");
        w.WriteString("name", $"{input.ProjectName} {input.ProjectVersion} ({input.TargetDescription})");
        w.WriteString("documentNamespace", documentNamespace);
        if (input.InventoryComment is { } inventory) w.WriteString("comment", inventory);
        w.WriteStartObject("creationInfo");
        w.WriteString("created", SbomJson.Timestamp(input.Created));
        w.WriteStartArray("creators");
        if (SbomSupplier.Organization(input.SbomAuthor) is { } author) w.WriteStringValue("Organization: " + author);
        w.WriteStringValue($"Tool: {input.ToolName}-{input.ToolVersion}");
        w.WriteEndArray();
        w.WriteString("comment", $"Generated from project.assets.json target '{model.TargetKey}' with .NET SDK {input.SdkVersion}.");
        w.WriteEndObject();

        w.WriteStartArray("packages");
        WriteRoot(w, input, files, ids.LicenseRefs);
        foreach (var c in model.Components) WriteComponent(w, c, ids);
        var frameworks = input.SortedFrameworks;
        for (int i = 0; i < frameworks.Count; i++) WriteFramework(w, frameworks[i], ids.Frameworks[i]);
        WriteSdk(w, input, ids.Sdk);
        w.WriteEndArray();

        if (files.Count > 0)
        {
            w.WriteStartArray("files");
            for (int i = 0; i < files.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("SPDXID", ids.Files[i]);
                w.WriteString("fileName", "./" + Normalize(files[i].RelativePath));
                w.WriteStartArray("checksums");
                WriteChecksum(w, "SHA1", CheckHex(files[i].Sha1Hex, 40, files[i].RelativePath));
                WriteChecksum(w, "SHA256", CheckHex(files[i].Sha256Hex, 64, files[i].RelativePath));
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }

        if (ids.LicenseRefs.Count > 0)
        {
            w.WriteStartArray("hasExtractedLicensingInfos");
            foreach (var (key, (id, value)) in ids.LicenseRefs.OrderBy(p => p.Value.Id, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("licenseId", id);
                if (key.StartsWith("url:", StringComparison.Ordinal))
                {
                    w.WriteString("extractedText", $"The license is published at {value}; the package does not include its text.");
                    w.WriteString("name", value);
                    w.WriteStartArray("seeAlsos");
                    w.WriteStringValue(value);
                    w.WriteEndArray();
                }
                else if (key == RootLicenseKey)
                {
                    w.WriteString("extractedText", input.LicenseFileText ?? $"The license is the file '{value}' inside package {input.ProjectName} {input.ProjectVersion}.");
                    w.WriteString("name", $"{input.ProjectName} {input.ProjectVersion} license ({value})");
                }
                else
                {
                    var component = model.Find(key["file:".Length..])!;
                    w.WriteString("extractedText", component.License.FileText ?? $"The license is the file '{value}' inside package {component.Name} {component.Version}.");
                    w.WriteString("name", $"{component.Name} {component.Version} license ({value})");
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }

        w.WriteStartArray("relationships");
        WriteRelationship(w, "SPDXRef-DOCUMENT", "DESCRIBES", RootId);
        foreach (string key in model.RootDependsOn)
        {
            // A build-only package (no runtime assets) is a build dependency of the root, not something it depends on at run time.
            if (model.Find(key)?.BuildOnly == true) WriteRelationship(w, ids.Components[key], "BUILD_DEPENDENCY_OF", RootId);
            else WriteRelationship(w, RootId, "DEPENDS_ON", ids.Components[key]);
        }
        foreach (var c in model.Components)
        {
            foreach (string key in c.DependsOn)
            {
                // As for the root: an edge to a build-only package is a build dependency, so both formats agree on what runs
                // (CycloneDX marks that package scope "excluded").
                if (model.Find(key)?.BuildOnly == true) WriteRelationship(w, ids.Components[key], "BUILD_DEPENDENCY_OF", ids.Components[c.Key]);
                else WriteRelationship(w, ids.Components[c.Key], "DEPENDS_ON", ids.Components[key]);
            }
        }
        // A shared framework must be installed before the app runs, and is not in its output: a prerequisite, not a dependency it ships.
        foreach (string frameworkId in ids.Frameworks) WriteRelationship(w, RootId, "HAS_PREREQUISITE", frameworkId);
        foreach (string fileId in ids.Files) WriteRelationship(w, RootId, "CONTAINS", fileId);
        // Where each published file came from: extracted unchanged from a package's .nupkg (the package element is that archive,
        // filesAnalyzed false, so it may not CONTAINS files), or built from a project reference.
        var origins = model.FileOrigins(input);
        for (int i = 0; i < origins.Length; i++)
        {
            if (origins[i] is not { } origin || !ids.Components.TryGetValue(origin, out string? componentId)) continue;
            WriteRelationship(w, ids.Files[i], model.Find(origin)?.Kind == SbomComponentKind.Project ? "GENERATED_FROM" : "EXPANDED_FROM_ARCHIVE", componentId);
        }
        WriteRelationship(w, ids.Sdk, "BUILD_TOOL_OF", RootId);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRoot(Utf8JsonWriter w, SbomInput input, IReadOnlyList<SbomFile> files, Dictionary<string, (string Id, string Url)> licenseRefs)
    {
        w.WriteStartObject();
        w.WriteString("SPDXID", RootId);
        w.WriteString("name", input.ProjectName);
        w.WriteString("versionInfo", input.ProjectVersion);
        w.WriteString("supplier", Supplier(input.Authors));
        WriteSource(w, input.Repository, "the git checkout this was built from");
        w.WriteBoolean("filesAnalyzed", files.Count > 0);
        if (SbomModel.AbsoluteHttpUrl(input.ProjectUrl) is { } homepage) w.WriteString("homepage", homepage);
        if (files.Count > 0)
        {
            // SPDX 2.3 §7.9: SHA-1 of the sorted, concatenated SHA-1s of the package's files.
            var sha1s = files.Select(f => CheckHex(f.Sha1Hex, 40, f.RelativePath)).Order(StringComparer.Ordinal);
#pragma warning disable CA5350 // SPDX defines the verification code with SHA-1.
            string code = Hex.Lower(SHA1.HashData(Encoding.ASCII.GetBytes(string.Concat(sha1s))));
#pragma warning restore CA5350
            w.WriteStartObject("packageVerificationCode");
            w.WriteString("packageVerificationCodeValue", code);
            if (input.UnlistedEntries is { Count: > 0 } unlisted)
            {
                w.WriteStartArray("packageVerificationCodeExcludedFiles");
                foreach (string entry in unlisted.Order(StringComparer.Ordinal)) w.WriteStringValue("./" + Normalize(entry));
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        w.WriteString("licenseConcluded", NoAssertion);
        w.WriteString("licenseDeclared", input.LicenseExpression is { } e && SpdxExpression.IsValid(e) ? e
            : input.HasLicenseFile ? licenseRefs[RootLicenseKey].Id : NoAssertion);
        w.WriteString("copyrightText", input.Copyright ?? NoAssertion);
        WriteAuthors(w, input.Authors);
        if (input.Description is not null) w.WriteString("description", input.Description);
        w.WriteString("comment", input.ProjectPath is { Length: > 0 } path
            ? $"Project {path.Replace('\\', '/')}, target framework {input.TargetFramework}, runtime identifier {RidText(input)}."
            : $"Target framework {input.TargetFramework}, runtime identifier {RidText(input)}.");
        WritePurl(w, input.RootPurl);
        w.WriteString("primaryPackagePurpose", input.IsApplication ? "APPLICATION" : "LIBRARY");
        w.WriteEndObject();
    }

    private static void WriteComponent(Utf8JsonWriter w, SbomComponent c, Ids ids)
    {
        w.WriteStartObject();
        w.WriteString("SPDXID", ids.Components[c.Key]);
        w.WriteString("name", c.Name);
        w.WriteString("versionInfo", c.Version);
        w.WriteString("supplier", Supplier(c.Supplier));
        WriteSource(w, c.Repository, "the package's nuspec (<repository type url commit>); not checked against the package's content");
        w.WriteBoolean("filesAnalyzed", false);
        if (c.Homepage is not null) w.WriteString("homepage", c.Homepage);
        if (c.Sha512Hex is not null)
        {
            w.WriteStartArray("checksums");
            WriteChecksum(w, "SHA512", c.Sha512Hex);
            w.WriteEndArray();
        }
        w.WriteString("licenseConcluded", NoAssertion);
        string declared = c.License.Expression
            ?? (c.License.Url is { } url ? ids.LicenseRefs["url:" + url].Id
            : c.License.FileName is not null ? ids.LicenseRefs["file:" + c.Key].Id
            : NoAssertion);
        w.WriteString("licenseDeclared", declared);
        w.WriteString("copyrightText", c.Copyright ?? NoAssertion);
        WriteAuthors(w, c.Supplier);
        if (c.Description is not null) w.WriteString("description", c.Description);
        if (c.Kind == SbomComponentKind.Project)
        {
            w.WriteString("comment", c.ProjectPath is null ? "Project reference." : $"Project reference {c.ProjectPath.Replace('\\', '/')}.");
        }
        WritePurl(w, c.Purl);
        w.WriteString("primaryPackagePurpose", "LIBRARY");
        w.WriteEndObject();
    }

    private static void WriteFramework(Utf8JsonWriter w, SharedFrameworkReference framework, string id)
    {
        w.WriteStartObject();
        w.WriteString("SPDXID", id);
        w.WriteString("name", framework.Name);
        w.WriteString("versionInfo", framework.Version);
        w.WriteString("supplier", framework.Name.StartsWith("Microsoft.", StringComparison.Ordinal) ? "Organization: Microsoft Corporation" : NoAssertion);
        w.WriteString("downloadLocation", NoAssertion);
        w.WriteBoolean("filesAnalyzed", false);
        w.WriteString("licenseConcluded", NoAssertion);
        w.WriteString("licenseDeclared", NoAssertion);
        w.WriteString("copyrightText", NoAssertion);
        w.WriteString("comment", $"Shared framework the app needs at run time and does not ship: the .NET installation provides it. {framework.Version} is the version runtimeconfig.json asks for, the minimum; the host may roll forward to a later patch.");
        w.WriteString("primaryPackagePurpose", "FRAMEWORK");
        w.WriteEndObject();
    }

    private static void WriteSdk(Utf8JsonWriter w, SbomInput input, string id)
    {
        w.WriteStartObject();
        w.WriteString("SPDXID", id);
        w.WriteString("name", ".NET SDK");
        w.WriteString("versionInfo", input.SdkVersion);
        w.WriteString("supplier", "Organization: Microsoft Corporation");
        w.WriteString("downloadLocation", NoAssertion);
        w.WriteBoolean("filesAnalyzed", false);
        w.WriteString("licenseConcluded", NoAssertion);
        w.WriteString("licenseDeclared", NoAssertion);
        w.WriteString("copyrightText", NoAssertion);
        w.WriteString("comment", "The toolchain that built the root package.");
        w.WriteString("primaryPackagePurpose", "APPLICATION");
        w.WriteEndObject();
    }

    /// <summary>
    /// downloadLocation: the SPDX VCS location git+&lt;url&gt;@&lt;commit&gt; when the repository is git and its commit is known,
    /// else NOASSERTION (a package feed's URL is not written: the package may have come from any feed). sourceInfo says where
    /// the location came from.
    /// </summary>
    private static void WriteSource(Utf8JsonWriter w, SbomRepository? repository, string origin)
    {
        if (repository?.SpdxDownloadLocation is { } location)
        {
            w.WriteString("downloadLocation", location);
            w.WriteString("sourceInfo", $"downloadLocation is the source repository and commit declared by {origin}.");
            return;
        }
        w.WriteString("downloadLocation", NoAssertion);
        if (repository is not null)
        {
            w.WriteString("sourceInfo", $"Source repository {repository.Url} ({repository.Type ?? "type not declared"}), declared by {origin}, without a git commit: no download location is asserted.");
        }
    }

    /// <summary>A purl externalRef, for packages only: the published project and project references are on no feed.</summary>
    private static void WritePurl(Utf8JsonWriter w, string? purl)
    {
        if (purl is null) return;
        w.WriteStartArray("externalRefs");
        w.WriteStartObject();
        w.WriteString("referenceCategory", "PACKAGE-MANAGER");
        w.WriteString("referenceType", "purl");
        w.WriteString("referenceLocator", purl);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void WriteChecksum(Utf8JsonWriter w, string algorithm, string hex)
    {
        w.WriteStartObject();
        w.WriteString("algorithm", algorithm);
        w.WriteString("checksumValue", hex);
        w.WriteEndObject();
    }

    private static void WriteRelationship(Utf8JsonWriter w, string element, string type, string related)
    {
        w.WriteStartObject();
        w.WriteString("spdxElementId", element);
        w.WriteString("relationshipType", type);
        w.WriteString("relatedSpdxElement", related);
        w.WriteEndObject();
    }

    internal static string Supplier(string? authors) => SbomSupplier.Spdx(authors);

    /// <summary>Several authors: SPDX's supplier names the first, this keeps them all.</summary>
    private static void WriteAuthors(Utf8JsonWriter w, string? authors)
    {
        var names = SbomSupplier.Names(authors);
        if (names.Count < 2) return;
        w.WriteStartArray("attributionTexts");
        w.WriteStringValue("Authors: " + string.Join(", ", names));
        w.WriteEndArray();
    }

    private static string RidText(SbomInput input) => string.IsNullOrEmpty(input.RuntimeIdentifier) ? "none (portable)" : input.RuntimeIdentifier;

    internal static string Normalize(string relativePath) => relativePath.Replace('\\', '/').TrimStart('/');

    internal static string CheckHex(string hex, int length, string file)
    {
        if (hex.Length != length || !hex.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"The digest of '{file}' must be {length} hex digits, not '{hex}'.", nameof(hex));
        }
        return hex.ToLowerInvariant();
    }
}
