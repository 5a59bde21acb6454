using System.Text.Json;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Assets;

/// <summary>A library NuGet resolved: a package (with its folder path and SHA-512) or a project reference.</summary>
public sealed record AssetsLibrary(string Name, string Version, string Type, string? Path, string? Sha512Base64, string? MsBuildProject)
{
    public bool IsPackage => Type == "package";
    public bool IsProject => Type == "project";
    public string Key => $"{Name}/{Version}";
}

/// <summary>A library as resolved for one target (framework, or framework/runtime), with its direct dependencies.</summary>
/// <param name="ShipsRuntimeAssets">
/// Whether it puts anything into the output at run time (runtime, native, resource or runtime-specific assets other than
/// NuGet's "_._" placeholders). A package without any (an MSBuild tool such as BuildSigning, an analyzer) is build-only.
/// </param>
public sealed record AssetsTargetLibrary(string Name, string Version, string Type, IReadOnlyDictionary<string, string> Dependencies, bool ShipsRuntimeAssets = true)
{
    public string Key => $"{Name}/{Version}";

    /// <summary>The files this library puts into a publish folder: runtime, native, resource and runtime-specific assets (not "_._").</summary>
    public IReadOnlyList<AssetsRuntimeFile> RuntimeFiles { get; init; } = [];
}

/// <summary>
/// One runtime asset of a package: its path inside the package and where publish puts it, relative to the publish folder.
/// Runtime and native assets land at the root by file name; resources under their locale (de/X.resources.dll);
/// runtimeTargets assets of a portable publish keep their path (runtimes/linux-x64/native/libx.so).
/// </summary>
public sealed record AssetsRuntimeFile(string PackagePath, string PublishPath);

public sealed record AssetsTarget(string Key, IReadOnlyList<AssetsTargetLibrary> Libraries);

/// <summary>The project itself as restore saw it.</summary>
public sealed record AssetsProject(string? Name, string? Version, string? Path, IReadOnlyDictionary<string, string> TargetAliases);

/// <summary>
/// Reads obj/project.assets.json, NuGet's record of a restore: which packages and projects were resolved for every
/// target, where the packages are on disk and their SHA-512.
/// </summary>
public sealed class ProjectAssetsFile
{
    private readonly Dictionary<string, AssetsLibrary> _libraries;
    private readonly Dictionary<string, IReadOnlyList<string>> _directDependencies;

    private ProjectAssetsFile(string path, IReadOnlyList<string> packageFolders, Dictionary<string, AssetsLibrary> libraries,
        IReadOnlyList<AssetsTarget> targets, AssetsProject project, Dictionary<string, IReadOnlyList<string>> directDependencies)
    {
        Path = path;
        PackageFolders = packageFolders;
        _libraries = libraries;
        Targets = targets;
        Project = project;
        _directDependencies = directDependencies;
    }

    public string Path { get; }
    public IReadOnlyList<string> PackageFolders { get; }
    public IReadOnlyCollection<AssetsLibrary> Libraries => _libraries.Values;
    public IReadOnlyList<AssetsTarget> Targets { get; }
    public AssetsProject Project { get; }

    public AssetsLibrary? FindLibrary(string name, string version) => _libraries.GetValueOrDefault($"{name}/{version}");

    /// <summary>
    /// The names of the packages and projects the project itself references for a target (its framework part, from
    /// projectFileDependencyGroups), in file order; empty when the file does not say.
    /// </summary>
    public IReadOnlyList<string> GetDirectDependencies(AssetsTarget target)
    {
        int slash = target.Key.IndexOf('/');
        string framework = slash < 0 ? target.Key : target.Key[..slash];
        return _directDependencies.GetValueOrDefault(framework) ?? [];
    }

    public static ProjectAssetsFile Load(string path)
    {
        if (!File.Exists(path)) throw Errors.AssetsFileMissing(path);
        byte[] json;
        try
        {
            json = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.AssetsFileCorrupt(path, e.Message, e);
        }
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return Parse(path, document.RootElement);
        }
        catch (JsonException e)
        {
            throw Errors.AssetsFileCorrupt(path, $"invalid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw Errors.AssetsFileCorrupt(path, $"unexpected content ({e.Message})", e);
        }
    }

    /// <summary>
    /// The target for a TargetFramework (its MSBuild alias or NuGet short name) and optional RuntimeIdentifier.
    /// </summary>
    public AssetsTarget GetTarget(string targetFramework, string? runtimeIdentifier)
    {
        string framework = Project.TargetAliases.FirstOrDefault(p => string.Equals(p.Value, targetFramework, StringComparison.OrdinalIgnoreCase)).Key ?? targetFramework;
        string key = string.IsNullOrEmpty(runtimeIdentifier) ? framework : $"{framework}/{runtimeIdentifier}";
        return Targets.FirstOrDefault(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase))
            ?? throw Errors.AssetsTargetMissing(Path, key, string.Join(", ", Targets.Select(t => t.Key)));
    }

    /// <summary>The folder a package was extracted to (e.g. ~/.nuget/packages/serilog/3.1.1), or null when it is in none of the package folders.</summary>
    public string? FindPackageDirectory(AssetsLibrary library)
    {
        if (!library.IsPackage || library.Path is null) return null;
        foreach (string folder in PackageFolders)
        {
            string candidate = System.IO.Path.Combine(folder, library.Path.Replace('/', System.IO.Path.DirectorySeparatorChar));
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static ProjectAssetsFile Parse(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the root is not an object");
        var folders = root.TryGetProperty("packageFolders", out var pf) && pf.ValueKind == JsonValueKind.Object
            ? pf.EnumerateObject().Select(p => p.Name).ToArray()
            : [];

        var libraries = new Dictionary<string, AssetsLibrary>(StringComparer.OrdinalIgnoreCase);
        if (root.TryGetProperty("libraries", out var libs) && libs.ValueKind == JsonValueKind.Object)
        {
            foreach (var library in libs.EnumerateObject())
            {
                var (name, version) = SplitKey(library.Name);
                libraries[library.Name] = new AssetsLibrary(name, version,
                    Text(library.Value, "type") ?? "package", Text(library.Value, "path"), Text(library.Value, "sha512"), Text(library.Value, "msbuildProject"));
            }
        }

        var targets = new List<AssetsTarget>();
        if (root.TryGetProperty("targets", out var targetsElement) && targetsElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var target in targetsElement.EnumerateObject())
            {
                var entries = new List<AssetsTargetLibrary>();
                foreach (var library in target.Value.EnumerateObject())
                {
                    var (name, version) = SplitKey(library.Name);
                    var dependencies = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    if (library.Value.TryGetProperty("dependencies", out var deps) && deps.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var dependency in deps.EnumerateObject()) dependencies[dependency.Name] = dependency.Value.GetString() ?? "";
                    }
                    entries.Add(new AssetsTargetLibrary(name, version, Text(library.Value, "type") ?? "package", dependencies, ShipsRuntimeAssets(library.Value))
                    {
                        RuntimeFiles = RuntimeFiles(library.Value),
                    });
                }
                targets.Add(new AssetsTarget(target.Name, entries));
            }
        }

        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? projectName = null, projectVersion = null, projectPath = null;
        if (root.TryGetProperty("project", out var project) && project.ValueKind == JsonValueKind.Object)
        {
            projectVersion = Text(project, "version");
            if (project.TryGetProperty("restore", out var restore) && restore.ValueKind == JsonValueKind.Object)
            {
                projectName = Text(restore, "projectName");
                projectPath = Text(restore, "projectPath");
            }
            if (project.TryGetProperty("frameworks", out var frameworks) && frameworks.ValueKind == JsonValueKind.Object)
            {
                foreach (var framework in frameworks.EnumerateObject()) aliases[framework.Name] = Text(framework.Value, "targetAlias") ?? framework.Name;
            }
        }
        // "projectFileDependencyGroups": { "net8.0": [ "Serilog >= 3.1.1", "MyLib >= 1.0.0" ] }: what the project references directly.
        var direct = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (root.TryGetProperty("projectFileDependencyGroups", out var groups) && groups.ValueKind == JsonValueKind.Object)
        {
            foreach (var group in groups.EnumerateObject())
            {
                if (group.Value.ValueKind != JsonValueKind.Array) continue;
                direct[group.Name] = group.Value.EnumerateArray()
                    .Where(e => e.ValueKind == JsonValueKind.String)
                    .Select(e => e.GetString()!.Trim())
                    .Select(e => e.IndexOf(' ') is int space and > 0 ? e[..space] : e)
                    .Where(e => e.Length > 0)
                    .ToArray();
            }
        }
        return new ProjectAssetsFile(path, folders, libraries, targets, new AssetsProject(projectName, projectVersion, projectPath, aliases), direct);
    }

    private static readonly string[] RuntimeAssetGroups = ["runtime", "native", "resource", "runtimeTargets"];

    private static bool ShipsRuntimeAssets(JsonElement library) =>
        (Text(library, "type") ?? "package") != "package"
        || RuntimeAssetGroups.Any(group => library.TryGetProperty(group, out var assets) && assets.ValueKind == JsonValueKind.Object
            && assets.EnumerateObject().Any(asset => !asset.Name.EndsWith("_._", StringComparison.Ordinal)));

    private static IReadOnlyList<AssetsRuntimeFile> RuntimeFiles(JsonElement library)
    {
        if (library.ValueKind != JsonValueKind.Object) return [];
        List<AssetsRuntimeFile>? files = null;
        foreach (string group in RuntimeAssetGroups)
        {
            if (!library.TryGetProperty(group, out var assets) || assets.ValueKind != JsonValueKind.Object) continue;
            foreach (var asset in assets.EnumerateObject())
            {
                string packagePath = asset.Name.Replace('\\', '/');
                if (packagePath.EndsWith("_._", StringComparison.Ordinal) || packagePath.Contains("..", StringComparison.Ordinal)) continue;
                string fileName = packagePath[(packagePath.LastIndexOf('/') + 1)..];
                if (fileName.Length == 0) continue;
                string publishPath = group switch
                {
                    "resource" when Text(asset.Value, "locale") is { Length: > 0 } locale && !locale.Contains('/') && !locale.Contains("..", StringComparison.Ordinal) => $"{locale}/{fileName}",
                    "runtimeTargets" => packagePath,
                    _ => fileName,
                };
                (files ??= []).Add(new AssetsRuntimeFile(packagePath, publishPath));
            }
        }
        return files is null ? [] : files;
    }

    private static (string Name, string Version) SplitKey(string key)
    {
        int slash = key.IndexOf('/');
        return slash < 0 ? (key, "") : (key[..slash], key[(slash + 1)..]);
    }

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
