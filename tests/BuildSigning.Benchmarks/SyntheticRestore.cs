using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using BuildSigning.Core.Sbom;
using BuildSigning.Core.Trust;

namespace BuildSigning.Benchmarks;

/// <summary>
/// A restore without a network: obj/project.assets.json for net10.0 with a dependency graph of N packages (each depends
/// on up to four later ones, 20 are referenced directly), and a NuGet-layout package folder with every package's
/// .nupkg (a real, unsigned zip holding its .nuspec), .nupkg.sha512 and extracted .nuspec, as restore leaves them.
/// </summary>
public static class SyntheticRestore
{
    public const string TargetFramework = "net10.0";

    private static readonly string[] Licenses = ["MIT", "Apache-2.0", "BSD-3-Clause", "MIT OR Apache-2.0", "MS-PL"];
    private static readonly string[] Vendors = ["Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Litware", "Adatum", "Proseware"];
    private static readonly string[] Areas = ["Core", "Abstractions", "Http", "Json", "Logging", "Caching", "Configuration", "Primitives", "Options", "Diagnostics"];

    /// <summary>Trusts the built-in nuget.org signer and, by exception, every unsigned package: the synthetic packages pass and are cached.</summary>
    public static TrustPolicy AllowUnsignedPolicy { get; } = TrustPolicy.Default.With(
        exceptions: [new UnsignedException(PackageIdPattern.Parse("*"), null, "synthetic benchmark packages are unsigned", DateTimeOffset.MaxValue)],
        source: "benchmark policy (allow unsigned)");

    /// <summary>Writes the restore under root and returns the assets file's path.</summary>
    public static string Generate(string root, int packageCount, int seed)
    {
        root = Path.GetFullPath(root);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        string packagesFolder = Path.Combine(root, "packages") + Path.DirectorySeparatorChar;
        var random = new Random(seed);

        var packages = new List<(string Id, string Version, string[] Dependencies)>(packageCount);
        var ids = Enumerable.Range(0, packageCount).Select(PackageId).ToArray();
        for (int i = 0; i < packageCount; i++)
        {
            int count = i >= packageCount - 5 ? 0 : random.Next(0, 5);
            var dependencies = Enumerable.Range(0, count).Select(_ => random.Next(i + 1, packageCount)).Distinct().Select(j => ids[j]).ToArray();
            packages.Add((ids[i], $"{1 + random.Next(9)}.{random.Next(20)}.{random.Next(10)}", dependencies));
        }
        var versions = packages.ToDictionary(p => p.Id, p => p.Version);

        var sha512 = new Dictionary<string, string>();
        for (int i = 0; i < packages.Count; i++)
        {
            var (id, version, _) = packages[i];
            string lower = id.ToLowerInvariant();
            string directory = Path.Combine(packagesFolder, lower, version);
            Directory.CreateDirectory(directory);
            byte[] nuspec = Nuspec(id, version, i);
            File.WriteAllBytes(Path.Combine(directory, lower + ".nuspec"), nuspec);
            string nupkg = Path.Combine(directory, $"{lower}.{version}.nupkg");
            using (var zip = ZipFile.Open(nupkg, ZipArchiveMode.Create))
            {
                using (var entry = zip.CreateEntry(id + ".nuspec").Open()) entry.Write(nuspec);
                using (var entry = zip.CreateEntry($"lib/{TargetFramework}/{id}.dll").Open()) entry.Write(RandomBytes(random, 4096 + random.Next(64 * 1024)));
            }
            string hash = Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(nupkg)));
            File.WriteAllText(Path.Combine(directory, $"{lower}.{version}.nupkg.sha512"), hash);
            sha512[id] = hash;
        }

        string assetsPath = Path.Combine(root, "obj", "project.assets.json");
        Directory.CreateDirectory(Path.GetDirectoryName(assetsPath)!);
        using (var stream = File.Create(assetsPath))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 3);
            json.WriteStartObject("targets");
            json.WriteStartObject(TargetFramework);
            foreach (var (id, version, dependencies) in packages)
            {
                json.WriteStartObject($"{id}/{version}");
                json.WriteString("type", "package");
                if (dependencies.Length > 0)
                {
                    json.WriteStartObject("dependencies");
                    foreach (string dependency in dependencies) json.WriteString(dependency, versions[dependency]);
                    json.WriteEndObject();
                }
                json.WriteStartObject("compile");
                json.WriteStartObject($"lib/{TargetFramework}/{id}.dll");
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteStartObject("runtime");
                json.WriteStartObject($"lib/{TargetFramework}/{id}.dll");
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteStartObject("libraries");
            foreach (var (id, version, _) in packages)
            {
                string lower = id.ToLowerInvariant();
                json.WriteStartObject($"{id}/{version}");
                json.WriteString("sha512", sha512[id]);
                json.WriteString("type", "package");
                json.WriteString("path", $"{lower}/{version}");
                json.WriteStartArray("files");
                json.WriteStringValue($"{lower}.{version}.nupkg.sha512");
                json.WriteStringValue($"{lower}.nuspec");
                json.WriteStringValue($"lib/{TargetFramework}/{id}.dll");
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();

            json.WriteStartObject("projectFileDependencyGroups");
            json.WriteStartArray(TargetFramework);
            foreach (var (id, version, _) in packages.Take(20)) json.WriteStringValue($"{id} >= {version}");
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteStartObject("packageFolders");
            json.WriteStartObject(packagesFolder);
            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteStartObject("project");
            json.WriteString("version", "1.0.0");
            json.WriteStartObject("restore");
            json.WriteString("projectName", "Synthetic.App");
            json.WriteString("projectPath", Path.Combine(root, "Synthetic.App.csproj"));
            json.WriteEndObject();
            json.WriteStartObject("frameworks");
            json.WriteStartObject(TargetFramework);
            json.WriteString("targetAlias", TargetFramework);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return assetsPath;
    }

    /// <summary>The id of the i-th synthetic package.</summary>
    public static string PackageId(int i) => $"{Vendors[i % Vendors.Length]}.{Areas[(i / Vendors.Length) % Areas.Length]}.P{i:D3}";

    /// <summary>
    /// What the publish of an application would pass to the SBOM writer, with an optional list of published files: the
    /// first <paramref name="packageFiles"/> are the packages' runtime assets as publish names them (&lt;id&gt;.dll, so each
    /// is linked to its package), the rest the app's own files.
    /// </summary>
    public static SbomInput SbomInputFor(string targetFramework, int files = 0, int packageFiles = 0) => new()
    {
        ProjectName = "Synthetic.App",
        ProjectVersion = "1.0.0",
        TargetFramework = targetFramework,
        SdkVersion = "10.0.100",
        IsApplication = true,
        LicenseExpression = "MIT",
        Authors = "BuildSigning benchmarks",
        Created = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero),
        ToolVersion = "0.1.0",
        Files = files == 0 ? null : Enumerable.Range(0, files).Select(i => new SbomFile(
            i < packageFiles ? $"{PackageId(i)}.dll" : $"lib/File{i:D4}.dll",
            Convert.ToHexString(SHA256.HashData(BitConverter.GetBytes(i))).ToLowerInvariant(),
            Convert.ToHexString(SHA1.HashData(BitConverter.GetBytes(i))).ToLowerInvariant())).ToArray(),
    };

    private static byte[] Nuspec(string id, string version, int index)
    {
        string license = Licenses[index % Licenses.Length];
        string text = $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                <authors>{id.Split('.')[0]} Ltd.</authors>
                <license type="expression">{license}</license>
                <licenseUrl>https://licenses.nuget.org/{Uri.EscapeDataString(license)}</licenseUrl>
                <projectUrl>https://example.com/{id.ToLowerInvariant()}</projectUrl>
                <description>A synthetic package for the BuildSigning benchmarks.</description>
              </metadata>
            </package>
            """;
        return Encoding.UTF8.GetBytes(text);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
