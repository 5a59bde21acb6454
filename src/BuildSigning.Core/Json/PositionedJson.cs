using System.Text;
using System.Text.Json;

namespace BuildSigning.Core.Json;

// A small JSON tree that remembers where each value starts and ends (byte offsets), for the policy readers' located
// errors and for text-level edits that keep a file's comments and layout.

internal abstract record Node(long Offset)
{
    public abstract string KindName { get; }

    /// <summary>The byte offset just past the value (after its closing bracket or quote); used by text-level edits.</summary>
    public long End { get; init; }
}

internal sealed record ObjectNode(long Offset, IReadOnlyList<Field> Fields) : Node(Offset)
{
    public override string KindName => "an object";
}

internal sealed record Field(string Name, long NameOffset, Node Value);

internal sealed record ArrayNode(long Offset, IReadOnlyList<Node> Items) : Node(Offset)
{
    public override string KindName => "an array";
}

internal sealed record ValueNode(long Offset, JsonTokenType Type, string Text) : Node(Offset)
{
    public override string KindName => Type switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => "null",
    };
}

internal sealed class DuplicateFieldException(string name, long offset) : Exception(name)
{
    public string Name { get; } = name;
    public long Offset { get; } = offset;
}

internal sealed class InvalidTextException(long offset) : Exception
{
    public long Offset { get; } = offset;
}

/// <summary>Reads a <see cref="Node"/> tree with System.Text.Json's reader (comments and trailing commas as the caller's options allow).</summary>
internal static class PositionedJson
{
    /// <summary>The current string or property name; System.Text.Json checks its UTF-8 and escapes only now, not when it reads the token.</summary>
    internal static string Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new InvalidTextException(reader.TokenStartIndex);
        }
    }

    public static Node ReadNode(ref Utf8JsonReader reader)
    {
        long offset = reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var fields = new List<Field>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    string name = Text(ref reader);
                    long nameOffset = reader.TokenStartIndex;
                    if (!names.Add(name)) throw new DuplicateFieldException(name, nameOffset);
                    reader.Read();
                    fields.Add(new Field(name, nameOffset, ReadNode(ref reader)));
                }
                return new ObjectNode(offset, fields) { End = reader.BytesConsumed };
            }
            case JsonTokenType.StartArray:
            {
                var items = new List<Node>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadNode(ref reader));
                return new ArrayNode(offset, items) { End = reader.BytesConsumed };
            }
            case JsonTokenType.String:
                return new ValueNode(offset, JsonTokenType.String, Text(ref reader)) { End = reader.BytesConsumed };
            default:
                return new ValueNode(offset, reader.TokenType, Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray())) { End = reader.BytesConsumed };
        }
    }
}

/// <summary>
/// 1-based line and column of byte offsets in a UTF-8 text, columns counted in characters (not bytes), the same way for
/// every located message. The lines are indexed once: a file with thousands of errors is not read from the start for each.
/// </summary>
internal sealed class TextPositions(byte[] bytes)
{
    private int[]? _lineStarts;

    /// <summary>
    /// 1-based line and column (in characters) of a byte offset. The lines are indexed once: a policy with thousands of
    /// errors must not be read from the start for each of them.
    /// </summary>
    public (long Line, long Column) Position(long offset)
    {
        _lineStarts ??= LineStarts(bytes);
        int end = (int)Math.Clamp(offset, 0, bytes.Length);
        int index = System.Array.BinarySearch(_lineStarts, end);
        int line = index >= 0 ? index : ~index - 1;
        var text = bytes.AsSpan(_lineStarts[line], end - _lineStarts[line]);
        int characters = System.Text.Ascii.IsValid(text) ? text.Length : text.Length - CountContinuationBytes(text);
        return (line + 1, characters + 1);
    }

    private static int[] LineStarts(byte[] bytes)
    {
        var starts = new List<int> { 0 };
        for (int i = 0; i < bytes.Length;)
        {
            int newline = bytes.AsSpan(i).IndexOf((byte)'\n');
            if (newline < 0) break;
            i += newline + 1;
            starts.Add(i);
        }
        return [.. starts];
    }

    private static int CountContinuationBytes(ReadOnlySpan<byte> text)
    {
        int count = 0;
        foreach (byte b in text) if ((b & 0xC0) == 0x80) count++;
        return count;
    }
}
