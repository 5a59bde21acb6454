using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Transparency;

/// <summary>
/// A transparency-log checkpoint in the signed-note format Rekor and sigstore-js use:
/// <code>
/// &lt;origin&gt;\n&lt;tree size&gt;\n&lt;base64 root hash&gt;\n[other lines\n]
/// \n
/// — &lt;signer name&gt; &lt;base64(4-byte key hint || signature)&gt;\n
/// </code>
/// The signature covers the note text up to and including the newline before the blank line; the key hint is the first
/// four bytes of the log id (SHA-256 of the log key's DER SubjectPublicKeyInfo).
/// </summary>
public sealed record SignedCheckpoint(string Origin, long TreeSize, byte[] RootHash, string Note, IReadOnlyList<(string Name, byte[] KeyHint, byte[] Signature)> Signatures)
{
    private const string Separator = "\n\n";
    private const char EmDash = '\u2014';

    /// <summary>Writes and signs a checkpoint (what a log does; used by the test log).</summary>
    public static string Create(string origin, long treeSize, byte[] rootHash, Func<byte[], byte[]> sign, byte[] logId)
    {
        string note = $"{origin}\n{treeSize.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(rootHash)}\n";
        byte[] signature = sign(Encoding.UTF8.GetBytes(note));
        // The signer's name has no spaces (Rekor: origin "rekor.sigstore.dev - <tree id>", name "rekor.sigstore.dev").
        string name = origin.Split(' ')[0];
        return $"{note}\n{EmDash} {name} {Convert.ToBase64String([.. logId.AsSpan(0, 4), .. signature])}\n";
    }

    public static SignedCheckpoint? TryParse(string envelope, out string reason)
    {
        reason = "";
        int split = envelope.IndexOf(Separator, StringComparison.Ordinal);
        if (split < 0) { reason = "it has no blank line between the note and its signatures."; return null; }
        string note = envelope[..(split + 1)];
        string[] lines = note.TrimEnd('\n').Split('\n');
        if (lines.Length < 3) { reason = "its note has fewer than three lines (origin, tree size, root hash)."; return null; }
        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size)) { reason = $"its tree size '{lines[1]}' is not a number."; return null; }
        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            reason = "its root hash is not base64.";
            return null;
        }
        var signatures = new List<(string, byte[], byte[])>();
        foreach (string line in envelope[(split + Separator.Length)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != EmDash.ToString()) { reason = "a signature line is not '— <name> <signature>'."; return null; }
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(parts[2]);
            }
            catch (FormatException)
            {
                reason = "a signature is not base64.";
                return null;
            }
            if (bytes.Length < 5) { reason = "a signature is too short."; return null; }
            signatures.Add((parts[1], bytes[..4], bytes[4..]));
        }
        if (signatures.Count == 0) { reason = "it carries no signature."; return null; }
        return new SignedCheckpoint(lines[0], size, root, note, signatures);
    }

    /// <summary>True when a signature whose key hint fits the log key verifies over the note.</summary>
    public bool IsSignedBy(VerificationKey logKey)
    {
        byte[] hint = SHA256.HashData(logKey.SubjectPublicKeyInfo)[..4];
        byte[] note = Encoding.UTF8.GetBytes(Note);
        return Signatures.Any(s => s.KeyHint.AsSpan().SequenceEqual(hint) && logKey.Verify(note, s.Signature));
    }
}
