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

    protected void LogError(Diagnostic diagnostic)
    {
        if (FileLocation(diagnostic) is { } at) Log.LogError(null, diagnostic.Code, null, at.File, at.Line, at.Column, 0, 0, at.Message);
        else Log.LogErrorWithCodeFromResources(diagnostic.ResourceName, diagnostic.Arguments);
    }

    protected void LogWarning(Diagnostic diagnostic)
    {
        if (FileLocation(diagnostic) is { } at) Log.LogWarning(null, diagnostic.Code, null, at.File, at.Line, at.Column, 0, 0, at.Message);
        else Log.LogWarningWithCodeFromResources(diagnostic.ResourceName, diagnostic.Arguments);
    }

    /// <summary>
    /// A message about a place in a file ("path(line,col): text", as policy errors are) is logged at that place, so IDEs and
    /// CI annotations point at the line in the user's file rather than at BuildSigning.targets.
    /// </summary>
    private static (string File, int Line, int Column, string Message)? FileLocation(Diagnostic diagnostic)
    {
        var match = System.Text.RegularExpressions.Regex.Match(diagnostic.Text, @"^(?<file>[^\r\n]+?)\((?<line>\d+),(?<column>\d+)\): (?<message>.+)$",
            System.Text.RegularExpressions.RegexOptions.Singleline);
        return match.Success && Path.IsPathRooted(match.Groups["file"].Value)
            ? (match.Groups["file"].Value, int.Parse(match.Groups["line"].Value), int.Parse(match.Groups["column"].Value), match.Groups["message"].Value)
            : null;
    }

    protected static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
