using BuildSigning.Core.Diagnostics;
using Microsoft.Build.Framework;

namespace BuildSigning.Tasks;

/// <summary>
/// With MSBUILDLOGALLENVIRONMENTVARIABLES set, MSBuild writes every environment variable into binary logs, the one that
/// holds the key's password included: BuildSigning cannot keep it out, so it says so (BS1020), once per build (per node).
/// </summary>
internal static class BinlogPasswordWarning
{
    public const string LogAllEnvironmentVariables = "MSBUILDLOGALLENVIRONMENTVARIABLES";

    /// <summary>The warning to log, or null when there is none or it was already logged in this build.</summary>
    public static Diagnostic? Check(IBuildEngine engine, string? passwordVariable)
    {
        if (string.IsNullOrWhiteSpace(passwordVariable) || string.IsNullOrEmpty(Environment.GetEnvironmentVariable(LogAllEnvironmentVariables))) return null;
        if (engine is IBuildEngine4 engine4)
        {
            string key = "BuildSigning.BinlogPasswordWarning\n" + passwordVariable;
            if (engine4.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is not null) return null;
            engine4.RegisterTaskObject(key, passwordVariable, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        }
        return Warnings.PasswordVariableInBinlog(passwordVariable);
    }
}
