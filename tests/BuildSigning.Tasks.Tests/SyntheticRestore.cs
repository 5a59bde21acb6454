using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.TestSupport;

namespace BuildSigning.Tasks.Tests;

/// <summary>
/// A restore without a network, small enough for unit tests: obj/project.assets.json for one target framework and a
/// NuGet-layout package folder holding, for each package, a real unsigned .nupkg (a zip with its .nuspec and a dll),
/// its .nupkg.sha512 and the extracted .nuspec, as restore leaves them (after tests/BuildSigning.Benchmarks/SyntheticRestore.cs).
/// </summary>
internal sealed class SyntheticRestore
{
    public const string Framework = "net10.0";

    private readonly TempDirectory _root;
    private readonly string[] _frameworks;
    private readonly List<(string Id, string Version, string[] Dependencies, string Sha512)> _packages = [];

    /// <summary>A restore for the given target frameworks (default: <see cref="Framework"/>), each resolving every package.</summary>
    public SyntheticRestore(TempDirectory root, params string[] frameworks)
    {
        _root = root;
        _frameworks = frameworks.Length == 0 ? [Framework] : frameworks;
    }

    public string PackagesFolder => _root.Combine("packages");
    public string ProjectDirectory => _root.Combine("src", "Contoso.App");
    public string ProjectPath => Path.Combine(ProjectDirectory, "Contoso.App.csproj");
    public string AssetsPath => Path.Combine(ProjectDirectory, "obj", "project.assets.json");

    public static string Nuspec(string id, string version, string license = "MIT") => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
          <metadata>
            <id>{id}</id>
            <version>{version}</version>
            <authors>{id.Split('.')[0]} Ltd.</authors>
            <license type="expression">{license}</license>
            <projectUrl>https://example.com/{id.ToLowerInvariant()}</projectUrl>
            <description>A synthetic package for the task tests.</description>
          </metadata>
        </package>
        """;

    /// <summary>Writes an unsigned package: a zip holding its .nuspec at the root and the given entries.</summary>
    public static string WriteNupkg(string path, string id, string version, IEnumerable<(string Name, string Content)>? entries = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        var all = new List<(string, string)> { (id + ".nuspec", Nuspec(id, version)) };
        all.AddRange(entries ?? [($"lib/{Framework}/{id}.dll", "IL of " + id)]);
        foreach (var (name, content) in all)
        {
            var entry = zip.CreateEntry(name);
            entry.LastWriteTime = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
            using var stream = entry.Open();
            stream.Write(Encoding.UTF8.GetBytes(content));
        }
        return path;
    }

    /// <summary>Adds a package to the folder and the assets file; dependencies are "Id/Version".</summary>
    public SyntheticRestore Package(string id, string version, params string[] dependencies) => Package(id, version, null, dependencies);

    /// <summary>
    /// Adds a package whose .nupkg <paramref name="pack"/> may change first (sign it, as its author did before publishing),
    /// then records its SHA-512 as restore would.
    /// </summary>
    public SyntheticRestore Package(string id, string version, Action<string>? pack, params string[] dependencies)
    {
        string lower = id.ToLowerInvariant();
        string directory = Path.Combine(PackagesFolder, lower, version.ToLowerInvariant());
        string nupkg = WriteNupkg(Path.Combine(directory, $"{lower}.{version.ToLowerInvariant()}.nupkg"), id, version);
        pack?.Invoke(nupkg);
        File.WriteAllText(Path.Combine(directory, lower + ".nuspec"), Nuspec(id, version));
        string sha512 = Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(nupkg)));
        File.WriteAllText(nupkg + ".sha512", sha512);
        _packages.Add((id, version, dependencies, sha512));
        return this;
    }

    /// <summary>Writes the assets file (every package referenced directly unless it is another's dependency) and returns its path.</summary>
    public string Write()
    {
        var targets = new JsonObject();
        foreach (string framework in _frameworks) targets[framework] = Target(framework);
        var libraries = new JsonObject();
        var transitive = _packages.SelectMany(p => p.Dependencies).Select(d => d.Split('/')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, version, _, sha512) in _packages)
        {
            string lower = id.ToLowerInvariant();
            libraries[$"{id}/{version}"] = new JsonObject
            {
                ["sha512"] = sha512,
                ["type"] = "package",
                ["path"] = $"{lower}/{version.ToLowerInvariant()}",
                ["files"] = new JsonArray($"{lower}.{version.ToLowerInvariant()}.nupkg.sha512", $"{lower}.nuspec", $"lib/{Framework}/{id}.dll"),
            };
        }
        var assets = new JsonObject
        {
            ["version"] = 3,
            ["targets"] = targets,
            ["libraries"] = libraries,
            ["projectFileDependencyGroups"] = new JsonObject(_frameworks.Select(f => KeyValuePair.Create(f, (JsonNode?)new JsonArray(
                _packages.Where(p => !transitive.Contains(p.Id)).Select(p => (JsonNode)JsonValue.Create($"{p.Id} >= {p.Version}")).ToArray())))),
            ["packageFolders"] = new JsonObject { [PackagesFolder + "/"] = new JsonObject() },
            ["project"] = new JsonObject
            {
                ["version"] = "1.0.0",
                ["restore"] = new JsonObject { ["projectName"] = "Contoso.App", ["projectPath"] = ProjectPath },
                ["frameworks"] = new JsonObject(_frameworks.Select(f => KeyValuePair.Create(f, (JsonNode?)new JsonObject { ["targetAlias"] = f }))),
            },
        };
        Directory.CreateDirectory(Path.GetDirectoryName(AssetsPath)!);
        File.WriteAllText(AssetsPath, assets.ToJsonString());
        return AssetsPath;
    }

    private JsonObject Target(string framework)
    {
        var target = new JsonObject();
        foreach (var (id, version, dependencies, _) in _packages)
        {
            var entry = new JsonObject
            {
                ["type"] = "package",
                ["compile"] = new JsonObject { [$"lib/{framework}/{id}.dll"] = new JsonObject() },
                ["runtime"] = new JsonObject { [$"lib/{framework}/{id}.dll"] = new JsonObject() },
            };
            if (dependencies.Length > 0)
            {
                var deps = new JsonObject();
                foreach (var d in dependencies.Select(d => d.Split('/'))) deps[d[0]] = d[1];
                entry["dependencies"] = deps;
            }
            target[$"{id}/{version}"] = entry;
        }
        return target;
    }
}
