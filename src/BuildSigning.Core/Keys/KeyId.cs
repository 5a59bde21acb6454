using System.Security.Cryptography;

namespace BuildSigning.Core.Keys;

/// <summary>A key's identity: SHA-256 of its DER SubjectPublicKeyInfo. Shown as hex; Sigstore's key hint is the same bytes in base64.</summary>
public sealed class KeyId : IEquatable<KeyId>
{
    private readonly byte[] _sha256;

    private KeyId(byte[] sha256) => _sha256 = sha256;

    public static KeyId FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki) => new(SHA256.HashData(spki));

    public string Hex => Core.Hex.Lower(_sha256);
    public string Base64 => Convert.ToBase64String(_sha256);

    /// <summary>Accepts the hex form (optionally "sha256:"-prefixed) or the base64 Sigstore hint.</summary>
    public static bool TryParse(string? text, out KeyId? keyId)
    {
        keyId = null;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (text.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase)) text = text[7..];
        if (text.Length == 64 && Core.Hex.TryParse(text, out byte[] hex))
        {
            keyId = new KeyId(hex);
            return true;
        }
        var buffer = new byte[48];
        if (Convert.TryFromBase64String(text, buffer, out int written) && written == 32)
        {
            keyId = new KeyId(buffer[..32]);
            return true;
        }
        return false;
    }

    public bool Equals(KeyId? other) => other is not null && _sha256.AsSpan().SequenceEqual(other._sha256);
    public override bool Equals(object? obj) => Equals(obj as KeyId);
    public override int GetHashCode() => BitConverter.ToInt32(_sha256, 0);
    public override string ToString() => Hex;
}
