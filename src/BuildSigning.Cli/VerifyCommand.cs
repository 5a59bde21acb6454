using System.CommandLine;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;

namespace BuildSigning.Cli;

internal static class VerifyCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var pathArgument = new Argument<string>("path") { Description = "A signed build or publish output directory." };
        var keyOption = new Option<string[]>("--key", "-k")
        {
            Description = "A trusted signer's public key (PEM public key or certificate). Repeat for several.",
            AllowMultipleArgumentsPerToken = false,
        };
        var developmentKeyOption = new Option<bool>("--development-key")
        {
            Description = "Also trust this machine's per-user development key (for local checks only).",
        };
        var command = new Command("verify", "Verify every file of a signed output directory against its signatures (deployment gate).")
        {
            pathArgument, keyOption, developmentKeyOption,
        };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            var keys = LoadKeys(parse.GetValue(keyOption) ?? [], parse.GetValue(developmentKeyOption));
            var report = OutputVerifier.Verify(parse.GetValue(pathArgument)!, keys);
            return Print(report, output, error);
        }));
        return command;
    }

    internal static List<VerificationKey> LoadKeys(IEnumerable<string> keyFiles, bool trustDevelopmentKey)
    {
        var keys = keyFiles.Select(VerificationKey.FromFile).ToList();
        if (trustDevelopmentKey)
        {
            keys.Add(VerificationKey.FromFile(DevelopmentKey.PublicKeyPath(DevelopmentKey.DefaultDirectory())));
        }
        if (keys.Count == 0) throw Errors.NoVerificationKey();
        return keys;
    }

    private static int Print(OutputVerificationReport report, TextWriter output, TextWriter error)
    {
        var predicate = report.Predicate;
        string what = string.Join(", ", new[] { "kind", "project", "targetFramework", "runtimeIdentifier" }
            .Select(p => predicate[p]?.ToString()).Where(v => !string.IsNullOrEmpty(v)));
        string signers = string.Join(", ", report.FileStatements.Select(s => s.SignedBy.Id.Hex).Distinct());
        if (report.Succeeded)
        {
            output.WriteLine($"Verified {report.FilesChecked} files in {report.Directory} ({what}); {report.FileStatements.Count} signed statement(s) by key {signers}.");
            foreach (var attestation in report.Attestations)
            {
                output.WriteLine($"  {Path.GetFileName(attestation.BundlePath)}: {PredicateSummary.Describe(attestation.Statement)} (signature verified)");
            }
            return ExitCodes.Success;
        }
        foreach (var problem in report.Problems)
        {
            error.WriteLine($"error {problem.ToDiagnostic().Formatted}");
        }
        int Count(FileProblemKind k) => report.Problems.Count(p => p.Kind == k);
        output.WriteLine($"FAILED: {report.Directory} ({what}): {Count(FileProblemKind.Modified)} modified, {Count(FileProblemKind.Missing)} missing, {Count(FileProblemKind.Unexpected)} unexpected of {report.FilesChecked} files; signatures by key {signers} are valid.");
        return ExitCodes.VerificationFailed;
    }
}
