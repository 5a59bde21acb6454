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
