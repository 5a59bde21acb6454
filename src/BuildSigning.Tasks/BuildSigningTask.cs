using BuildSigning.Core.Diagnostics;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSigning.Tasks;

/// <summary>Base for BuildSigning tasks: coded messages from Core's resources, and expected failures logged as BSnnnn errors.</summary>
public abstract class BuildSigningTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancellation = new();

    protected BuildSigningTask() => TaskResources = Messages.ResourceManager;

    /// <summary>Ctrl+C in the build: the task stops at its next step (between packages, before signing), writing nothing more.</summary>
    public void Cancel() => _cancellation.Cancel();

    protected CancellationToken Cancellation => _cancellation.Token;

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
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            Log.LogMessage(MessageImportance.High, $"BuildSigning: {GetType().Name} canceled.");
            return false;
        }
        return !Log.HasLoggedErrors;
    }

    protected abstract void ExecuteCore();

    /// <summary>
    /// Logs a coded error with its help link, at the place in the user's file it is about when it has one (a trust policy
    /// entry, say), so IDEs and CI annotations point there rather than at a line of BuildSigning.targets.
    /// </summary>
    protected void LogError(Diagnostic diagnostic)
    {
        if (diagnostic.Location is { } at) Log.LogError(null, diagnostic.Code, null, diagnostic.HelpLink, at.File, (int)at.Line, (int)at.Column, 0, 0, "{0}", diagnostic.TextWithoutLocation);
        else Log.LogError(null, diagnostic.Code, null, diagnostic.HelpLink, null, 0, 0, 0, 0, "{0}", diagnostic.Text);
    }

    protected void LogWarning(Diagnostic diagnostic)
    {
        if (diagnostic.Location is { } at) Log.LogWarning(null, diagnostic.Code, null, diagnostic.HelpLink, at.File, (int)at.Line, (int)at.Column, 0, 0, "{0}", diagnostic.TextWithoutLocation);
        else Log.LogWarning(null, diagnostic.Code, null, diagnostic.HelpLink, null, 0, 0, 0, 0, "{0}", diagnostic.Text);
    }

    protected static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
