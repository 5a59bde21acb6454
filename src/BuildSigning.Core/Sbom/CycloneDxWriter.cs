using System.Text.Json;

namespace BuildSigning.Core.Sbom;

/// <summary>
/// Writes a CycloneDX 1.6 (or, when asked for, 1.7: the same content, every field used is in both) JSON BOM: the project as metadata.component (its published files nested as "file"
/// components), every resolved package and project reference as a component, and the full dependencies[] graph.
/// Same model and input, same bytes: ordering is fixed and the serial number is a UUIDv5 of the content.
/// </summary>
public static class CycloneDxWriter
{
    public const string PredicateType = "https://cyclonedx.org/bom";
    public const string PropertyPrefix = "buildsigning:dotnet:";
    private const string SerialPlaceholder = "urn:uuid:00000000-0000-0000-0000-000000000000";

    public static readonly IReadOnlyList<string> SpecVersions = ["1.6", "1.7"];

    public static byte[] Write(SbomModel model, SbomInput input)
    {
        if (!SpecVersions.Contains(input.CycloneDxVersion)) throw new ArgumentException($"CycloneDX {input.CycloneDxVersion} is not written; use 1.6 or 1.7.", nameof(input));
        var refs = AllocateRefs(model, input);
        byte[] draft = SbomJson.Write(w => WriteBom(w, model, input, refs, SerialPlaceholder));
        string serial = "urn:uuid:" + DeterministicUuid.FromContent(draft);
        return SbomJson.ReplaceValue(draft, "serialNumber", SerialPlaceholder, serial);
    }

    private sealed record Refs(string Root, Dictionary<string, string> Components, string[] Files)
    {
        public string[] Frameworks { get; init; } = [];
    }

    /// <summary>
    /// bom-refs: the purl for packages, "project:&lt;name&gt;@&lt;version&gt;" for the published project and project references
    /// (they have no purl), "file:&lt;path&gt;" for files; made unique if anything collides.
    /// </summary>
    private static Refs AllocateRefs(SbomModel model, SbomInput input)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        string Unique(string candidate)
        {
            string value = candidate;
            for (int n = 2; !used.Add(value); n++) value = $"{candidate}#{n}";
            return value;
        }
        var components = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in model.Components) components[c.Key] = Unique(c.Purl ?? SbomReference.Project(c.Name, c.Version));
        string root = Unique(input.RootReference);
        var files = input.SortedFiles.Select(f => Unique("file:" + SpdxWriter.Normalize(f.RelativePath))).ToArray();
        var frameworks = input.SortedFrameworks.Select(f => Unique(SbomReference.Framework(f.Name, f.Version))).ToArray();
        return new Refs(root, components, files) { Frameworks = frameworks };
    }

    private static void WriteBom(Utf8JsonWriter w, SbomModel model, SbomInput input, Refs refs, string serialNumber)
    {
        w.WriteStartObject();
        w.WriteString("$schema", $"http://cyclonedx.org/schema/bom-{input.CycloneDxVersion}.schema.json");
        w.WriteString("bomFormat", "CycloneDX");
        w.WriteString("specVersion", input.CycloneDxVersion);
        w.WriteString("serialNumber", serialNumber);
        w.WriteNumber("version", 1);

        w.WriteStartObject("metadata");
        w.WriteString("timestamp", SbomJson.Timestamp(input.Created));
        w.WriteStartArray("lifecycles");
        w.WriteStartObject();
        w.WriteString("phase", "build");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartObject("tools");
        w.WriteStartArray("components");
        w.WriteStartObject();
        w.WriteString("type", "application");
        w.WriteString("name", input.ToolName);
        w.WriteString("version", input.ToolVersion);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        if (SbomSupplier.Organization(input.SbomAuthor) is { } author)
        {
            // The organization that made this BOM (NTIA's "author of SBOM data").
            w.WriteStartObject("manufacturer");
            w.WriteString("name", author);
            w.WriteEndObject();
        }
        var occurrences = Occurrences(model, input);
        WriteRoot(w, input, refs, occurrences.GetValueOrDefault(""));
        w.WriteStartArray("properties");
        WriteProperty(w, PropertyPrefix + "assetsTarget", model.TargetKey);
        if (input.ProjectPath is { Length: > 0 } path) WriteProperty(w, PropertyPrefix + "projectPath", path.Replace('\\', '/'));
        if (!string.IsNullOrEmpty(input.RuntimeIdentifier)) WriteProperty(w, PropertyPrefix + "runtimeIdentifier", input.RuntimeIdentifier);
        WriteProperty(w, PropertyPrefix + "sdkVersion", input.SdkVersion);
        WriteProperty(w, PropertyPrefix + "targetFramework", input.TargetFramework);
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("components");
        foreach (var c in model.Components) WriteComponent(w, c, refs, occurrences.GetValueOrDefault(c.Key));
        var frameworks = input.SortedFrameworks;
        for (int i = 0; i < frameworks.Count; i++) WriteFramework(w, frameworks[i], refs.Frameworks[i]);
        w.WriteEndArray();

        w.WriteStartArray("dependencies");
        WriteDependency(w, refs.Root, model.RootDependsOn.Select(k => refs.Components[k]).Concat(refs.Frameworks));
        foreach (var c in model.Components) WriteDependency(w, refs.Components[c.Key], c.DependsOn.Select(k => refs.Components[k]));
        foreach (string framework in refs.Frameworks) WriteDependency(w, framework, []);
        w.WriteEndArray();

        if (input.InventoryComment is { } inventory)
        {
            // The BOM sits inside the package it describes: say what its file inventory cannot hold.
            w.WriteStartArray("annotations");
            w.WriteStartObject();
            w.WriteStartArray("subjects");
            w.WriteStringValue(refs.Root);
            w.WriteEndArray();
            w.WriteStartObject("annotator");
            w.WriteStartObject("component");
            w.WriteString("type", "application");
            w.WriteString("name", input.ToolName);
            w.WriteString("version", input.ToolVersion);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("timestamp", SbomJson.Timestamp(input.Created));
            w.WriteString("text", inventory);
            w.WriteEndObject();
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>The published paths each component's files were copied to (evidence.occurrences); the project's own under "".</summary>
    private static Dictionary<string, List<string>> Occurrences(SbomModel model, SbomInput input)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        if (input.IsPackage) return result;
        var files = input.SortedFiles;
        var origins = model.FileOrigins(input);
        for (int i = 0; i < files.Count; i++)
        {
            string key = origins[i] ?? "";
            if (!result.TryGetValue(key, out var list)) result[key] = list = [];
            list.Add(SpdxWriter.Normalize(files[i].RelativePath));
        }
        return result;
    }

    /// <summary>evidence.occurrences: where in the output this component's files are, one location (a path relative to the output) each.</summary>
    private static void WriteOccurrences(Utf8JsonWriter w, List<string>? locations)
    {
        if (locations is not { Count: > 0 }) return;
        w.WriteStartObject("evidence");
        w.WriteStartArray("occurrences");
        foreach (string location in locations)
        {
            w.WriteStartObject();
            w.WriteString("location", location);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRoot(Utf8JsonWriter w, SbomInput input, Refs refs, List<string>? ownFiles)
    {
        w.WriteStartObject("component");
        w.WriteString("type", input.IsApplication ? "application" : "library");
        w.WriteString("bom-ref", refs.Root);
        if (!string.IsNullOrWhiteSpace(input.Authors)) WriteSupplier(w, input.Authors);
        w.WriteString("name", input.ProjectName);
        w.WriteString("version", input.ProjectVersion);
        if (input.Description is not null) w.WriteString("description", input.Description);
        if (input.LicenseExpression is { } e && SpdxExpression.IsValid(e)) WriteExpression(w, e);
        else if (input.HasLicenseFile) WriteLicenseFile(w, input.LicenseFile!, input.LicenseFileText);
        if (input.Copyright is not null) w.WriteString("copyright", input.Copyright);
        if (input.RootPurl is { } rootPurl) w.WriteString("purl", rootPurl);
        WriteExternalReferences(w, SbomModel.AbsoluteHttpUrl(input.ProjectUrl), input.Repository);
        WriteOccurrences(w, ownFiles);
        var files = input.SortedFiles;
        if (files.Count > 0)
        {
            w.WriteStartArray("components");
            for (int i = 0; i < files.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("type", "file");
                w.WriteString("bom-ref", refs.Files[i]);
                w.WriteString("name", SpdxWriter.Normalize(files[i].RelativePath));
                w.WriteStartArray("hashes");
                WriteHash(w, "SHA-1", SpdxWriter.CheckHex(files[i].Sha1Hex, 40, files[i].RelativePath));
                WriteHash(w, "SHA-256", SpdxWriter.CheckHex(files[i].Sha256Hex, 64, files[i].RelativePath));
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>A shared framework: required at run time (scope required), provided by the .NET installation, not shipped.</summary>
    private static void WriteFramework(Utf8JsonWriter w, SharedFrameworkReference framework, string reference)
    {
        w.WriteStartObject();
        w.WriteString("type", "framework");
        w.WriteString("bom-ref", reference);
        if (framework.Name.StartsWith("Microsoft.", StringComparison.Ordinal))
        {
            w.WriteStartObject("supplier");
            w.WriteString("name", "Microsoft Corporation");
            w.WriteEndObject();
        }
        w.WriteString("name", framework.Name);
        w.WriteString("version", framework.Version);
        w.WriteString("description", "Shared framework provided by the .NET installation; the version is the minimum runtimeconfig.json asks for.");
        w.WriteString("scope", "required");
        w.WriteStartArray("properties");
        WriteProperty(w, PropertyPrefix + "sharedFramework", "true");
        WriteProperty(w, PropertyPrefix + "shipped", "false");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteComponent(Utf8JsonWriter w, SbomComponent c, Refs refs, List<string>? files)
    {
        w.WriteStartObject();
        w.WriteString("type", "library");
        w.WriteString("bom-ref", refs.Components[c.Key]);
        if (!string.IsNullOrWhiteSpace(c.Supplier)) WriteSupplier(w, c.Supplier);
        w.WriteString("name", c.Name);
        w.WriteString("version", c.Version);
        if (c.Description is not null) w.WriteString("description", c.Description);
        // A build-only package (no runtime assets: an MSBuild tool, an analyzer) is not part of what runs.
        w.WriteString("scope", c.BuildOnly ? "excluded" : "required");
        if (c.Sha512Hex is not null)
        {
            w.WriteStartArray("hashes");
            WriteHash(w, "SHA-512", c.Sha512Hex);
            w.WriteEndArray();
        }
        if (c.License.Expression is not null)
        {
            WriteExpression(w, c.License.Expression);
        }
        else if (c.License.Url is not null || c.License.FileName is not null)
        {
            w.WriteStartArray("licenses");
            w.WriteStartObject();
            w.WriteStartObject("license");
            if (c.License.Url is { } url)
            {
                // The form cyclonedx-dotnet uses for a license known only by URL.
                w.WriteString("name", "Unknown - See URL");
                w.WriteString("url", url);
            }
            else
            {
                WriteLicenseFileBody(w, c.License.FileName!, c.License.FileText);
            }
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
        }
        if (c.Copyright is not null) w.WriteString("copyright", c.Copyright);
        if (c.Purl is not null) w.WriteString("purl", c.Purl);
        WriteExternalReferences(w, c.Homepage, c.Repository);
        WriteOccurrences(w, files);
        if (c.Kind == SbomComponentKind.Project)
        {
            w.WriteStartArray("properties");
            WriteProperty(w, PropertyPrefix + "projectReference", c.ProjectPath?.Replace('\\', '/') ?? "true");
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>The project's website, and its source repository as a "vcs" reference (the commit, when known, in its comment).</summary>
    private static void WriteExternalReferences(Utf8JsonWriter w, string? homepage, SbomRepository? repository)
    {
        if (homepage is null && repository is null) return;
        w.WriteStartArray("externalReferences");
        if (homepage is not null)
        {
            w.WriteStartObject();
            w.WriteString("type", "website");
            w.WriteString("url", homepage);
            w.WriteEndObject();
        }
        if (repository is not null)
        {
            w.WriteStartObject();
            w.WriteString("type", "vcs");
            w.WriteString("url", repository.Url);
            string kind = repository.Type ?? "repository of undeclared type";
            w.WriteString("comment", repository.Commit is { } commit ? $"{kind}, commit {commit}" : kind);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>supplier: the name SPDX's supplier gives; authors: every name when there are several (see <see cref="SbomSupplier"/>).</summary>
    private static void WriteSupplier(Utf8JsonWriter w, string authors)
    {
        if (SbomSupplier.Name(authors) is not { } name) return;
        w.WriteStartObject("supplier");
        w.WriteString("name", name);
        w.WriteEndObject();
        var names = SbomSupplier.Names(authors);
        if (names.Count < 2) return;
        w.WriteStartArray("authors");
        foreach (string person in names)
        {
            w.WriteStartObject();
            w.WriteString("name", person);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>A licence that is a file inside the package: its name and, when it could be read, its text.</summary>
    private static void WriteLicenseFile(Utf8JsonWriter w, string fileName, string? text)
    {
        w.WriteStartArray("licenses");
        w.WriteStartObject();
        w.WriteStartObject("license");
        WriteLicenseFileBody(w, fileName, text);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void WriteLicenseFileBody(Utf8JsonWriter w, string fileName, string? text)
    {
        w.WriteString("name", $"License file '{fileName}'");
        if (text is null) return;
        w.WriteStartObject("text");
        w.WriteString("contentType", "text/plain");
        w.WriteString("content", text);
        w.WriteEndObject();
    }

    /// <summary>One listed SPDX licence as license.id (what scanners match licence policies on); any other expression as expression.</summary>
    private static void WriteExpression(Utf8JsonWriter w, string expression)
    {
        w.WriteStartArray("licenses");
        w.WriteStartObject();
        if (SpdxExpression.SingleListedId(expression) is { } id)
        {
            w.WriteStartObject("license");
            w.WriteString("id", id);
            w.WriteEndObject();
        }
        else
        {
            w.WriteString("expression", expression);
        }
        w.WriteEndObject();
        w.WriteEndArray();
    }

    private static void WriteHash(Utf8JsonWriter w, string algorithm, string hex)
    {
        w.WriteStartObject();
        w.WriteString("alg", algorithm);
        w.WriteString("content", hex);
        w.WriteEndObject();
    }

    private static void WriteProperty(Utf8JsonWriter w, string name, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("value", value);
        w.WriteEndObject();
    }

    private static void WriteDependency(Utf8JsonWriter w, string reference, IEnumerable<string> dependsOn)
    {
        w.WriteStartObject();
        w.WriteString("ref", reference);
        w.WriteStartArray("dependsOn");
        foreach (string d in dependsOn) w.WriteStringValue(d);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
