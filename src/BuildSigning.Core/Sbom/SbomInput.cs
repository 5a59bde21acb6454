namespace BuildSigning.Core.Sbom;

/// <summary>A file of the output (publish folder), by path relative to the output root with '/' separators, with lowercase hex digests.</summary>
public sealed record SbomFile(string RelativePath, string Sha256Hex, string Sha1Hex);

/// <summary>
/// A shared framework a framework-dependent app runs on (MSBuild's @(RuntimeFramework): Microsoft.NETCore.App,
/// Microsoft.AspNetCore.App), with the version its runtimeconfig.json asks for (the minimum; the host may roll forward).
/// </summary>
public sealed record SharedFrameworkReference(string Name, string Version);

/// <summary>What the project itself is and how it was built: everything an SBOM needs that project.assets.json does not hold.</summary>
public sealed record SbomInput
{
    /// <summary>$(MSBuildProjectName) (or $(AssemblyName)): the root component's name.</summary>
    public required string ProjectName { get; init; }

    /// <summary>$(Version) or $(PackageVersion).</summary>
    public required string ProjectVersion { get; init; }

    /// <summary>$(PackageId) when it differs from the project name; the root component's purl uses it.</summary>
    public string? PackageId { get; init; }

    /// <summary>
    /// True when the root is a NuGet package (pack): only then does it get a <c>pkg:nuget</c> purl. A published app is not on
    /// any feed, and a purl would attribute a same-named public package's advisories to it.
    /// </summary>
    public bool IsPackage { get; init; }

    /// <summary>The project file, relative to the repository root when known (recorded as a comment/property only).</summary>
    public string? ProjectPath { get; init; }

    /// <summary>$(TargetFramework), e.g. net8.0.</summary>
    public required string TargetFramework { get; init; }

    /// <summary>$(RuntimeIdentifier), empty for framework-dependent, portable output.</summary>
    public string? RuntimeIdentifier { get; init; }

    /// <summary>$(NETCoreSdkVersion), e.g. 10.0.100.</summary>
    public required string SdkVersion { get; init; }

    /// <summary>True for an executable ($(OutputType) Exe/WinExe), false for a library.</summary>
    public bool IsApplication { get; init; }

    /// <summary>$(PackageLicenseExpression) of the project, when set.</summary>
    public string? LicenseExpression { get; init; }

    /// <summary>
    /// Pack: $(PackageLicenseFile), the licence file inside the package (used when no expression is set), with its text as
    /// packed (null when it could not be read or is too large to embed).
    /// </summary>
    public string? LicenseFile { get; init; }

    public string? LicenseFileText { get; init; }

    internal bool HasLicenseFile => LicenseFile is not null && !(LicenseExpression is { } e && SpdxExpression.IsValid(e));

    /// <summary>
    /// Who supplies the root: $(Authors), else $(Company), when set to something other than the SDK's default (the
    /// assembly name). Null: NOASSERTION.
    /// </summary>
    public string? Authors { get; init; }

    /// <summary>Who wrote the SBOM (SPDX creators "Organization:", CycloneDX metadata.manufacturer): $(BuildSigningSbomAuthor), else $(Company), else $(Authors).</summary>
    public string? SbomAuthor { get; init; }

    /// <summary>$(Copyright) of the project, when set.</summary>
    public string? Copyright { get; init; }

    /// <summary>$(Description) of the project, when set.</summary>
    public string? Description { get; init; }

    /// <summary>$(PackageProjectUrl), when set: the root's homepage.</summary>
    public string? ProjectUrl { get; init; }

    /// <summary>The git repository and commit the build came from (the provenance's source), when known.</summary>
    public SbomRepository? Repository { get; init; }

    /// <summary>The CycloneDX specification version written: "1.6" (default) or "1.7".</summary>
    public string CycloneDxVersion { get; init; } = "1.6";

    /// <summary>
    /// $(BuildSigningSbomNamespace): the prefix of the SPDX documentNamespace (an absolute URI without '#'); null derives it from
    /// the http(s) repository URL when known, else https://buildsigning.dev/spdx/.
    /// </summary>
    public string? SpdxNamespace { get; init; }

    /// <summary>The shared frameworks the app needs and does not ship (framework-dependent publish only).</summary>
    public IReadOnlyList<SharedFrameworkReference> SharedFrameworks { get; init; } = [];

    internal IReadOnlyList<SharedFrameworkReference> SortedFrameworks =>
        SharedFrameworks.DistinctBy(f => f.Name, StringComparer.OrdinalIgnoreCase).OrderBy(f => f.Name, StringComparer.Ordinal).ToArray();

    /// <summary>The published files (publish only), each with SHA-256 and SHA-1 (SPDX requires SHA-1).</summary>
    public IReadOnlyList<SbomFile>? Files { get; init; }

    /// <summary>
    /// Pack only: the package entries the document cannot list because they are the SBOMs themselves (a document cannot
    /// contain its own digest). Non-null means <see cref="Files"/> is the package's file inventory, read from the packed
    /// .nupkg; the documents then say what is left out and why.
    /// </summary>
    public IReadOnlyList<string>? UnlistedEntries { get; init; }

    internal string? InventoryComment => UnlistedEntries is { } unlisted
        ? $"Every entry of the package is listed with its SHA-256 and SHA-1, read from the .nupkg after pack, except {string.Join(", ", unlisted.Order(StringComparer.Ordinal))}: "
          + "this document is one of them, and a document cannot contain its own digest (nor, therefore, the digest of the package that holds it). "
          + "The BuildSigning statement over the entries (.buildsigning/) and the NuGet signature (.signature.p7s) are added after this document is written and are not listed either."
        : null;

    /// <summary>The document's creation time: <see cref="SourceDateEpoch.Resolve(Func{string, string?}, DateTimeOffset, out Diagnostics.Diagnostic?)"/>.</summary>
    public required DateTimeOffset Created { get; init; }

    public string ToolName { get; init; } = "BuildSigning";

    public required string ToolVersion { get; init; }

    internal string? RootPurl => IsPackage ? PackageUrl.NuGet(RootName, ProjectVersion) : null;

    /// <summary>The root's CycloneDX bom-ref: its purl when it is a package, else a non-registry identifier.</summary>
    internal string RootReference => RootPurl ?? SbomReference.Project(RootName, ProjectVersion);

    private string RootName => string.IsNullOrEmpty(PackageId) || !IsPackage ? ProjectName : PackageId;

    internal string TargetDescription => string.IsNullOrEmpty(RuntimeIdentifier) ? TargetFramework : $"{TargetFramework}/{RuntimeIdentifier}";

    internal IReadOnlyList<SbomFile> SortedFiles =>
        (Files ?? []).OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToArray();
}
