using System.Globalization;
using System.Resources;

namespace BuildSigning.Core.Diagnostics;

/// <summary>The coded messages ("BSnnnn: text") shared by the MSBuild tasks and the CLI.</summary>
public static class Messages
{
    public static ResourceManager ResourceManager { get; } =
        new("BuildSigning.Core.Messages", typeof(Messages).Assembly);

    public static string Format(string resourceName, params object?[] arguments)
    {
        string template = ResourceManager.GetString(resourceName, CultureInfo.CurrentUICulture)
            ?? throw new ArgumentException($"No message named '{resourceName}'.", nameof(resourceName));
        return string.Format(CultureInfo.CurrentCulture, template, arguments);
    }

    /// <summary>Splits "BS1001: text" into its code and text.</summary>
    public static (string Code, string Text) Split(string formatted)
    {
        int colon = formatted.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && formatted.StartsWith("BS", StringComparison.Ordinal)
            ? (formatted[..colon], formatted[(colon + 2)..])
            : (string.Empty, formatted);
    }
}

/// <summary>A place in a user's file (1-based line and column), such as the trust policy entry an error is about.</summary>
public sealed record SourceLocation(string File, long Line, long Column)
{
    /// <summary>The "file(line,column): " prefix the located messages start with.</summary>
    public string Prefix => $"{File}({Line},{Column}): ";
}

/// <summary>One coded warning or error, kept as resource name and arguments so a host can log it its own way.</summary>
public sealed record Diagnostic(string ResourceName, object?[] Arguments)
{
    /// <summary>Where docs/errors.md (in the BuildSigning repository) explains each code: an anchor per code.</summary>
    public const string HelpLinkBase = "docs/errors.md#";

    public string Formatted => Messages.Format(ResourceName, Arguments);
    public string Code => Messages.Split(Formatted).Code;
    public string Text => Messages.Split(Formatted).Text;
    /// <summary>The file and position the problem is at, when it is in a user's file (logged there, not at BuildSigning.targets).</summary>
    public SourceLocation? Location { get; init; }
    public string HelpLink => HelpLinkBase + Code.ToLowerInvariant();
    /// <summary>The text without the location prefix that located messages start with.</summary>
    public string TextWithoutLocation => Location is { } at && Text.StartsWith(at.Prefix, StringComparison.Ordinal) ? Text[at.Prefix.Length..] : Text;
    public override string ToString() => Formatted;
}

/// <summary>An expected failure with a BSnnnn code that tells the user what to do.</summary>
public sealed class BuildSigningException : Exception
{
    public BuildSigningException(Diagnostic diagnostic, Exception? inner = null)
        : base(diagnostic.Formatted, inner) => Diagnostic = diagnostic;

    public Diagnostic Diagnostic { get; }
    public string Code => Diagnostic.Code;
}
