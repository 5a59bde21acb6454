using System.Security.Cryptography;

namespace BuildSigning.Core.Transparency;

/// <summary>RFC 6962 Merkle tree hashing: leaves SHA-256(0x00 || data), nodes SHA-256(0x01 || left || right).</summary>
public static class Merkle
{
    public static byte[] LeafHash(ReadOnlySpan<byte> data)
    {
        byte[] input = new byte[data.Length + 1];
        data.CopyTo(input.AsSpan(1));
        return SHA256.HashData(input);
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        byte[] input = new byte[1 + left.Length + right.Length];
        input[0] = 1;
        left.CopyTo(input.AsSpan(1));
        right.CopyTo(input.AsSpan(1 + left.Length));
        return SHA256.HashData(input);
    }

    /// <summary>The root of the first <paramref name="size"/> leaf hashes (MTH of RFC 6962 section 2.1).</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leafHashes, int start, int size)
    {
        if (size == 0) return SHA256.HashData([]);
        if (size == 1) return leafHashes[start];
        int k = LargestPowerOfTwoBelow(size);
        return NodeHash(Root(leafHashes, start, k), Root(leafHashes, start + k, size - k));
    }

    /// <summary>The audit path of leaf <paramref name="index"/> in the tree of the first <paramref name="size"/> leaves (RFC 6962 section 2.1.1), leaf side first.</summary>
    public static List<byte[]> InclusionProof(IReadOnlyList<byte[]> leafHashes, long index, long size)
    {
        var path = new List<byte[]>();
        Path(leafHashes, (int)index, 0, (int)size, path);
        return path;
    }

    private static void Path(IReadOnlyList<byte[]> leaves, int index, int start, int size, List<byte[]> path)
    {
        if (size <= 1) return;
        int k = LargestPowerOfTwoBelow(size);
        if (index < k)
        {
            Path(leaves, index, start, k, path);
            path.Add(Root(leaves, start + k, size - k));
        }
        else
        {
            Path(leaves, index - k, start + k, size - k, path);
            path.Add(Root(leaves, start, k));
        }
    }

    /// <summary>
    /// The root an inclusion proof leads to (RFC 9162 section 2.1.3.2), or null when the proof cannot belong to a tree of
    /// this size (wrong number of hashes, index out of range).
    /// </summary>
    public static byte[]? RootFromInclusionProof(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof)
    {
        if (index < 0 || size <= 0 || index >= size) return null;
        long fn = index, sn = size - 1;
        byte[] r = leafHash.ToArray();
        foreach (byte[] p in proof)
        {
            if (p.Length != 32 || sn == 0) return null;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = NodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }

    private static int LargestPowerOfTwoBelow(int n)
    {
        int k = 1;
        while (k << 1 < n) k <<= 1;
        return k;
    }
}
