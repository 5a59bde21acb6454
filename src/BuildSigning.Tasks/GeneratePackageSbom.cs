using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Packages;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSigning.Tasks;

/// <summary>
/// Before pack: writes the SBOMs of each target framework to obj/ so that pack puts them inside the package
/// (under buildsigning/), before any signature is applied. See BuildSigning.targets.
/// </summary>
public sealed class GeneratePackageSbom : AttestingTask
{
    [Required] public string TargetFrameworks { get; set; } = "";
    [Required] public string OutputDirectory { get; set; } = "";

    /// <summary>One item per SBOM file: PackagePath, TargetFramework, Format, PredicateType, AttestationName.</summary>
    [Output] public ITaskItem[] SbomFiles { get; private set; } = [];

    protected override void ExecuteCore()
    {
        var files = new List<ITaskItem>();
        var warnings = new List<Diagnostic>();
        foreach (string framework in TargetFrameworks.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var options = AttestationOptions("pack", framework);
            if (options is null) return;
            options = options with { WriteProvenance = false };
            foreach (var document in BuildAttestations.Create(options, files: null, warnings))
            {
                string format = document.Name == BuildAttestations.SpdxName ? "spdx" : "cdx";
                string path = Path.Combine(OutputDirectory, $"sbom.{framework}.{format}.json");
                AtomicFile.WriteIfChanged(path, Serialize(document.Predicate));
                var item = new TaskItem(path);
                item.SetMetadata("PackagePath", PackageAttestor.SbomPackagePath(framework, format));
                item.SetMetadata("TargetFramework", framework);
                item.SetMetadata("Format", format);
                item.SetMetadata("PredicateType", document.PredicateType);
                item.SetMetadata("AttestationName", $"sbom.{framework}.{format}");
                files.Add(item);
            }
        }
        foreach (var warning in warnings.DistinctBy(w => w.Formatted)) LogWarning(warning);
        SbomFiles = files.ToArray();
    }

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>An SBOM as it goes into the package (indented UTF-8 JSON).</summary>
    internal static byte[] Serialize(System.Text.Json.Nodes.JsonObject document) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document, Indented);
}
