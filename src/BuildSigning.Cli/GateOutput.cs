using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Gate;

namespace BuildSigning.Cli;

/// <summary>The gate's results: one line per check (default), a stable JSON object (--format json), and GitHub Actions annotations and step summary.</summary>
internal static class GateOutput
{
    public const int JsonSchemaVersion = 1;

    public static void WriteText(GateResult result, TextWriter output)
    {
        foreach (var check in result.Checks) output.WriteLine($"{check.Status}  {check.Name}: {check.Reason}");
        foreach (var signer in result.Signers)
        {
            string names = signer.Names.Count > 0 ? string.Join("/", signer.Names) : "not in the policy";
            output.WriteLine($"signer {names} (key {signer.KeyId}): {(signer.Counted ? "counted" : "not counted")}; {signer.Detail}");
        }
        output.WriteLine(result.Passed
            ? $"Gate passed: {result.Target} satisfies {result.Policy}."
            : $"Gate FAILED: {result.Target} does not satisfy {result.Policy} ({string.Join(", ", result.Checks.Where(c => !c.Passed).Select(c => c.Name))}).");
    }

    public static JsonObject ToJson(GateResult result)
    {
        var checks = new JsonArray();
        foreach (var c in result.Checks) checks.Add(new JsonObject { ["name"] = c.Name, ["status"] = c.Status, ["reason"] = c.Reason });
        var signers = new JsonArray();
        foreach (var s in result.Signers)
        {
            signers.Add(new JsonObject
            {
                ["keyId"] = s.KeyId,
                ["names"] = new JsonArray(s.Names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
                ["counted"] = s.Counted,
                ["detail"] = s.Detail,
            });
        }
        var files = new JsonArray();
        foreach (var f in result.Files) files.Add(new JsonObject { ["name"] = f.Name, ["sha256"] = f.Sha256 });
        return new JsonObject
        {
            ["schemaVersion"] = JsonSchemaVersion,
            ["verdict"] = result.Verdict,
            ["target"] = result.Target,
            ["targetKind"] = result.TargetKind,
            ["policy"] = result.Policy,
            ["checks"] = checks,
            ["signers"] = signers,
            ["files"] = files,
        };
    }

    public static void WriteJson(GateResult result, TextWriter output) =>
        output.WriteLine(ToJson(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    /// <summary>When GITHUB_ACTIONS=true: an ::error annotation per failed check, and a Markdown table appended to $GITHUB_STEP_SUMMARY.</summary>
    public static void WriteGitHubActions(GateResult result, TextWriter output, Func<string, string?> environment)
    {
        if (!string.Equals(environment("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase)) return;
        foreach (var check in result.Checks.Where(c => !c.Passed))
        {
            output.WriteLine($"::error title={EscapeProperty("buildsign gate: " + check.Name)}::{EscapeData(check.Reason)}");
        }
        if (environment("GITHUB_STEP_SUMMARY") is not { Length: > 0 } summaryPath) return;
        var markdown = new StringBuilder();
        markdown.Append("### Deployment gate: ").Append(result.Passed ? "passed" : "**failed**").Append('\n').Append('\n');
        markdown.Append("`").Append(result.Target).Append("` against `").Append(result.Policy).Append("`\n\n");
        markdown.Append("| Check | Status | Reason |\n|---|---|---|\n");
        foreach (var check in result.Checks)
        {
            markdown.Append("| ").Append(Cell(check.Name)).Append(" | ").Append(check.Passed ? "pass" : "**fail**").Append(" | ").Append(Cell(check.Reason)).Append(" |\n");
        }
        if (result.Signers.Count > 0)
        {
            markdown.Append("\n| Signer | Key id | Counted | Detail |\n|---|---|---|---|\n");
            foreach (var signer in result.Signers)
            {
                markdown.Append("| ").Append(Cell(signer.Names.Count > 0 ? string.Join("/", signer.Names) : "(not in the policy)")).Append(" | `")
                    .Append(signer.KeyId).Append("` | ").Append(signer.Counted ? "yes" : "no").Append(" | ").Append(Cell(signer.Detail)).Append(" |\n");
            }
        }
        markdown.Append('\n');
        File.AppendAllText(summaryPath, markdown.ToString());
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");

    private static string EscapeData(string text) => text.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

    private static string EscapeProperty(string text) => EscapeData(text).Replace(":", "%3A").Replace(",", "%2C");
}
