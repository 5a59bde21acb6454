namespace BuildSigning.Core.Hashing;

[Flags]
public enum DigestAlgorithms
{
    Sha256 = 1,
    Sha1 = 2,
    Sha512 = 4,
}

/// <summary>The digests of one file's content. Sha256 is always present; the others when asked for.</summary>
public sealed record FileDigest(string Path, long Length, byte[] Sha256, byte[]? Sha1 = null, byte[]? Sha512 = null)
{
    public string Sha256Hex => Hex.Lower(Sha256);
}

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
