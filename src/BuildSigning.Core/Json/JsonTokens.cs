using System.Text.Json;

namespace BuildSigning.Core.Json;

/// <summary>Compares two JSON texts token by token, ignoring whitespace: the same values written in the same order.</summary>
public static class JsonTokens
{
    /// <summary>
    /// True when both texts hold the same sequence of tokens (property names, strings and numbers compared as written, so
    /// "1.0" and "1", or "\\u0041" and "A", count as different: callers fall back to a semantic comparison). Malformed text
    /// throws <see cref="JsonException"/>.
    /// </summary>
    public static bool Equal(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var options = new JsonReaderOptions { MaxDepth = 256 };
        var a = new Utf8JsonReader(left, options);
        var b = new Utf8JsonReader(right, options);
        while (true)
        {
            bool moreA = a.Read(), moreB = b.Read();
            if (moreA != moreB) return false;
            if (!moreA) return true;
            if (a.TokenType != b.TokenType) return false;
            switch (a.TokenType)
            {
                case JsonTokenType.PropertyName:
                case JsonTokenType.String:
                case JsonTokenType.Number:
                    if (a.HasValueSequence || b.HasValueSequence || !a.ValueSpan.SequenceEqual(b.ValueSpan)) return false;
                    break;
            }
        }
    }
}
