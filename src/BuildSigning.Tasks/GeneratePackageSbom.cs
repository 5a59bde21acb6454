using BuildSigning.Core.Diagnostics;
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
        var warnings = new List<Diagnostic>();
        var files = PackageSboms.WriteProvisional(TargetFrameworks.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            framework => AttestationOptions("pack", framework), OutputDirectory, warnings);
        foreach (var warning in warnings.DistinctBy(w => w.Formatted)) LogWarning(warning);
        SbomFiles = files.Select(f =>
        {
            var item = new TaskItem(f.File);
            item.SetMetadata("PackagePath", f.PackagePath);
            item.SetMetadata("TargetFramework", f.TargetFramework);
            item.SetMetadata("Format", f.Format);
            item.SetMetadata("PredicateType", f.PredicateType);
            item.SetMetadata("AttestationName", f.AttestationName);
            return (ITaskItem)item;
        }).ToArray();
    }
}
