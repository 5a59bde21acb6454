using System.Security.Cryptography;

namespace BuildSigning.Core.Keys;

internal static class Pem
{
    public static bool LooksLikePem(ReadOnlySpan<byte> content)
    {
        int start = 0;
        while (start < content.Length && (content[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF)) start++;
        return content[start..].StartsWith("-----BEGIN "u8);
    }

    public static IEnumerable<(string Label, byte[] Der)> Sections(string text)
    {
        int offset = 0;
        while (offset < text.Length && PemEncoding.TryFind(text.AsSpan(offset), out PemFields fields))
        {
            var span = text.AsSpan(offset);
            string label = span[fields.Label].ToString();
            byte[] der = Convert.FromBase64String(span[fields.Base64Data].ToString());
            offset += fields.Location.End.Value;
            yield return (label, der);
        }
    }
}
