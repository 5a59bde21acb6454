using System.Text;
using System.Xml;
using BuildSigning.Core.Assets;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Sbom;

/// <summary>A runtime pack a self-contained app ships (from @(ResolvedRuntimePack): NuGetPackageId, NuGetPackageVersion, PackageDirectory).</summary>
public sealed record RuntimePackReference(string Id, string Version, string? PackageDirectory = null)
{
    /// <summary>
    /// The pack's files a publish copies (MSBuild's @(RuntimePackAsset): the file's full path as PackagePath, its
    /// DestinationSubPath as PublishPath). Empty: the pack folder's runtimes/&lt;rid&gt;/ files, by file name.
    /// </summary>
    public IReadOnlyList<AssetsRuntimeFile> Files { get; init; } = [];
}

public enum SbomComponentKind
{
    Package,
    Project,
}

/// <summary>
/// A component's declared license: an SPDX expression, else a URL, else the name of a license file inside the package
/// (with its text when it could be read); all null means unknown (NOASSERTION).
/// </summary>
public sealed record SbomLicense(string? Expression, string? Url = null, string? FileName = null, string? FileText = null)
{
    public static SbomLicense None { get; } = new((string?)null);
    public bool IsKnown => Expression is not null || Url is not null || FileName is not null;
}

/// <summary>
/// A resolved package or project reference, with the keys ("Name/Version") of the components it depends on. Only packages
/// have a purl: a project reference was built here, not downloaded from a feed (see <see cref="SbomReference"/>).
/// </summary>
public sealed record SbomComponent(
    string Name,
    string Version,
    SbomComponentKind Kind,
    string? Purl,
    string? Sha512Hex,
    SbomLicense License,
    string? Supplier,
    string? Homepage,
    string? ProjectPath,
    IReadOnlyList<string> DependsOn,
    bool BuildOnly = false,
    string? Copyright = null,
    string? Description = null,
    SbomRepository? Repository = null)
{
    public string Key => $"{Name}/{Version}";
}

/// <summary>
/// What one target (framework, or framework/runtime) of a restore resolved: every package and project reference,
/// the real dependency graph, and package metadata read from the package folders. Problems that do not stop SBOM
/// generation are in <see cref="Warnings"/> (BS5xxx).
/// </summary>
public sealed class SbomModel
{
    private readonly Dictionary<string, SbomComponent> _byKey;

    internal SbomModel(string targetKey, IReadOnlyList<SbomComponent> components, IReadOnlyList<string> rootDependsOn, IReadOnlyList<Diagnostic> warnings)
    {
        TargetKey = targetKey;
        Components = components;
        RootDependsOn = rootDependsOn;
        Warnings = warnings;
        _byKey = components.ToDictionary(c => c.Key, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The assets file's target key, e.g. "net8.0" or "net8.0/linux-x64".</summary>
    public string TargetKey { get; }

    /// <summary>Sorted by name (ordinal, ignoring case), then version.</summary>
    public IReadOnlyList<SbomComponent> Components { get; }

    /// <summary>Keys of the components the project references directly.</summary>
    public IReadOnlyList<string> RootDependsOn { get; }

    public IReadOnlyList<Diagnostic> Warnings { get; }

    public SbomComponent? Find(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>Loads obj/project.assets.json and builds the model for one target. Throws BS2010/BS2011/BS2012 as <see cref="BuildSigningException"/>.</summary>
    public static SbomModel FromAssetsFile(string assetsPath, string targetFramework, string? runtimeIdentifier,
        IReadOnlyList<RuntimePackReference>? runtimePacks = null) =>
        FromAssets(ProjectAssetsFile.Load(assetsPath), targetFramework, runtimeIdentifier, runtimePacks);

    /// <summary>
    /// Builds the model for one target. Throws BS2012 when the assets file has no such target. Runtime packs
    /// (self-contained publish: MSBuild's @(ResolvedRuntimePack) items) are not in project.assets.json's targets; pass
    /// them to list them as packages the project depends on directly.
    /// </summary>
    public static SbomModel FromAssets(ProjectAssetsFile assets, string targetFramework, string? runtimeIdentifier,
        IReadOnlyList<RuntimePackReference>? runtimePacks = null)
    {
        var target = assets.GetTarget(targetFramework, runtimeIdentifier);
        var warnings = new List<Diagnostic>();

        // One version per name in a target: dependency edges name a minimum version, the target holds the resolved one.
        var resolved = new Dictionary<string, AssetsTargetLibrary>(StringComparer.OrdinalIgnoreCase);
        foreach (var library in target.Libraries) resolved.TryAdd(library.Name, library);

        var libraries = target.Libraries.ToList();
        var packDirectories = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pack in runtimePacks ?? [])
        {
            if (resolved.ContainsKey(pack.Id)) continue;
            var library = new AssetsTargetLibrary(pack.Id, pack.Version, "package", new Dictionary<string, string>())
            {
                RuntimeFiles = pack.Files.Count > 0 ? pack.Files : RuntimePackFiles(pack.PackageDirectory),
            };
            resolved[pack.Id] = library;
            libraries.Add(library);
            if (!string.IsNullOrEmpty(pack.PackageDirectory)) packDirectories[library.Key] = pack.PackageDirectory;
        }

        var ordered = libraries
            .OrderBy(l => l.Name, StringComparer.OrdinalIgnoreCase).ThenBy(l => l.Name, StringComparer.Ordinal)
            .ThenBy(l => l.Version, StringComparer.OrdinalIgnoreCase)
            .ToArray();
        var components = new List<SbomComponent>(ordered.Length);
        var origins = new Dictionary<string, List<FileOrigin>>(StringComparer.Ordinal);
        foreach (var library in ordered)
        {
            var dependsOn = new List<string>(library.Dependencies.Count);
            foreach (string dependency in library.Dependencies.Keys.Order(StringComparer.OrdinalIgnoreCase))
            {
                if (resolved.TryGetValue(dependency, out var match)) dependsOn.Add(match.Key);
                else warnings.Add(Diagnostics.Warnings.SbomDependencyUnresolved(library.Name, library.Version, dependency, target.Key));
            }
            var info = assets.FindLibrary(library.Name, library.Version);
            string? directory = null;
            components.Add(library.Type == "project"
                ? Project(library, info, dependsOn)
                : Package(assets, library, info, packDirectories.GetValueOrDefault(library.Key), dependsOn, warnings, out directory));
            foreach (var file in library.RuntimeFiles)
            {
                string? source = Path.IsPathRooted(file.PackagePath) ? file.PackagePath
                    : directory is null ? null : Path.Combine(directory, file.PackagePath.Replace('/', Path.DirectorySeparatorChar));
                if (!origins.TryGetValue(file.PublishPath, out var list)) origins[file.PublishPath] = list = [];
                if (!list.Exists(o => string.Equals(o.Key, library.Key, StringComparison.OrdinalIgnoreCase))) list.Add(new FileOrigin(library.Key, source));
            }
        }

        components = MarkBuildOnly(components);

        var rootDependsOn = new List<string>();
        var direct = assets.GetDirectDependencies(target);
        if (direct.Count > 0)
        {
            // A direct reference missing from the target was pruned by NuGet (it is part of the framework): not an error.
            foreach (string name in direct.Concat((runtimePacks ?? []).Select(p => p.Id)).Order(StringComparer.OrdinalIgnoreCase))
            {
                if (resolved.TryGetValue(name, out var match) && !rootDependsOn.Contains(match.Key)) rootDependsOn.Add(match.Key);
            }
        }
        else
        {
            // No projectFileDependencyGroups: the direct references are the libraries nothing else depends on.
            var dependedOn = new HashSet<string>(components.SelectMany(c => c.DependsOn), StringComparer.OrdinalIgnoreCase);
            rootDependsOn.AddRange(components.Select(c => c.Key).Where(k => !dependedOn.Contains(k)));
        }
        return new SbomModel(target.Key, components, rootDependsOn, warnings) { _origins = origins };
    }

    /// <summary>A component a published path may have come from, with the file's path in its package folder when known.</summary>
    private sealed record FileOrigin(string Key, string? Source);

    private Dictionary<string, List<FileOrigin>> _origins = new(StringComparer.Ordinal);
    private (object? Files, string?[] Keys) _linked;

    /// <summary>
    /// For each of the input's files (in <see cref="SbomInput.SortedFiles"/> order), the key of the package (or project
    /// reference) it was copied from, or null for the project's own files (and for every file of a pack: a package's
    /// files are its own). A published path that several packages could have provided (publish keeps one) goes to the
    /// package whose asset has the same SHA-256; only those few files are read.
    /// </summary>
    internal string?[] FileOrigins(SbomInput input)
    {
        var linked = _linked;
        if (linked.Files is not null && ReferenceEquals(linked.Files, input.Files)) return linked.Keys;
        var files = input.SortedFiles;
        var keys = new string?[files.Count];
        if (!input.IsPackage && _origins.Count > 0)
        {
            for (int i = 0; i < files.Count; i++)
            {
                if (!_origins.TryGetValue(files[i].RelativePath.Replace('\\', '/'), out var candidates)) continue;
                keys[i] = candidates.Count == 1 ? candidates[0].Key : Disambiguate(candidates, files[i].Sha256Hex);
            }
        }
        _linked = (input.Files, keys);
        return keys;
    }

    private static string Disambiguate(List<FileOrigin> candidates, string sha256Hex)
    {
        foreach (var candidate in candidates)
        {
            if (candidate.Source is null) continue;
            try
            {
                using var stream = new FileStream(candidate.Source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                if (string.Equals(Hex.Lower(System.Security.Cryptography.SHA256.HashData(stream)), sha256Hex, StringComparison.OrdinalIgnoreCase)) return candidate.Key;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A candidate that cannot be read cannot be matched.
            }
        }
        return candidates[0].Key;
    }

    /// <summary>A runtime pack's files (runtimes/&lt;rid&gt;/lib/&lt;tfm&gt;/* and runtimes/&lt;rid&gt;/native/*): a self-contained publish puts each at the root by file name.</summary>
    private static IReadOnlyList<AssetsRuntimeFile> RuntimePackFiles(string? packageDirectory)
    {
        if (string.IsNullOrEmpty(packageDirectory)) return [];
        string runtimes = Path.Combine(packageDirectory, "runtimes");
        if (!Directory.Exists(runtimes)) return [];
        var files = new List<AssetsRuntimeFile>();
        try
        {
            foreach (string rid in Directory.EnumerateDirectories(runtimes).Order(StringComparer.Ordinal))
            {
                var folders = new List<string>();
                string lib = Path.Combine(rid, "lib");
                if (Directory.Exists(lib)) folders.AddRange(Directory.EnumerateDirectories(lib).Order(StringComparer.Ordinal));
                folders.Add(Path.Combine(rid, "native"));
                foreach (string folder in folders.Where(Directory.Exists))
                {
                    foreach (string file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
                    {
                        files.Add(new AssetsRuntimeFile(Path.GetRelativePath(packageDirectory, file).Replace('\\', '/'), Path.GetFileName(file)));
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable pack links no files; the SBOM still lists them (as the project's).
        }
        return files;
    }

    /// <summary>
    /// A package is build-only when neither it nor anything it brings in ships runtime assets. A metapackage with only
    /// build/*.props (Swashbuckle.AspNetCore) whose dependencies put DLLs into the output is part of what runs, and so is
    /// everything it depends on.
    /// </summary>
    private static List<SbomComponent> MarkBuildOnly(List<SbomComponent> components)
    {
        var byKey = components.ToDictionary(c => c.Key, StringComparer.OrdinalIgnoreCase);
        var memo = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        bool IsBuildOnly(SbomComponent c, HashSet<string> visiting)
        {
            if (memo.TryGetValue(c.Key, out bool known)) return known;
            // A cycle, or a dependency that never resolved, is treated as something that runs: never under-report.
            bool result = c.BuildOnly && visiting.Add(c.Key)
                && c.DependsOn.All(d => byKey.TryGetValue(d, out var dependency) && IsBuildOnly(dependency, visiting));
            visiting.Remove(c.Key);
            return memo[c.Key] = result;
        }
        return components.Select(c => c.BuildOnly == IsBuildOnly(c, new HashSet<string>(StringComparer.OrdinalIgnoreCase)) ? c : c with { BuildOnly = false }).ToList();
    }

    private static SbomComponent Project(AssetsTargetLibrary library, AssetsLibrary? info, List<string> dependsOn) =>
        new(library.Name, library.Version, SbomComponentKind.Project, Purl: null,
            Sha512Hex: null, SbomLicense.None, Supplier: null, Homepage: null, ProjectPath: info?.MsBuildProject ?? info?.Path, dependsOn);

    private static SbomComponent Package(ProjectAssetsFile assets, AssetsTargetLibrary library, AssetsLibrary? info, string? knownDirectory,
        List<string> dependsOn, List<Diagnostic> warnings, out string? directory)
    {
        string id = library.Name, version = library.Version;
        if (!NuGetId.IsValid(id)) warnings.Add(Diagnostics.Warnings.SbomPackageIdUnusual(id));

        directory = knownDirectory is not null && Directory.Exists(knownDirectory) ? knownDirectory : FindPackageDirectory(assets, id, version, info);
        string? sha512Hex = null;
        NuspecMetadata? nuspec = null;
        if (directory is null)
        {
            warnings.Add(Diagnostics.Warnings.SbomPackageFolderMissing(id, version, assets.PackageFolders.Count == 0 ? "none listed" : string.Join(", ", assets.PackageFolders)));
        }
        else
        {
            sha512Hex = ReadSha512(directory, id, version, warnings);
            nuspec = ReadNuspec(directory, id, version, warnings);
        }

        var license = nuspec is null ? SbomLicense.None : ResolveLicense(nuspec, directory!, id, version, warnings);
        return new SbomComponent(id, version, SbomComponentKind.Package, PackageUrl.NuGet(id, version), sha512Hex, license,
            nuspec?.Authors, AbsoluteHttpUrl(nuspec?.ProjectUrl), ProjectPath: null, dependsOn, BuildOnly: !library.ShipsRuntimeAssets,
            nuspec?.Copyright, nuspec?.Description, nuspec?.Repository);
    }

    private static string? FindPackageDirectory(ProjectAssetsFile assets, string id, string version, AssetsLibrary? info)
    {
        if (info is not null && assets.FindPackageDirectory(info) is { } found) return found;
        // The assets file normally records the path; NuGet's layout is <id-lower>/<version-lower> otherwise.
        string relative = Path.Combine(id.ToLowerInvariant(), version.ToLowerInvariant());
        if (relative.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return null;
        foreach (string folder in assets.PackageFolders)
        {
            string candidate = Path.Combine(folder, relative);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// The SHA-512 of the .nupkg as NuGet wrote it next to the package (&lt;id&gt;.&lt;version&gt;.nupkg.sha512, base64), as
    /// lowercase hex; computed from the .nupkg when that file is missing or damaged. (project.assets.json's "sha512" is
    /// not a substitute: it is NuGet's content hash, which for signed packages leaves out the signature.)
    /// </summary>
    private static string? ReadSha512(string directory, string id, string version, List<Diagnostic> warnings)
    {
        string stem = $"{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg";
        string path = Path.Combine(directory, stem + ".sha512");
        string reason;
        try
        {
            if (Base64ToHex(File.ReadAllText(path, Encoding.ASCII)) is { } hex) return hex;
            reason = "it does not hold a base64 SHA-512";
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            reason = "the file does not exist";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            reason = e.Message;
        }

        string nupkg = Path.Combine(directory, stem);
        try
        {
            using var stream = new FileStream(nupkg, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            string hex = Hex.Lower(System.Security.Cryptography.SHA512.HashData(stream));
            warnings.Add(Diagnostics.Warnings.SbomPackageHashFileUnusable(id, version, path, reason));
            return hex;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings.Add(Diagnostics.Warnings.SbomPackageHashUnknown(id, version, directory));
            return null;
        }
    }

    private static NuspecMetadata? ReadNuspec(string directory, string id, string version, List<Diagnostic> warnings)
    {
        string path = Path.Combine(directory, id.ToLowerInvariant() + ".nuspec");
        try
        {
            if (!File.Exists(path))
            {
                // Older clients kept the id's original casing.
                string? other = Directory.EnumerateFiles(directory, "*.nuspec").Order(StringComparer.Ordinal).FirstOrDefault();
                if (other is null)
                {
                    warnings.Add(Diagnostics.Warnings.SbomNuspecUnreadable(id, version, path, "the file does not exist"));
                    return null;
                }
                path = other;
            }
            return NuspecMetadata.Read(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or XmlException)
        {
            warnings.Add(Diagnostics.Warnings.SbomNuspecUnreadable(id, version, path, e.Message));
            return null;
        }
    }

    private const string DeprecatedLicenseUrl = "https://aka.ms/deprecateLicenseUrl";
    private const string NuGetLicensesPrefix = "https://licenses.nuget.org/";
    private const int MaxLicenseFileChars = 64 * 1024;

    private static SbomLicense ResolveLicense(NuspecMetadata nuspec, string directory, string id, string version, List<Diagnostic> warnings)
    {
        if (nuspec.License is { } declared && string.Equals(nuspec.LicenseType, "expression", StringComparison.OrdinalIgnoreCase))
        {
            if (SpdxExpression.IsValid(declared)) return new SbomLicense(declared);
            warnings.Add(Diagnostics.Warnings.SbomLicenseExpressionInvalid(id, version, declared));
            return SbomLicense.None;
        }
        if (nuspec.License is { } file && string.Equals(nuspec.LicenseType, "file", StringComparison.OrdinalIgnoreCase))
        {
            return new SbomLicense(null, FileName: file, FileText: ReadLicenseFile(directory, file));
        }
        if (nuspec.LicenseUrl is { } url && !string.Equals(url, DeprecatedLicenseUrl, StringComparison.OrdinalIgnoreCase))
        {
            // nuget.org's license URLs name an SPDX expression: https://licenses.nuget.org/MIT
            if (url.StartsWith(NuGetLicensesPrefix, StringComparison.OrdinalIgnoreCase))
            {
                string expression = Uri.UnescapeDataString(url[NuGetLicensesPrefix.Length..]).Trim();
                if (SpdxExpression.IsValid(expression)) return new SbomLicense(expression);
            }
            if (AbsoluteHttpUrl(url) is { } absolute) return new SbomLicense(null, Url: absolute);
        }
        warnings.Add(Diagnostics.Warnings.SbomPackageNoLicense(id, version));
        return SbomLicense.None;
    }

    private static string? ReadLicenseFile(string directory, string relativePath)
    {
        try
        {
            string full = Path.GetFullPath(Path.Combine(directory, relativePath));
            string root = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
            if (!full.StartsWith(root, StringComparison.Ordinal) || !File.Exists(full)) return null;
            using var reader = new StreamReader(full, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var buffer = new char[MaxLicenseFileChars + 1];
            int read = reader.ReadBlock(buffer, 0, buffer.Length);
            // A license too large to embed is referenced by name only.
            return read > MaxLicenseFileChars ? null : new string(buffer, 0, read).Replace("\r\n", "\n", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    internal static string? AbsoluteHttpUrl(string? text) =>
        text is not null && Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri.AbsoluteUri
            : null;

    private static string? Base64ToHex(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64)) return null;
        var bytes = new byte[66];
        return Convert.TryFromBase64String(base64.Trim(), bytes, out int written) && written == 64 ? Hex.Lower(bytes.AsSpan(0, 64)) : null;
    }
}
