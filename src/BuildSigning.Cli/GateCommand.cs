using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Gate;
using BuildSigning.Core.Trust;

namespace BuildSigning.Cli;

/// <summary>`buildsign verify &lt;path&gt; --policy &lt;file&gt;`: the deployment gate. Exit 0 pass, 1 fail, 2 usage or unreadable input.</summary>
internal static class GateCommand
{
    public static int Run(string path, string policyPath, bool json, bool keysGiven, TextWriter output, TextWriter error, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (keysGiven) throw Errors.GateKeysInPolicy();
        string full = Path.GetFullPath(path);
        if (!ApprovalLayout.IsPackage(full) && !Directory.Exists(full)) throw Errors.GateInputNotFound(full);
        var policy = GatePolicyReader.ReadFile(policyPath);
        if (ApprovalLayout.IsPackage(full)) NuGetTrustedRoots.Require();
        var result = GateEvaluator.Evaluate(full, policy);
        if (json) GateOutput.WriteJson(result, output);
        else GateOutput.WriteText(result, output);
        GateOutput.WriteGitHubActions(result, json ? error : output, environment);
        return result.Passed ? ExitCodes.Success : ExitCodes.VerificationFailed;
    }
}
