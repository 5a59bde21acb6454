using System.CommandLine;
using BuildSigning.Core.Transparency;

namespace BuildSigning.Cli;

/// <summary>buildsign audit verify|list: the hash-chained audit log of signing events (BuildSigningAuditLog).</summary>
internal static class AuditCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("audit", "Check and read an audit log of signing events (BuildSigningAuditLog).");

        var verifyLog = new Argument<string>("log") { Description = "The audit log (JSON Lines)." };
        var verifyKeys = new Option<string[]>("--key", "-k")
        {
            Description = "Signers' public keys (PEM): every line must then carry a valid signature by the key it names (this also catches an edited last line).",
            AllowMultipleArgumentsPerToken = false,
        };
        var verifyLogKeys = new Option<string[]>("--transparency-log-key")
        {
            Description = "A trusted transparency log's public key (PEM): each logged index is then checked against the verified entry in the bundle the line names.",
            AllowMultipleArgumentsPerToken = false,
        };
        var verify = new Command("verify", "Check the hash chain of an audit log; names the first line that was deleted, edited or reordered.") { verifyLog, verifyKeys, verifyLogKeys };
        verify.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string path = parse.GetValue(verifyLog)!;
            var keys = VerifyCommand.LoadKeys(parse.GetValue(verifyKeys) ?? [], trustDevelopmentKey: false, required: false);
            var logKeys = TransparencyLogVerifier.LoadKeys(parse.GetValue(verifyLogKeys) ?? []);
            var records = AuditLog.Verify(path, keys);
            output.WriteLine($"Verified {path}: {records.Count} signing event(s), hash chain intact{(keys.Count > 0 ? ", every line signed by its key" : "")}.");
            if (logKeys.Count > 0)
            {
                var (checkedCount, skipped) = AuditLogTransparency.Verify(path, records, logKeys);
                output.WriteLine($"  transparency log: {checkedCount} logged index(es) proven by the entries in their bundles"
                    + (skipped > 0 ? $"; {skipped} not checked (their bundle is gone or was signed again since)" : "") + ".");
            }
            return ExitCodes.Success;
        }));

        var listLog = new Argument<string>("log") { Description = "The audit log (JSON Lines)." };
        var listKey = new Option<string?>("--key") { Description = "Only events of this key id (hex SHA-256 of the public key, or a prefix of it)." };
        var list = new Command("list", "List the signing events of an audit log (after checking its chain): what each key signed, and when.") { listLog, listKey };
        list.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string path = parse.GetValue(listLog)!;
            string? key = parse.GetValue(listKey)?.ToLowerInvariant();
            foreach (var record in AuditLog.Verify(path))
            {
                if (key is not null && record.Text("keyId")?.StartsWith(key, StringComparison.Ordinal) != true) continue;
                string tlog = record.Json["tlogIndex"] is { } index ? $" tlog #{index.ToJsonString()}" : "";
                output.WriteLine($"{record.Line,5} {record.Text("time")} {record.Text("event"),-12} key {record.Text("keyId")?[..16]} {record.Text("statementDigest")} "
                    + $"{record.Json["subjectCount"]?.ToJsonString()} subject(s) {record.Text("project")} {record.Text("configuration")}{tlog} {record.Text("bundle")}");
            }
            return ExitCodes.Success;
        }));

        command.Subcommands.Add(verify);
        command.Subcommands.Add(list);
        return command;
    }
}
