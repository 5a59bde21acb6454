using System.Text.Json;

namespace BuildSigning.Core.Json;

/// <summary>Checks for JSON that a user wrote or an attacker handed us, before a tree is built from it.</summary>
public static class UntrustedJson
{
    /// <summary>The UTF-8 byte order mark that Windows editors ("UTF-8 with signature") and PowerShell 5 put before the text.</summary>
    public static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    public static ReadOnlySpan<byte> WithoutByteOrderMark(ReadOnlySpan<byte> json) => json.StartsWith(ByteOrderMark) ? json[ByteOrderMark.Length..] : json;

    /// <summary>
    /// The byte offset of the first string or property name that does not read as text (invalid UTF-8, or an escape that
    /// leaves an unpaired surrogate such as \uD800), or null when there is none. System.Text.Json checks this only when a
    /// string is read, not when it parses, so a parsed tree would carry the bad text to whoever reads it next. Syntax
    /// errors are left to the parser, which reports them with their position.
    /// </summary>
    public static long? FindInvalidText(ReadOnlySpan<byte> json, JsonReaderOptions options = default)
    {
        var reader = new Utf8JsonReader(json, options);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName)) continue;
                try
                {
                    reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    return reader.TokenStartIndex;
                }
            }
        }
        catch (JsonException)
        {
        }
        return null;
    }

    /// <summary>The reason to give for <see cref="FindInvalidText"/>'s finding.</summary>
    public static string InvalidTextReason(long offset) =>
        $"the string at byte {offset} is not valid UTF-8 or holds an unpaired surrogate escape (\\uD800-\\uDFFF)";
}
