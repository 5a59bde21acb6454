using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BuildSigning.Core.Keys;

/// <summary>A certificate fingerprint: upper-case hex of the hash of the DER certificate, as NuGet prints it.</summary>
public sealed record CertificateFingerprint(HashAlgorithmName Algorithm, string Hex)
{
    public static readonly IReadOnlyList<HashAlgorithmName> Algorithms = [HashAlgorithmName.SHA256, HashAlgorithmName.SHA384, HashAlgorithmName.SHA512];

    /// <summary>Hex digits a fingerprint of the algorithm has (SHA256 64, SHA384 96, SHA512 128), or 0 for others.</summary>
    public static int HexLength(HashAlgorithmName algorithm) =>
        algorithm == HashAlgorithmName.SHA256 ? 64 : algorithm == HashAlgorithmName.SHA384 ? 96 : algorithm == HashAlgorithmName.SHA512 ? 128 : 0;

    /// <summary>Reads "SHA256" / "SHA-256" / "sha384" ... (null or empty: SHA256).</summary>
    public static bool TryParseAlgorithm(string? text, out HashAlgorithmName algorithm)
    {
        algorithm = HashAlgorithmName.SHA256;
        if (string.IsNullOrWhiteSpace(text)) return true;
        switch (text.Trim().Replace("-", "", StringComparison.Ordinal).ToUpperInvariant())
        {
            case "SHA256": algorithm = HashAlgorithmName.SHA256; return true;
            case "SHA384": algorithm = HashAlgorithmName.SHA384; return true;
            case "SHA512": algorithm = HashAlgorithmName.SHA512; return true;
            default: return false;
        }
    }

    /// <summary>
    /// Validates a fingerprint for an algorithm: hex digits (':' and spaces between byte pairs are ignored) of exactly the
    /// algorithm's length. On failure, <paramref name="reason"/> says what is wrong in a sentence.
    /// </summary>
    public static bool TryParse(string? text, HashAlgorithmName algorithm, out CertificateFingerprint? fingerprint, out string reason)
    {
        fingerprint = null;
        reason = "";
        string compact = (text ?? "").Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).Trim();
        if (compact.Length == 0)
        {
            reason = "it is empty.";
            return false;
        }
        if (!compact.All(char.IsAsciiHexDigit))
        {
            reason = "it contains characters other than hexadecimal digits.";
            return false;
        }
        int expected = HexLength(algorithm);
        if (compact.Length != expected)
        {
            var other = Algorithms.FirstOrDefault(a => HexLength(a) == compact.Length);
            reason = $"it has {compact.Length} hex digits, but a {algorithm.Name} fingerprint has {expected}"
                + (other.Name is null ? "." : $" (for a {other.Name} fingerprint set hashAlgorithm to {other.Name}).");
            return false;
        }
        fingerprint = new CertificateFingerprint(algorithm, compact.ToUpperInvariant());
        return true;
    }

    public bool Matches(byte[] certificateDer) => string.Equals(Hex, Compute(certificateDer, Algorithm), StringComparison.Ordinal);

    public static string Compute(byte[] certificateDer, HashAlgorithmName algorithm) =>
        Convert.ToHexString(algorithm == HashAlgorithmName.SHA512 ? SHA512.HashData(certificateDer)
            : algorithm == HashAlgorithmName.SHA384 ? SHA384.HashData(certificateDer)
            : SHA256.HashData(certificateDer));

    public override string ToString() => $"{Algorithm.Name} {Hex}";
}
