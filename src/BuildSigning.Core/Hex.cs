namespace BuildSigning.Core;

/// <summary>Lowercase hex, as digests are written in manifests, statements and key ids (a leaf every Core folder may use).</summary>
public static class Hex
{
    public static string Lower(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static bool TryParse(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 2 != 0) return false;
        foreach (char c in text)
        {
            if (!char.IsAsciiHexDigit(c)) return false;
        }
        bytes = Convert.FromHexString(text);
        return true;
    }
}
