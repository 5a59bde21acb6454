namespace BuildSigning.Core.Trust;

/// <summary>
/// A package id, or a prefix ending in '*' ("Contoso.*" matches Contoso.Core and Contoso.Web; "*" matches every id).
/// Compared case-insensitively, like NuGet ids.
/// </summary>
public sealed class PackageIdPattern : IEquatable<PackageIdPattern>
{
    private readonly string _prefix;

    private PackageIdPattern(string text)
    {
        Text = text;
        IsPrefix = text.EndsWith('*');
        _prefix = IsPrefix ? text[..^1] : text;
    }

    public string Text { get; }
    public bool IsPrefix { get; }

    /// <summary>Higher is more specific: an exact id beats any prefix; a longer prefix beats a shorter one.</summary>
    public int Specificity => IsPrefix ? _prefix.Length : int.MaxValue;

    public bool Matches(string packageId) => IsPrefix
        ? packageId.StartsWith(_prefix, StringComparison.OrdinalIgnoreCase)
        : string.Equals(packageId, _prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>NuGet ids are letters, digits, '.', '_' and '-'; a pattern may add one '*' at the very end.</summary>
    public static bool TryParse(string? text, out PackageIdPattern? pattern, out string reason)
    {
        pattern = null;
        reason = "";
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            reason = "it is empty.";
            return false;
        }
        int star = text.IndexOf('*');
        if (star >= 0 && star != text.Length - 1)
        {
            reason = "'*' may only stand at the end.";
            return false;
        }
        string body = star >= 0 ? text[..^1] : text;
        foreach (char c in body)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                reason = $"'{c}' cannot appear in a package id.";
                return false;
            }
        }
        if (body.Length > 100)
        {
            reason = "package ids have at most 100 characters.";
            return false;
        }
        pattern = new PackageIdPattern(text);
        return true;
    }

    public static PackageIdPattern Parse(string text) =>
        TryParse(text, out var pattern, out string reason) ? pattern! : throw new FormatException($"'{text}' is not a package id pattern: {reason}");

    public bool Equals(PackageIdPattern? other) => other is not null && string.Equals(Text, other.Text, StringComparison.OrdinalIgnoreCase);
    public override bool Equals(object? obj) => Equals(obj as PackageIdPattern);
    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Text);
    public override string ToString() => Text;
}
