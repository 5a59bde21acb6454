using BuildSigning.Core.Diagnostics;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSigning.Tasks;

/// <summary>Base for BuildSigning tasks: coded messages from Core's resources, and expected failures logged as BSnnnn errors.</summary>
public abstract class BuildSigningTask : Microsoft.Build.Utilities.Task
{
    protected BuildSigningTask() => TaskResources = Messages.ResourceManager;

    public sealed override bool Execute()
    {
        try
        {
            ExecuteCore();
        }
        catch (BuildSigningException e)
        {
            LogError(e.Diagnostic);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is BuildSigningException))
        {
            foreach (var inner in e.InnerExceptions) LogError(((BuildSigningException)inner).Diagnostic);
        }
        return !Log.HasLoggedErrors;
    }

    protected abstract void ExecuteCore();

    protected void LogError(Diagnostic diagnostic) =>
        Log.LogErrorWithCodeFromResources(diagnostic.ResourceName, diagnostic.Arguments);

    protected void LogWarning(Diagnostic diagnostic) =>
        Log.LogWarningWithCodeFromResources(diagnostic.ResourceName, diagnostic.Arguments);

    protected static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
