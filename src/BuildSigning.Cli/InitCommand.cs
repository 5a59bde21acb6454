using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Setup;
using BuildSigning.Core.Trust;

namespace BuildSigning.Cli;

/// <summary>
/// `buildsign init`: restore-time verification for a whole repository in one command (docs/restore.md). Writes the SDK line
/// into Directory.Build.props and into Directory.Solution.targets beside each solution, and a starter buildsigning.trust.json
/// pinned from the packages restored right now. Never overwrites without --force; a second run changes nothing.
/// </summary>
internal static class InitCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var rootOption = new Option<string>("--root")
        {
            Description = "The repository root (default: the current folder).",
            DefaultValueFactory = _ => ".",
        };
        var versionOption = new Option<string?>("--version")
        {
            Description = "The BuildSigning version the SDK line names (default: this tool's version).",
        };
        var forceOption = new Option<bool>("--force")
        {
            Description = "Replace an existing buildsigning.trust.json and update an SDK line that names another version.",
        };
        var noRestoreOption = new Option<bool>("--no-restore")
        {
            Description = "Do not run `dotnet restore` when no project has been restored yet (the policy then pins nothing).",
        };
        var command = new Command("init", "Set up restore-time dependency verification for a repository: the SDK line in Directory.Build.props and Directory.Solution.targets, and a trust policy pinned from the restored packages.")
        {
            rootOption, versionOption, forceOption, noRestoreOption,
        };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string root = Path.GetFullPath(parse.GetValue(rootOption)!);
            string version = parse.GetValue(versionOption) is { Length: > 0 } v ? v : ToolVersion();
            bool force = parse.GetValue(forceOption);
            return Run(root, version, force, parse.GetValue(noRestoreOption), output);
        }));
        return command;
    }

    internal static int Run(string root, string version, bool force, bool noRestore, TextWriter output)
    {
        var solutions = FindSolutions(root);
        string policyPath = Path.Combine(root, TrustPolicy.DefaultFileName);
        bool writePolicy = force || !File.Exists(policyPath);

        // 1. The policy first, from what is restored before BuildSigning is in the build (so this restore is not verified yet).
        if (writePolicy)
        {
            var assets = TrustOnFirstUse.FindAssetsFiles(root);
            if (assets.Count == 0 && !noRestore)
            {
                foreach (string target in solutions.Count > 0 ? solutions : [root])
                {
                    output.WriteLine($"restoring {Relative(root, target)} (no project here was restored yet) ...");
                    Restore(root, target);
                }
                assets = TrustOnFirstUse.FindAssetsFiles(root);
            }
            var packages = TrustOnFirstUse.RestoredPackages(assets);
            var seen = TrustOnFirstUse.Inspect(packages);
            bool existed = File.Exists(policyPath);
            AtomicFile.WriteAllBytes(policyPath, Encoding.UTF8.GetBytes(TrustOnFirstUse.WritePolicy(seen, DateTimeOffset.UtcNow)));
            output.WriteLine($"{(existed ? "replaced" : "created")} {TrustPolicy.DefaultFileName}: pinned from {packages.Count} restored packages of {assets.Count} project(s)");
            output.WriteLine($"  {seen.CoveredByNuGetOrg.Count} repository-signed by nuget.org (trusted by the built-in signer)");
            foreach (var signer in seen.Signers)
            {
                output.WriteLine($"  {(signer.Kind == SignerKind.Author ? "author" : "repository")} signer '{signer.SuggestedName}' ({signer.Subject}, SHA256 {signer.Fingerprint}"
                    + (signer.UntrustedRoot ? ", untrusted root: pinned by fingerprint" : "") + $"): {signer.Packages.Count} package(s)");
            }
            foreach (var package in seen.Unsigned)
            {
                output.WriteLine($"  unsigned: {package.Id} {package.Version}, allowed until {TrustOnFirstUse.ExpiryDate(DateTimeOffset.UtcNow)} (fill in the reason)");
            }
            foreach (var (package, problem) in seen.Unreadable)
            {
                output.WriteLine($"  not pinned: {package.Id} {package.Version} cannot be read ({problem})");
            }
        }
        else
        {
            output.WriteLine($"kept {TrustPolicy.DefaultFileName} (it exists; --force replaces it)");
        }

        // 2. The SDK line: Directory.Build.props at the root, Directory.Solution.targets beside each solution.
        Report(output, root, Path.Combine(root, "Directory.Build.props"), SdkImport.Ensure(Path.Combine(root, "Directory.Build.props"), version, force), version);
        foreach (string directory in solutions.Select(s => Path.GetDirectoryName(s)!).Distinct(StringComparer.Ordinal))
        {
            string targets = Path.Combine(directory, "Directory.Solution.targets");
            Report(output, root, targets, SdkImport.Ensure(targets, version, force), version);
        }
        if (solutions.Count == 0) output.WriteLine("no solution (.sln, .slnx) found: no Directory.Solution.targets written");
        output.WriteLine("`dotnet restore` now verifies every package against the trust policy (docs/restore.md).");
        return ExitCodes.Success;
    }

    private static void Report(TextWriter output, string root, string path, SdkImportChange change, string version)
    {
        string name = Relative(root, path);
        output.WriteLine(change switch
        {
            SdkImportChange.Created => $"created {name} with {SdkImport.Line(version)}",
            SdkImportChange.Added => $"added {SdkImport.Line(version)} to {name}",
            SdkImportChange.VersionUpdated => $"updated the BuildSigning SDK line of {name} to version {version}",
            SdkImportChange.AlreadyPresent => $"{name} already has {SdkImport.Line(version)}; unchanged",
            _ => $"{name} names another BuildSigning version; unchanged (--force sets it to {version})",
        });
    }

    private static string Relative(string root, string path)
    {
        string relative = Path.GetRelativePath(root, path);
        return relative == "." ? "the repository root" : relative.Replace('\\', '/');
    }

    /// <summary>Every .sln and .slnx under the root, skipping build output, .git and node_modules.</summary>
    internal static IReadOnlyList<string> FindSolutions(string root)
    {
        var found = new List<string>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            string directory = pending.Pop();
            try
            {
                found.AddRange(Directory.EnumerateFiles(directory).Where(f => f.EndsWith(".sln", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".slnx", StringComparison.OrdinalIgnoreCase)));
                foreach (string child in Directory.EnumerateDirectories(directory))
                {
                    if (Path.GetFileName(child) is ".git" or "node_modules" or "bin" or "obj" or ".vs" or "artifacts") continue;
                    if (new FileInfo(child).LinkTarget is not null) continue;
                    pending.Push(child);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing to set up in a folder we cannot read.
            }
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private static void Restore(string root, string target)
    {
        // BuildSigningVerifyDependencies=false: a repository where BuildSigning is already in the build restores without verifying.
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false };
        foreach (string argument in new[] { "restore", target, "-nologo", "-v:q", "-p:BuildSigningVerifyDependencies=false" }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw TrustEditErrors.InitRestoreFailed(target, -1);
        process.WaitForExit();
        if (process.ExitCode != 0) throw TrustEditErrors.InitRestoreFailed(target, process.ExitCode);
    }

    internal static string ToolVersion()
    {
        string version = typeof(InitCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.1.0";
        int plus = version.IndexOf('+');
        return plus < 0 ? version : version[..plus];
    }
}
