using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Outputs;

namespace BuildSigning.Core.Packages;

/// <summary>
/// One SBOM that goes into a package: <paramref name="File"/> as written before pack (in obj/), <paramref name="PackagePath"/>
/// its entry in the package, <paramref name="Format"/> <c>spdx</c> or <c>cdx</c>, <paramref name="AttestationName"/> the
/// name of its Sigstore bundle beside the package (<c>sbom.net10.0.spdx</c>).
/// </summary>
public sealed record PackageSbomFile(string File, string PackagePath, string TargetFramework, string Format, string PredicateType, string AttestationName);

/// <summary>The SBOMs a package carries: written per target framework before pack (provisional, no file list), in the package's format.</summary>
public static class PackageSboms
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>An SBOM as it goes into the package (indented UTF-8 JSON).</summary>
    public static byte[] Serialize(JsonObject document) => JsonSerializer.SerializeToUtf8Bytes(document, Indented);

    /// <summary>The short format name of an SBOM document, as in its file and bundle names.</summary>
    public static string FormatOf(AttestationDocument document) => document.Name == BuildAttestations.SpdxName ? "spdx" : "cdx";

    /// <summary>
    /// Writes the SBOMs of each target framework to <paramref name="outputDirectory"/> (only when their content changed, so
    /// an unchanged project still packs incrementally), for pack to put inside the package. <paramref name="options"/> gives
    /// the settings of one target framework; null when no SBOM or provenance is wanted, and then nothing is written.
    /// </summary>
    public static IReadOnlyList<PackageSbomFile> WriteProvisional(IEnumerable<string> targetFrameworks, Func<string, BuildAttestationOptions?> options,
        string outputDirectory, ICollection<Diagnostic> warnings)
    {
        var files = new List<PackageSbomFile>();
        foreach (string framework in targetFrameworks.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var frameworkOptions = options(framework);
            if (frameworkOptions is null) return [];
            foreach (var document in BuildAttestations.Create(frameworkOptions with { WriteProvenance = false }, files: null, warnings))
            {
                string format = FormatOf(document);
                string path = Path.Combine(outputDirectory, $"sbom.{framework}.{format}.json");
                AtomicFile.WriteIfChanged(path, Serialize(document.Predicate));
                files.Add(new PackageSbomFile(path, PackageAttestor.SbomPackagePath(framework, format), framework, format, document.PredicateType, $"sbom.{framework}.{format}"));
            }
        }
        return files;
    }
}
