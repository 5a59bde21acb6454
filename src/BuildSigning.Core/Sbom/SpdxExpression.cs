using System.Text.RegularExpressions;

namespace BuildSigning.Core.Sbom;

/// <summary>
/// A syntax check for SPDX license expressions as NuGet allows them (SPDX license ids, optional '+', AND, OR, WITH and
/// parentheses). It does not check that ids are on the SPDX license list.
/// </summary>
public static partial class SpdxExpression
{
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9.-]*\+?$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    private static readonly Lazy<Dictionary<string, string>> ListedIds = new(LoadListedIds);

    /// <summary>
    /// The identifier as the SPDX license list spells it when the expression is exactly one listed licence (no operator, no
    /// '+', no LicenseRef-); else null. CycloneDX's license.id accepts only listed identifiers.
    /// </summary>
    public static string? SingleListedId(string expression)
    {
        string trimmed = expression.Trim();
        return trimmed.Length > 0 && trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-')
            ? ListedIds.Value.GetValueOrDefault(trimmed)
            : null;
    }

    private static Dictionary<string, string> LoadListedIds()
    {
        using var stream = typeof(SpdxExpression).Assembly.GetManifestResourceStream("BuildSigning.Core.Sbom.SpdxLicenseIds.txt")
            ?? throw new InvalidOperationException("The SPDX license list resource is missing from BuildSigning.Core.");
        using var reader = new StreamReader(stream);
        var ids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#') ids.TryAdd(line, line);
        }
        return ids;
    }

    public static bool IsValid(string expression)
    {
        var tokens = Tokenize(expression);
        if (tokens is null || tokens.Count == 0) return false;
        int position = 0;
        return ParseOr(tokens, ref position) && position == tokens.Count;
    }

    private static List<string>? Tokenize(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == ' ') { i++; continue; }
            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            int start = i;
            while (i < text.Length && text[i] is not (' ' or '(' or ')')) i++;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    private static bool IsOperator(string token) => token is "AND" or "OR" or "WITH" or "and" or "or" or "with";

    private static bool ParseOr(List<string> tokens, ref int position)
    {
        if (!ParseAnd(tokens, ref position)) return false;
        while (position < tokens.Count && tokens[position] is "OR" or "or")
        {
            position++;
            if (!ParseAnd(tokens, ref position)) return false;
        }
        return true;
    }

    private static bool ParseAnd(List<string> tokens, ref int position)
    {
        if (!ParseWith(tokens, ref position)) return false;
        while (position < tokens.Count && tokens[position] is "AND" or "and")
        {
            position++;
            if (!ParseWith(tokens, ref position)) return false;
        }
        return true;
    }

    private static bool ParseWith(List<string> tokens, ref int position)
    {
        if (position >= tokens.Count) return false;
        if (tokens[position] == "(")
        {
            position++;
            if (!ParseOr(tokens, ref position) || position >= tokens.Count || tokens[position] != ")") return false;
            position++;
            return true;
        }
        if (!IsLicenseId(tokens[position])) return false;
        position++;
        if (position < tokens.Count && tokens[position] is "WITH" or "with")
        {
            position++;
            if (position >= tokens.Count || !IsLicenseId(tokens[position]) || tokens[position].EndsWith('+')) return false;
            position++;
        }
        return true;
    }

    // LicenseRef-/DocumentRef- would need definitions in the document; NuGet does not allow them, so neither do we.
    private static bool IsLicenseId(string token) =>
        !IsOperator(token) && Identifier().IsMatch(token)
        && !token.StartsWith("LicenseRef-", StringComparison.OrdinalIgnoreCase) && !token.StartsWith("DocumentRef-", StringComparison.OrdinalIgnoreCase);
}
