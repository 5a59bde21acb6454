using System.CommandLine;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Gate;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Transparency;
using BuildSigning.Core.Trust;

namespace BuildSigning.Cli;

/// <summary>`buildsign approve`: one more signature over every statement of a signed folder or package (k-of-n approvals).</summary>
internal static class ApproveCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var pathArgument = new Argument<string>("path") { Description = "A signed build or publish output folder, or a signed .nupkg/.snupkg." };
        var keyOption = new Option<string>("--key", "-k") { Description = "The approver's private key: a PKCS#8 PEM or PFX file, or an RFC 7512 pkcs11: URI (PIN from --password-variable).", Required = true };
        var passwordVariableOption = new Option<string?>("--password-variable") { Description = "Environment variable holding the private key's password." };
        var certificateOption = new Option<string?>("--certificate") { Description = "A certificate for the key, carried in each approval bundle instead of the key hint." };
        var policyOption = new Option<string?>("--policy") { Description = "Check the existing signatures with the keys of this gate policy." };
        var signerKeyOption = new Option<string[]>("--signer-key") { Description = "Check the existing signatures with this public key (repeat for several).", AllowMultipleArgumentsPerToken = false };
        var developmentKeyOption = new Option<bool>("--development-key") { Description = "Check the existing signatures with this machine's development key." };
        var timestampOption = new Option<string?>("--timestamp-url") { Description = "RFC 3161 timestamp authority to timestamp each approval." };
        var logUrlOption = new Option<string?>("--transparency-log-url") { Description = "Submit each approval to this Rekor-compatible transparency log (its entry goes into the approval bundle)." };
        var logKeyOption = new Option<string?>("--transparency-log-key") { Description = "The transparency log's public key (PEM): its signed entry timestamp and checkpoint are checked at once." };
        var auditLogOption = new Option<string?>("--audit-log") { Description = "Append each approval to this hash-chained audit log (as BuildSigningAuditLog does for builds)." };
        var command = new Command("approve", "Add an approval: one more signature (a separate Sigstore bundle) over each statement of a signed folder or package, after verifying the existing ones.")
        {
            pathArgument, keyOption, passwordVariableOption, certificateOption, policyOption, signerKeyOption, developmentKeyOption, timestampOption,
            logUrlOption, logKeyOption, auditLogOption,
        };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string path = parse.GetValue(pathArgument)!;
            if (!ApprovalLayout.IsPackage(path) && !Directory.Exists(path)) throw Errors.GateInputNotFound(Path.GetFullPath(path));
            var trusted = VerifyCommand.LoadKeys(parse.GetValue(signerKeyOption) ?? [], parse.GetValue(developmentKeyOption), required: false);
            if (parse.GetValue(policyOption) is { Length: > 0 } policyPath) trusted.AddRange(GatePolicyReader.ReadFile(policyPath).VerificationKeys);
            if (trusted.Count == 0) throw Errors.ApprovalTrustMissing();
            if (ApprovalLayout.IsPackage(path)) NuGetTrustedRoots.Require();
            string keyText = parse.GetValue(keyOption)!;
            using var key = BuildSigning.Core.Keys.Pkcs11.Pkcs11Uri.IsPkcs11(keyText)
                ? BuildSigning.Core.Keys.Pkcs11.Pkcs11KeyLoader.LoadSigningKey(keyText, parse.GetValue(passwordVariableOption), parse.GetValue(certificateOption), null)
                : SigningKeyLoader.Load(new SigningKeyOptions(keyText, parse.GetValue(passwordVariableOption), parse.GetValue(certificateOption)));
            Uri? timestamp = parse.GetValue(timestampOption) is { Length: > 0 } url ? Rfc3161Client.ParseUrl(url) : null;
            var recorder = new SigningRecorder
            {
                TransparencyLogUrl = parse.GetValue(logUrlOption) is { Length: > 0 } logUrl ? RekorClient.ParseUrl(logUrl) : null,
                TransparencyLogKey = parse.GetValue(logKeyOption) is { Length: > 0 } logKey ? VerificationKey.FromFile(logKey) : null,
                AuditLogPath = parse.GetValue(auditLogOption) is { Length: > 0 } auditLog ? Path.GetFullPath(auditLog) : null,
                Context = new SigningContext("approve"),
            };
            var result = Approver.Approve(path, key, trusted, timestamp, recorder.IsActive ? recorder : null);
            foreach (string written in result.Written) output.WriteLine($"approved: {written}");
            foreach (string skipped in result.Skipped) output.WriteLine($"unchanged: {skipped}");
            output.WriteLine(result.Written.Count == 0
                ? $"Nothing added: key {result.Key.Hex} already signed or approved {result.Target}."
                : $"Approved {result.Target} with key {result.Key.Hex}: {result.Written.Count} bundle(s) added.");
            return ExitCodes.Success;
        }));
        return command;
    }
}
