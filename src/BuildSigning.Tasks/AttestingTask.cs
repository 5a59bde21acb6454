using System.Globalization;
using System.Reflection;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Provenance;
using BuildSigning.Core.Sbom;
using Microsoft.Build.Framework;

namespace BuildSigning.Tasks;

/// <summary>A task that signs with the configured key and can add SBOM and provenance attestations (see BuildSigning.targets).</summary>
public abstract class AttestingTask : BuildSigningTask
{
    public string? KeyFile { get; set; }
    public string? KeyPasswordVariable { get; set; }
    public string? CertificateFile { get; set; }
    public bool RequireSigningKey { get; set; }
    public string? RequireSigningKeyReason { get; set; }
    /// <summary>Set when BuildSigningRequireSigningKey is not set: a CI environment then requires a real key.</summary>
    public bool DetectContinuousIntegration { get; set; }
    public string? TimestampUrl { get; set; }
    /// <summary>$(BuildSigningTransparencyLogUrl): a Rekor log every signed statement is submitted to (empty: none).</summary>
    public string? TransparencyLogUrl { get; set; }
    /// <summary>$(BuildSigningTransparencyLogKey): the log's public key (PEM), to check its SET and checkpoint at signing.</summary>
    public string? TransparencyLogKey { get; set; }
    /// <summary>$(BuildSigningAuditLog): a JSON Lines file every signing event is appended to (empty: none).</summary>
    public string? AuditLog { get; set; }
    /// <summary>$(BuildSigningSignerCommand): a command that signs digests with a key kept elsewhere (docs/signing-keys.md).</summary>
    public string? SignerCommand { get; set; }
    /// <summary>$(BuildSigningPublicKeyFile): the public key every signature of the signer command is checked against.</summary>
    public string? PublicKeyFile { get; set; }
    /// <summary>$(BuildSigningSignerTimeout): seconds per signature; empty means 60.</summary>
    public string? SignerTimeout { get; set; }

    public string? SbomFormats { get; set; }
    /// <summary>$(BuildSigningSbomNamespace): the SPDX documentNamespace prefix.</summary>
    public string? SbomNamespace { get; set; }
    public bool GenerateProvenance { get; set; }
    public string? AssetsFile { get; set; }
    public string? ProjectFullPath { get; set; }
    public string? ProjectVersion { get; set; }
    public string? PackageId { get; set; }
    public string? Configuration { get; set; }
    public string? TargetFramework { get; set; }
    public string? RuntimeIdentifier { get; set; }
    public string? OutputType { get; set; }
    public string? Authors { get; set; }
    public string? Company { get; set; }
    public string? AssemblyName { get; set; }
    public string? SbomAuthor { get; set; }
    public string? PackageLicenseExpression { get; set; }
    public string? Copyright { get; set; }
    public string? Description { get; set; }
    public string? PackageProjectUrl { get; set; }
    public string? SdkVersion { get; set; }
    public string? MSBuildVersion { get; set; }
    public string? RepositoryUrl { get; set; }
    public string? SourceRevisionId { get; set; }
    public string? BuilderId { get; set; }
    public string? BuildStartedAt { get; set; }
    /// <summary>
    /// The runtime packs a self-contained publish ships: @(RuntimePackAsset), one item per file, with NuGetPackageId and
    /// NuGetPackageVersion. (@(ResolvedRuntimePack) also holds packs downloaded only for transitive framework references.)
    /// </summary>
    public ITaskItem[] RuntimePacks { get; set; } = [];
    /// <summary>@(RuntimeFramework): the shared frameworks a framework-dependent app runs on (FrameworkName, Version).</summary>
    public ITaskItem[] SharedFrameworks { get; set; } = [];
    public bool SelfContained { get; set; }
    /// <summary>Properties that change the output, for the provenance: item = property name, metadata Value.</summary>
    public ITaskItem[] ProvenanceProperties { get; set; } = [];

    protected static string ToolVersion { get; } =
        typeof(AttestingTask).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    protected SigningKey ResolveKey()
    {
        if (BinlogPasswordWarning.Check(BuildEngine, KeyPasswordVariable) is { } warning) LogWarning(warning);
        return SigningKeyCache.Resolve(BuildEngine, KeyConfiguration());
    }

    protected KeyConfiguration KeyConfiguration()
    {
        bool require = RequireSigningKey;
        string? reason = NullIfEmpty(RequireSigningKeyReason);
        if (!require && DetectContinuousIntegration && BuilderIdentity.ContinuousIntegrationReason(Environment.GetEnvironmentVariable) is { } ci)
        {
            (require, reason) = (true, ci);
        }
        return new KeyConfiguration(NullIfEmpty(KeyFile), NullIfEmpty(KeyPasswordVariable), NullIfEmpty(CertificateFile), require, reason,
            Signer: NullIfEmpty(SignerCommand) is { } command
                ? new ExternalSignerOptions(command, PublicKeyFile ?? "", ExternalSignerOptions.ParseTimeout(SignerTimeout), Path.GetDirectoryName(ProjectFullPath))
                : null);
    }

    /// <summary>The transparency log and audit log of this signing, or null when both are off.</summary>
    protected Core.Transparency.SigningRecorder? ResolveRecorder(string eventKind)
    {
        var logUrl = NullIfEmpty(TransparencyLogUrl) is { } url ? Core.Transparency.RekorClient.ParseUrl(url) : null;
        string? auditLog = NullIfEmpty(AuditLog) is { } path ? Path.GetFullPath(path) : null;
        if (logUrl is null && auditLog is null) return null;
        var logKey = NullIfEmpty(TransparencyLogKey) is { } keyFile ? Core.Transparency.TransparencyLogVerifier.LoadKey(keyFile) : null;
        string? commit = null, builderId = null;
        if (auditLog is not null)
        {
            builderId = BuilderIdentity.Resolve(NullIfEmpty(BuilderId), Environment.GetEnvironmentVariable, out _).Id;
            commit = GitSource.Resolve(Path.GetDirectoryName(ProjectFullPath ?? ""), NullIfEmpty(RepositoryUrl), NullIfEmpty(SourceRevisionId), new List<Diagnostic>())?.Commit;
        }
        return new Core.Transparency.SigningRecorder
        {
            TransparencyLogUrl = logUrl,
            TransparencyLogKey = logKey,
            AuditLogPath = auditLog,
            Context = new Core.Transparency.SigningContext(eventKind, NullIfEmpty(ProjectFullPath) is { } project ? Path.GetFileName(project) : null,
                NullIfEmpty(Configuration), commit, builderId),
        };
    }

    protected Uri? ResolveTimestampUrl() => NullIfEmpty(TimestampUrl) is { } url ? Core.Attestations.Rfc3161Client.ParseUrl(url) : null;

    /// <summary>
    /// The attestation settings, or null when neither SBOMs nor provenance are wanted. <paramref name="targetFramework"/> and
    /// <paramref name="sbomFormats"/> replace the task's own values for one call (pack asks once per framework) without
    /// changing its input properties.
    /// </summary>
    protected BuildAttestationOptions? AttestationOptions(string command, string? targetFramework = null, string? sbomFormats = null)
    {
        targetFramework ??= TargetFramework;
        var formats = ParseFormats(sbomFormats ?? SbomFormats);
        if (formats.Count == 0 && !GenerateProvenance) return null;

        var warnings = new List<Diagnostic>();
        var builder = BuilderIdentity.Resolve(NullIfEmpty(BuilderId), Environment.GetEnvironmentVariable, out var builderWarning);
        if (builderWarning is not null) warnings.Add(builderWarning);
        string projectPath = ProjectFullPath ?? "";
        var source = GitSource.Resolve(Path.GetDirectoryName(projectPath), NullIfEmpty(RepositoryUrl), NullIfEmpty(SourceRevisionId), warnings);
        foreach (var warning in warnings) LogWarning(warning);

        // A package is known by its id; a published app by its project name.
        string name = command == "pack" && NullIfEmpty(PackageId) is { } id ? id : Path.GetFileNameWithoutExtension(projectPath);
        return new BuildAttestationOptions
        {
            AssetsFile = AssetsFile ?? "",
            WriteSpdx = formats.Contains("spdx"),
            WriteCycloneDx = formats.Contains("cyclonedx") || formats.Contains("cyclonedx1.7"),
            WriteProvenance = GenerateProvenance,
            // @(RuntimePackAsset): one item per file a self-contained publish copies from a runtime pack.
            RuntimePacks = RuntimePacks
                .GroupBy(p => ((p.GetMetadata("NuGetPackageId") is { Length: > 0 } id ? id : p.ItemSpec).ToLowerInvariant(), p.GetMetadata("NuGetPackageVersion").ToLowerInvariant()))
                .Select(g => new RuntimePackReference(
                    g.First().GetMetadata("NuGetPackageId") is { Length: > 0 } id ? id : g.First().ItemSpec,
                    g.First().GetMetadata("NuGetPackageVersion"),
                    NullIfEmpty(g.First().GetMetadata("PackageDirectory")))
                {
                    Files = g.Select(p => new Core.Assets.AssetsRuntimeFile(p.GetMetadata("FullPath"),
                            (NullIfEmpty(p.GetMetadata("DestinationSubPath")) ?? Path.GetFileName(p.ItemSpec)).Replace('\\', '/')))
                        .ToArray(),
                })
                .ToArray(),
            Sbom = new SbomInput
            {
                ProjectName = name,
                ProjectVersion = NullIfEmpty(ProjectVersion) ?? "1.0.0",
                PackageId = NullIfEmpty(PackageId),
                IsPackage = command == "pack",
                ProjectPath = SlsaProvenance.RelativeProjectPath(projectPath, source?.WorkingDirectory),
                TargetFramework = targetFramework ?? "",
                RuntimeIdentifier = NullIfEmpty(RuntimeIdentifier),
                SdkVersion = SdkVersion ?? "",
                IsApplication = OutputType is "Exe" or "WinExe",
                LicenseExpression = NullIfEmpty(PackageLicenseExpression),
                Authors = Declared(Authors) ?? Declared(Company),
                SbomAuthor = NullIfEmpty(SbomAuthor) ?? Declared(Company) ?? Declared(Authors),
                // A self-contained app ships its runtime (the runtime packs); only a framework-dependent one needs it installed.
                SharedFrameworks = SelfContained ? [] : SharedFrameworks
                    .Select(f => new SharedFrameworkReference(NullIfEmpty(f.GetMetadata("FrameworkName")) ?? f.ItemSpec, f.GetMetadata("Version")))
                    .Where(f => f.Version.Length > 0)
                    .ToArray(),
                CycloneDxVersion = formats.Contains("cyclonedx1.7") ? "1.7" : "1.6",
                SpdxNamespace = NullIfEmpty(SbomNamespace) is { } ns ? SpdxWriter.ValidNamespace(ns) : null,
                Copyright = NullIfEmpty(Copyright),
                // NuGet's pack targets fill an empty $(Description) with this placeholder: it describes nothing.
                Description = NullIfEmpty(Description) is { } description && description != "Package Description" ? description : null,
                ProjectUrl = NullIfEmpty(PackageProjectUrl),
                Repository = source is { RepositoryUrl: { } repositoryUrl } ? SbomRepository.Create("git", repositoryUrl, source.Commit) : null,
                Created = DateTimeOffset.UtcNow,
                ToolVersion = ToolVersion,
            },
            Provenance = new ProvenanceInput
            {
                Command = command,
                ProjectPath = projectPath,
                Configuration = NullIfEmpty(Configuration),
                TargetFramework = targetFramework ?? "",
                RuntimeIdentifier = NullIfEmpty(RuntimeIdentifier),
                Properties = ProvenanceProperties.ToDictionary(p => p.ItemSpec, p => NullIfEmpty(p.GetMetadata("Value")), StringComparer.Ordinal),
                SdkVersion = SdkVersion ?? "",
                MSBuildVersion = NullIfEmpty(MSBuildVersion),
                Source = source,
                Builder = builder,
                ToolVersion = ToolVersion,
                StartedOn = DateTimeOffset.TryParse(BuildStartedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var started) ? started : null,
            },
        };
    }

    /// <summary>The value unless empty or the SDK's default for $(Authors) and $(Company), which is the assembly name.</summary>
    private string? Declared(string? value) =>
        NullIfEmpty(value) is { } text && !string.Equals(text, NullIfEmpty(AssemblyName) ?? Path.GetFileNameWithoutExtension(ProjectFullPath ?? ""), StringComparison.Ordinal)
            ? text
            : null;

    private static HashSet<string> ParseFormats(string? formats)
    {
        var result = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string raw in (formats ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string format = raw.ToLowerInvariant() switch
            {
                "spdx" or "spdx2.3" or "spdx-2.3" => "spdx",
                "cyclonedx" or "cdx" or "cyclonedx1.6" => "cyclonedx",
                "cyclonedx1.7" => "cyclonedx1.7",
                "none" => "",
                _ => throw Errors.SbomFormatUnknown(raw),
            };
            if (format.Length > 0) result.Add(format);
        }
        if (result.Contains("cyclonedx") && result.Contains("cyclonedx1.7")) throw Errors.SbomFormatCycloneDxTwice("cyclonedx", "cyclonedx1.7");
        return result;
    }
}
