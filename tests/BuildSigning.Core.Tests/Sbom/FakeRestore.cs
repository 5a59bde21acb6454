using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Sbom;

/// <summary>A hand-written project.assets.json with a package folder for each package, for the cases a real restore never produces.</summary>
internal sealed class FakeRestore : IDisposable
{
    public const string Framework = "net8.0";
    private readonly TempDirectory _root = new("bs-fakerestore");
    private readonly List<(string Id, string Version, string Type, Dictionary<string, string> Dependencies, string? AssetsSha512)> _libraries = [];
    private readonly HashSet<string> _buildOnly = new(StringComparer.Ordinal);
    private readonly List<string> _direct = [];

    public string PackagesFolder => _root.Combine("packages");
    public string AssetsPath => _root.Combine("obj", "project.assets.json");
    public TempDirectory Root => _root;

    public static string DefaultNuspec(string id, string version, string license = "<license type=\"expression\">MIT</license>") => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
          <metadata>
            <id>{id}</id>
            <version>{version}</version>
            <authors>Test Authors</authors>
            {license}
            <projectUrl>https://example.com/{id}</projectUrl>
            <description>test</description>
          </metadata>
        </package>
        """;

    /// <summary>The stand-in .nupkg content of a package.</summary>
    public static byte[] NupkgOf(string id, string version) => Encoding.UTF8.GetBytes($"not really a zip: {id}/{version}");

    /// <summary>The SHA-512 (base64) of <see cref="NupkgOf"/>, as NuGet writes it to .nupkg.sha512.</summary>
    public static string Sha512Of(string id, string version) => Convert.ToBase64String(SHA512.HashData(NupkgOf(id, version)));

    /// <summary>
    /// Adds a package: its folder &lt;id-lower&gt;/&lt;version-lower&gt; with a nuspec (null: none), a .nupkg (unless
    /// nupkg is false) and its .nupkg.sha512 (null: none; "" the right one), and its entry in the assets file. The
    /// assets file's sha512 is deliberately another value, as NuGet's content hash of a signed package is.
    /// </summary>
    public FakeRestore Package(string id, string version, string? nuspec = "", string? sha512File = "", bool nupkg = true,
        bool direct = true, bool folder = true, params string[] dependencies)
    {
        if (folder)
        {
            string dir = Path.Combine(PackagesFolder, id.ToLowerInvariant(), version.ToLowerInvariant());
            string stem = Path.Combine(dir, $"{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg");
            Directory.CreateDirectory(dir);
            if (nuspec is not null) File.WriteAllText(Path.Combine(dir, id.ToLowerInvariant() + ".nuspec"), nuspec == "" ? DefaultNuspec(id, version) : nuspec);
            if (nupkg) File.WriteAllBytes(stem, NupkgOf(id, version));
            if (sha512File is not null) File.WriteAllText(stem + ".sha512", sha512File == "" ? Sha512Of(id, version) : sha512File);
        }
        var deps = dependencies.Select(d => d.Split('/')).ToDictionary(d => d[0], d => d[1]);
        _libraries.Add((id, version, "package", deps, Convert.ToBase64String(SHA512.HashData(Encoding.UTF8.GetBytes("content hash " + id)))));
        if (direct) _direct.Add(id);
        return this;
    }

    /// <summary>A package with build assets only (like an MSBuild tool): nothing of it is copied to the output.</summary>
    public FakeRestore BuildOnlyPackage(string id, string version, bool direct = true, params string[] dependencies)
    {
        Package(id, version, direct: direct, dependencies: dependencies);
        _buildOnly.Add($"{id}/{version}");
        return this;
    }

    public FakeRestore Project(string name, string version, params string[] dependencies)
    {
        _libraries.Add((name, version, "project", dependencies.Select(d => d.Split('/')).ToDictionary(d => d[0], d => d[1]), null));
        _direct.Add(name);
        return this;
    }

    public string Write()
    {
        var target = new JsonObject();
        var libraries = new JsonObject();
        foreach (var (id, version, type, dependencies, sha512) in _libraries)
        {
            var entry = new JsonObject { ["type"] = type };
            if (dependencies.Count > 0)
            {
                var deps = new JsonObject();
                foreach (var (name, range) in dependencies) deps[name] = range;
                entry["dependencies"] = deps;
            }
            if (type == "package")
            {
                // What NuGet records for what a package contributes: a runtime assembly, or only MSBuild files.
                if (_buildOnly.Contains($"{id}/{version}")) entry["build"] = new JsonObject { [$"build/{id}.targets"] = new JsonObject() };
                else entry["runtime"] = new JsonObject { [$"lib/{Framework}/{id}.dll"] = new JsonObject() };
            }
            target[$"{id}/{version}"] = entry;
            var library = new JsonObject { ["type"] = type };
            if (type == "package")
            {
                if (sha512 is not null) library["sha512"] = sha512;
                library["path"] = $"{id.ToLowerInvariant()}/{version.ToLowerInvariant()}";
            }
            else
            {
                library["path"] = $"../{id}/{id}.csproj";
                library["msbuildProject"] = $"../{id}/{id}.csproj";
            }
            libraries[$"{id}/{version}"] = library;
        }
        var assets = new JsonObject
        {
            ["version"] = 3,
            ["targets"] = new JsonObject { [Framework] = target },
            ["libraries"] = libraries,
            ["projectFileDependencyGroups"] = new JsonObject { [Framework] = new JsonArray(_direct.Select(d => (JsonNode)JsonValue.Create($"{d} >= 1.0.0")).ToArray()) },
            ["packageFolders"] = new JsonObject { [PackagesFolder + "/"] = new JsonObject() },
            ["project"] = new JsonObject
            {
                ["version"] = "1.0.0",
                ["restore"] = new JsonObject { ["projectName"] = "Fake", ["projectPath"] = _root.Combine("Fake.csproj") },
                ["frameworks"] = new JsonObject { [Framework] = new JsonObject { ["targetAlias"] = Framework } },
            },
        };
        return _root.WriteFile("obj/project.assets.json", assets.ToJsonString());
    }

    public static Core.Sbom.SbomInput Input(DateTimeOffset? created = null) => new()
    {
        ProjectName = "Fake",
        ProjectVersion = "1.0.0",
        TargetFramework = Framework,
        SdkVersion = "10.0.100",
        Created = created ?? DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        ToolVersion = "0.1.0",
    };

    public void Dispose() => _root.Dispose();
}
