using System.ComponentModel;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.TestSupport;
using Xunit.Abstractions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Checks published SBOMs against the official schemas (tests/schemas, copied next to the test assembly) twice, with two
/// unrelated validators: NJsonSchema in process, and python3's jsonschema module in a separate process. Also the SPDX rules
/// the schema does not encode (ID syntax, uniqueness, dangling references) and the CycloneDX bom-ref graph.
/// </summary>
internal static class SbomAssertions
{
    public static string SchemaDirectory => SbomValidation.SchemaDirectory;

    public const string PythonMissing =
        "SKIPPED the independent python3 jsonschema validation: no python3 with the jsonschema module was found (tried 'python3' on PATH and "
        + "/usr/bin/python3). Install it with 'apt-get install -y python3-jsonschema'. The NJsonSchema validation still ran.";

    public static IReadOnlyList<string> CycloneDxSchemaErrors(string json) => SbomValidation.CycloneDxSchemaErrors(json);

    public static IReadOnlyList<string> SpdxSchemaErrors(string json) => SbomValidation.SpdxSchemaErrors(json);

    /// <summary>Both documents of a publish folder's .buildsigning/, with both validators (python3 when it is installed).</summary>
    public static void ValidSboms(string publishDirectory, ITestOutputHelper output)
    {
        string spdx = Path.Combine(publishDirectory, ".buildsigning", "sbom.spdx.json");
        string cycloneDx = Path.Combine(publishDirectory, ".buildsigning", "sbom.cdx.json");
        ValidSpdx(File.ReadAllText(spdx));
        ValidCycloneDx(File.ReadAllText(cycloneDx));
        ValidWithPython(SbomKind.Spdx, spdx, output);
        ValidWithPython(SbomKind.CycloneDx, cycloneDx, output);
    }

    public static void ValidCycloneDx(string json) => SbomValidation.ValidCycloneDx(json);

    public static void ValidSpdx(string json) => SbomValidation.ValidSpdx(json);

    public enum SbomKind
    {
        Spdx,
        CycloneDx,
    }

    /// <summary>
    /// The independent check: python3 -m jsonschema semantics with the same schema files, resolving CycloneDX's $refs from the
    /// local copies (works with jsonschema 4.10 from Debian's python3-jsonschema and with 4.18+ which uses 'referencing').
    /// </summary>
    private const string PythonValidator = """
        import json, os, sys
        import jsonschema
        schemas_dir, kind, document_path = sys.argv[1], sys.argv[2], sys.argv[3]
        def load(name):
            with open(os.path.join(schemas_dir, name), encoding="utf-8") as f:
                return json.load(f)
        with open(document_path, encoding="utf-8") as f:
            document = json.load(f)
        cyclonedx = "cyclonedx-bom-1.7.schema.json" if document.get("specVersion") == "1.7" else "cyclonedx-bom-1.6.schema.json"
        schemas = [load(n) for n in (cyclonedx, "spdx.schema.json", "jsf-0.82.schema.json", "spdx-2.3.schema.json", "cryptography-defs.schema.json")]
        root = schemas[0] if kind == "cyclonedx" else schemas[3]
        cls = jsonschema.validators.validator_for(root)
        cls.check_schema(root)
        try:
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT7
            registry = Registry().with_resources([(s["$id"], Resource.from_contents(s, default_specification=DRAFT7)) for s in schemas])
            validator = cls(root, registry=registry, format_checker=cls.FORMAT_CHECKER)
        except ImportError:
            resolver = jsonschema.RefResolver.from_schema(root, store={s["$id"]: s for s in schemas})
            validator = cls(root, resolver=resolver, format_checker=cls.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
        for e in errors[:40]:
            print("/".join(str(p) for p in e.absolute_path) + ": " + e.message[:300])
        from importlib.metadata import version
        print(f"{len(errors)} error(s) from jsonschema {version('jsonschema')} {cls.__name__}")
        sys.exit(1 if errors else 0)
        """;

    private static readonly Lazy<string?> Python = new(FindPython);

    /// <summary>The first of python3 (PATH) and /usr/bin/python3 that can import jsonschema; null when none can.</summary>
    public static string? PythonWithJsonschema => Python.Value;

    private static string? FindPython()
    {
        foreach (string candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                if (ProcessRunner.Run(candidate, ["-c", "import jsonschema"], timeout: TimeSpan.FromSeconds(60)).ExitCode == 0) return candidate;
            }
            catch (Win32Exception)
            {
                // Not installed at this path.
            }
        }
        return null;
    }

    /// <summary>Runs the python validator; null when python3-jsonschema is not installed.</summary>
    public static ProcessResult? ValidateWithPython(SbomKind kind, string documentPath)
    {
        if (PythonWithJsonschema is not { } python) return null;
        return ProcessRunner.Run(python, ["-W", "ignore", "-c", PythonValidator, SchemaDirectory, kind == SbomKind.Spdx ? "spdx" : "cyclonedx", documentPath],
            timeout: TimeSpan.FromMinutes(2));
    }

    public static void ValidWithPython(SbomKind kind, string documentPath, ITestOutputHelper output)
    {
        var result = ValidateWithPython(kind, documentPath);
        if (result is null)
        {
            output.WriteLine(PythonMissing);
            return;
        }
        Assert.True(result.ExitCode == 0, $"python3 jsonschema rejects {documentPath}:\n{result}");
        output.WriteLine($"{Path.GetFileName(documentPath)}: {result.StandardOutput.Trim()} ({PythonWithJsonschema})");
    }

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static JsonObject ReadJson(string path) => Parse(File.ReadAllText(path));

    /// <summary>The purl of an SPDX package (externalRefs PACKAGE-MANAGER/purl), or null (the SDK tool package has none).</summary>
    public static string? SpdxPurl(JsonNode package) =>
        package["externalRefs"]?.AsArray()
            .FirstOrDefault(r => (string?)r!["referenceCategory"] == "PACKAGE-MANAGER" && (string?)r["referenceType"] == "purl")?["referenceLocator"]?.GetValue<string>();

    /// <summary>
    /// The key of an SPDX package in these tests: its purl, or for what is on no feed (the published project, project
    /// references) "project:&lt;name&gt;@&lt;version&gt;", the same non-registry reference the CycloneDX BOM uses as bom-ref.
    /// Null for the .NET SDK tool package.
    /// </summary>
    public static string? SpdxKey(JsonNode package) =>
        SpdxPurl(package) ?? ((string?)package["SPDXID"] is { } id && (id == "SPDXRef-RootPackage" || id.StartsWith("SPDXRef-Project-", StringComparison.Ordinal))
            ? $"project:{(string?)package["name"]}@{(string?)package["versionInfo"]}"
            : null);

    /// <summary>SPDX packages by <see cref="SpdxKey"/> (the root package included).</summary>
    public static Dictionary<string, JsonObject> SpdxPackagesByPurl(JsonObject document) =>
        document["packages"]!.AsArray().Where(p => SpdxKey(p!) is not null).ToDictionary(p => SpdxKey(p!)!, p => p!.AsObject(), StringComparer.Ordinal);

    /// <summary>Relationships of one type as (from, to) pairs, with package SPDX IDs translated to <see cref="SpdxKey"/> where they have one.</summary>
    public static HashSet<(string From, string To)> SpdxRelationships(JsonObject document, string type)
    {
        var keyById = document["packages"]!.AsArray().Where(p => SpdxKey(p!) is not null)
            .ToDictionary(p => (string)p!["SPDXID"]!, p => SpdxKey(p!)!, StringComparer.Ordinal);
        string Name(string id) => keyById.GetValueOrDefault(id) ?? id;
        return document["relationships"]!.AsArray()
            .Where(r => (string)r!["relationshipType"]! == type)
            .Select(r => (Name((string)r!["spdxElementId"]!), Name((string)r["relatedSpdxElement"]!)))
            .ToHashSet();
    }

    /// <summary>CycloneDX dependencies[] as (ref, dependsOn) pairs: the package graph, without the edges to shared frameworks.</summary>
    public static HashSet<(string From, string To)> CycloneDxEdges(JsonObject bom) =>
        bom["dependencies"]!.AsArray()
            .SelectMany(d => d!["dependsOn"]!.AsArray().Select(t => ((string)d["ref"]!, (string)t!)))
            .Where(e => !e.Item2.StartsWith("framework:", StringComparison.Ordinal))
            .ToHashSet();

    public static string? Hash(JsonNode? hashes, string algorithm, string algorithmKey, string valueKey) =>
        hashes?.AsArray().FirstOrDefault(h => (string?)h![algorithmKey] == algorithm)?[valueKey]?.GetValue<string>();

    public static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>"&lt;hex&gt;  &lt;name&gt;" lines of sha1sum/sha256sum run by the real tool over the given files, as name to hex.</summary>
    public static Dictionary<string, string> CoreutilsDigests(string tool, string directory, IReadOnlyCollection<string> relativeNames)
    {
        var result = ProcessRunner.Run(tool, ["--", .. relativeNames], directory);
        Assert.True(result.ExitCode == 0, result.ToString());
        var digests = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (Hex: line[..line.IndexOf(' ')], Name: line[(line.IndexOf(' ') + 2)..]))
            .ToDictionary(x => x.Name, x => x.Hex, StringComparer.Ordinal);
        Assert.Equal(relativeNames.Count, digests.Count);
        return digests;
    }
}

/// <summary>
/// One target of obj/project.assets.json ("net10.0" or "net10.0/linux-x64"), read with plain System.Text.Json: independent of
/// BuildSigning's own reader.
/// </summary>
internal sealed class RestoredTarget
{
    public sealed record Library(string Name, string Version, string Type, IReadOnlyList<string> DependencyNames, string? Path, bool ShipsRuntimeAssets = true)
    {
        public string Key => $"{Name}/{Version}";
        /// <summary>The purl of a package; a project reference is on no feed: "project:&lt;name&gt;@&lt;version&gt;", as the BOM's bom-ref.</summary>
        public string Purl => Type == "project" ? $"project:{Name}@{Version}" : $"pkg:nuget/{Name}@{Version}";
    }

    private RestoredTarget(string key, IReadOnlyList<Library> libraries, IReadOnlyList<string> directNames, IReadOnlyList<string> packageFolders)
    {
        Key = key;
        Libraries = libraries;
        DirectNames = directNames;
        PackageFolders = packageFolders;
    }

    public string Key { get; }
    public IReadOnlyList<Library> Libraries { get; }
    public IEnumerable<Library> Packages => Libraries.Where(l => l.Type == "package");

    /// <summary>What the project references itself (projectFileDependencyGroups of the framework), by name.</summary>
    public IReadOnlyList<string> DirectNames { get; }

    public IReadOnlyList<string> PackageFolders { get; }

    public Library ByName(string name) => Libraries.Single(l => string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase));

    public static RestoredTarget Read(string projectDirectory, string framework, string? runtimeIdentifier = null)
    {
        using var assets = JsonDocument.Parse(File.ReadAllBytes(System.IO.Path.Combine(projectDirectory, "obj", "project.assets.json")));
        var root = assets.RootElement;
        string key = runtimeIdentifier is null ? framework : $"{framework}/{runtimeIdentifier}";
        var libraries = root.GetProperty("targets").GetProperty(key).EnumerateObject().Select(entry =>
        {
            string name = entry.Name[..entry.Name.IndexOf('/')];
            string version = entry.Name[(entry.Name.IndexOf('/') + 1)..];
            var dependencies = entry.Value.TryGetProperty("dependencies", out var d) ? d.EnumerateObject().Select(p => p.Name).ToArray() : [];
            string? path = root.GetProperty("libraries").TryGetProperty(entry.Name, out var info) && info.TryGetProperty("path", out var p) ? p.GetString() : null;
            // A package ships something when NuGet recorded runtime, native, resource or RID-specific assets other than "_._".
            bool ships = entry.Value.GetProperty("type").GetString() != "package"
                || new[] { "runtime", "native", "resource", "runtimeTargets" }.Any(group => entry.Value.TryGetProperty(group, out var assetGroup)
                    && assetGroup.EnumerateObject().Any(asset => !asset.Name.EndsWith("_._", StringComparison.Ordinal)));
            return new Library(name, version, entry.Value.GetProperty("type").GetString()!, dependencies, path, ships);
        }).ToArray();
        var direct = root.GetProperty("projectFileDependencyGroups").GetProperty(framework).EnumerateArray()
            .Select(e => e.GetString()!.Split(' ')[0]).ToArray();
        var folders = root.GetProperty("packageFolders").EnumerateObject().Select(f => f.Name).ToArray();
        return new RestoredTarget(key, libraries, direct, folders);
    }

    /// <summary>The .nupkg's SHA-512 as NuGet wrote it beside the extracted package (base64), as lowercase hex.</summary>
    public string NupkgSha512Hex(Library package)
    {
        string stem = $"{package.Name.ToLowerInvariant()}.{package.Version.ToLowerInvariant()}.nupkg.sha512";
        string relative = package.Path ?? System.IO.Path.Combine(package.Name.ToLowerInvariant(), package.Version.ToLowerInvariant());
        string file = PackageFolders.Select(f => System.IO.Path.Combine(f, relative, stem)).First(File.Exists);
        return SbomAssertions.Hex(Convert.FromBase64String(File.ReadAllText(file, Encoding.ASCII).Trim()));
    }

    /// <summary>
    /// The dependency graph the SBOMs must show, as purl pairs: root to each direct reference, and each library to each of its
    /// dependencies (resolved by name to the one version the target holds).
    /// </summary>
    /// <summary>SPDX's DEPENDS_ON: the graph without the root's edges to build-only packages (those ship no runtime assets).</summary>
    public HashSet<(string From, string To)> ExpectedRuntimeEdges(string rootPurl) =>
        ExpectedEdges(rootPurl).Where(e => e.From != rootPurl || Libraries.Single(l => l.Purl == e.To).ShipsRuntimeAssets).ToHashSet();

    /// <summary>SPDX's BUILD_DEPENDENCY_OF: each direct build-only package (such as BuildSigning itself) to the root.</summary>
    public HashSet<(string From, string To)> ExpectedBuildDependencies(string rootPurl) =>
        DirectNames.Select(ByName).Where(l => !l.ShipsRuntimeAssets).Select(l => (l.Purl, rootPurl)).ToHashSet();

    public HashSet<(string From, string To)> ExpectedEdges(string rootPurl)
    {
        var edges = new HashSet<(string, string)>();
        foreach (string name in DirectNames) edges.Add((rootPurl, ByName(name).Purl));
        foreach (var library in Libraries)
        {
            foreach (string dependency in library.DependencyNames) edges.Add((library.Purl, ByName(dependency).Purl));
        }
        return edges;
    }
}
