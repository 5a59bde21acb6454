using System.CommandLine;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Packages;
using BuildSigning.Core.Trust;

namespace BuildSigning.Cli;

internal static class VerifyCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var pathArgument = new Argument<string>("path") { Description = "A signed build or publish output directory, or a .nupkg/.snupkg file." };
        var keyOption = new Option<string[]>("--key", "-k")
        {
            Description = "A trusted signer's public key (PEM public key or certificate). Repeat for several.",
            AllowMultipleArgumentsPerToken = false,
        };
        var developmentKeyOption = new Option<bool>("--development-key")
        {
            Description = "Also trust this machine's per-user development key (for local checks only).",
        };
        var fingerprintOption = new Option<string?>("--certificate-fingerprint")
        {
            Description = "For a package: the SHA-256 fingerprint (hex) its NuGet author signature must have.",
        };
        var command = new Command("verify", "Verify a signed output directory file by file, or a package's NuGet signature, SBOMs and bundles (deployment gate).")
        {
            pathArgument, keyOption, developmentKeyOption, fingerprintOption,
        };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string path = parse.GetValue(pathArgument)!;
            if (!File.Exists(path) && !Directory.Exists(path)) throw Errors.Create("PathNotFound", null, Path.GetFullPath(path));
            if (IsPackage(path))
            {
                NuGetTrustedRoots.Require();
                var packageKeys = LoadKeys(parse.GetValue(keyOption) ?? [], parse.GetValue(developmentKeyOption), required: false);
                return Print(PackageVerifier.Verify(path, packageKeys, parse.GetValue(fingerprintOption)), output);
            }
            if (File.Exists(path)) throw Errors.NotAVerifiablePath(path);
            if (!string.IsNullOrEmpty(parse.GetValue(fingerprintOption))) throw Errors.FingerprintOnlyForPackages(path);
            var keys = LoadKeys(parse.GetValue(keyOption) ?? [], parse.GetValue(developmentKeyOption));
            var report = OutputVerifier.Verify(path, keys);
            return Print(report, output, error);
        }));
        return command;
    }

    private static bool IsPackage(string path) =>
        File.Exists(path) && (path.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase));

    private static int Print(PackageVerificationReport report, TextWriter output)
    {
        output.WriteLine($"Verified {report.PackagePath} ({report.PackageIdentity})");
        if (report.SignerFingerprint is null)
        {
            output.WriteLine("  NuGet author signature: none (the package is signed by key only)");
        }
        else
        {
            output.WriteLine($"  NuGet author signature: {report.SignerSubject}, certificate SHA-256 {report.SignerFingerprint}"
                + (report.RootTrustedBySdk ? " (chains to a trusted root)" : " (self-signed or private root; accepted because it is pinned)"));
            output.WriteLine(report.Timestamp is { } time ? $"  timestamp: {time:u} (RFC 3161, verified)" : "  timestamp: none");
        }
        if (report.ContentsSigner is { } contentsSigner)
        {
            output.WriteLine($"  {PackageContentsSigner.EntryName} (inside the package): every entry signed by key {contentsSigner.Id.Hex} (verified)");
        }
        output.WriteLine(report.SbomEntries.Count == 0 ? "  embedded SBOMs: none" : $"  embedded SBOMs: {string.Join(", ", report.SbomEntries)} (describe this package)");
        if (report.BundleSigner is null)
        {
            output.WriteLine(report.ContentsSigner is null ? "  Sigstore bundles: not checked (pass --key to check them)" : "  Sigstore bundles beside the package: none");
            return ExitCodes.Success;
        }
        output.WriteLine($"  {Path.GetFileName(report.PackagePath)}.sigstore.json: message signature by key {report.BundleSigner.Id.Hex} (verified)");
        foreach (var attestation in report.Attestations)
        {
            output.WriteLine($"  {Path.GetFileName(attestation.BundlePath)}: {PredicateSummary.Describe(attestation.Statement)} (signature verified{Timestamps(attestation)})");
        }
        return ExitCodes.Success;
    }

    private static string Timestamps(VerifiedStatement statement) =>
        string.Concat(statement.Timestamps.Select(t => $"; RFC 3161 timestamp {t.Time:u} by {t.TsaCertificate.Subject}"));

    internal static List<VerificationKey> LoadKeys(IEnumerable<string> keyFiles, bool trustDevelopmentKey, bool required = true)
    {
        var keys = keyFiles.Select(VerificationKey.FromFile).ToList();
        if (trustDevelopmentKey)
        {
            string developmentKey = DevelopmentKey.PublicKeyPath(DevelopmentKey.DefaultDirectory());
            if (!File.Exists(developmentKey)) throw Errors.DevelopmentKeyMissing(developmentKey);
            keys.Add(VerificationKey.FromFile(developmentKey));
        }
        if (keys.Count == 0 && required) throw Errors.NoVerificationKey();
        return keys;
    }

    private static int Print(OutputVerificationReport report, TextWriter output, TextWriter error)
    {
        PrintReport(report, output, error, indent: "", location: "");
        return report.Succeeded ? ExitCodes.Success : ExitCodes.VerificationFailed;
    }

    /// <summary>One report, then each subfolder signed on its own, indented under it.</summary>
    private static void PrintReport(OutputVerificationReport report, TextWriter output, TextWriter error, string indent, string location)
    {
        var predicate = report.Predicate;
        string what = string.Join(", ", new[] { "kind", "project", "targetFramework", "runtimeIdentifier" }
            .Select(p => predicate[p]?.ToString()).Where(v => !string.IsNullOrEmpty(v)));
        string signers = string.Join(", ", report.FileStatements.Select(s => s.SignedBy.Id.Hex).Distinct());
        if (report.Problems.Count == 0)
        {
            output.WriteLine($"{indent}Verified {report.FilesChecked} files in {report.Directory} ({what}); {report.FileStatements.Count} signed statement(s) by key {signers}.");
            foreach (var timestamp in report.FileStatements.SelectMany(s => s.Timestamps).DistinctBy(t => (t.Time, t.TsaCertificate.Thumbprint)))
            {
                output.WriteLine($"{indent}  file statements: RFC 3161 timestamp {timestamp.Time:u} by {timestamp.TsaCertificate.Subject}");
            }
            foreach (var attestation in report.Attestations)
            {
                output.WriteLine($"{indent}  {Path.GetFileName(attestation.BundlePath)}: {PredicateSummary.Describe(attestation.Statement)} (signature verified{Timestamps(attestation)})");
            }
        }
        else
        {
            foreach (var problem in report.Problems)
            {
                error.WriteLine($"error {problem.Diagnostic.Formatted}{location}");
            }
            int Count(FileProblemKind k) => report.Problems.Count(p => p.Kind == k);
            int other = report.Problems.Count - Count(FileProblemKind.Modified) - Count(FileProblemKind.Missing) - Count(FileProblemKind.Unexpected);
            output.WriteLine($"{indent}FAILED: {report.Directory} ({what}): {Count(FileProblemKind.Modified)} modified, {Count(FileProblemKind.Missing)} missing, "
                + $"{Count(FileProblemKind.Unexpected)} unexpected of {report.FilesChecked} files"
                + (other > 0 ? $", {other} other problem(s)" : "") + $"; file statements by key {signers} are valid.");
        }
        foreach (var nested in report.SignedDirectories)
        {
            string name = Path.GetRelativePath(report.Directory, nested.Directory).Replace('\\', '/') + "/";
            output.WriteLine($"{indent}  signed on its own: {name}");
            PrintReport(nested, output, error, indent + "    ", $" (in {nested.Directory})");
        }
    }
}
