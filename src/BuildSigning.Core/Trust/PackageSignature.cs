using System.Security.Cryptography;
using BuildSigning.Core.Keys;
using NuGet.Packaging.Signing;
using HashAlgorithmName = System.Security.Cryptography.HashAlgorithmName;

namespace BuildSigning.Core.Trust;

/// <summary>One NuGet signature of a package: its certificate, timestamp (as claimed, not yet verified) and repository data.</summary>
public sealed class PackageSignature
{
    internal PackageSignature(Signature signature, bool isCountersignature)
    {
        NuGetSignature = signature;
        IsCountersignature = isCountersignature;
        Kind = signature.Type == SignatureType.Author ? SignerKind.Author : SignerKind.Repository;
        FriendlyName = isCountersignature ? "repository countersignature" : Kind == SignerKind.Author ? "author signature" : "repository signature";
        var certificate = signature.SignerInfo.Certificate;
        CertificateDer = certificate?.RawData ?? [];
        Subject = certificate?.Subject ?? "(no certificate)";
        NotBefore = certificate is null ? DateTimeOffset.MinValue : new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        NotAfter = certificate is null ? DateTimeOffset.MinValue : new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        if (signature is IRepositorySignature repository)
        {
            Owners = repository.PackageOwners ?? [];
            ServiceIndex = repository.V3ServiceIndexUrl;
        }
    }

    internal Signature NuGetSignature { get; }
    public bool IsCountersignature { get; }
    public SignerKind Kind { get; }

    /// <summary>"author signature", "repository signature" or "repository countersignature".</summary>
    public string FriendlyName { get; }
    public byte[] CertificateDer { get; }
    public string Subject { get; }
    public DateTimeOffset NotBefore { get; }
    public DateTimeOffset NotAfter { get; }

    /// <summary>
    /// The RFC 3161 timestamp's time as the signature claims it; trusted only once <see cref="SignatureCheck.TrustedTime"/> says so.
    /// Decoded on first use: most signatures of a restore are never asked (the policy trusts the other one).
    /// </summary>
    public DateTimeOffset? ClaimedTimestamp => NuGetSignature.Timestamps.Count > 0 ? NuGetSignature.Timestamps[0].GeneralizedTime : null;
    public IReadOnlyList<string> Owners { get; } = [];
    public Uri? ServiceIndex { get; }

    public string Fingerprint(HashAlgorithmName algorithm = default) =>
        CertificateFingerprint.Compute(CertificateDer, algorithm.Name is null ? HashAlgorithmName.SHA256 : algorithm);

    public bool Matches(CertificateFingerprint fingerprint) => CertificateDer.Length > 0 && fingerprint.Matches(CertificateDer);

    /// <summary>For messages: "author signature by 'CN=…' (SHA256 ABC…)" plus owners for repository signatures.</summary>
    public string Describe()
    {
        string text = $"{FriendlyName} by '{Subject}' (SHA256 {Fingerprint()})";
        return Owners.Count > 0 ? $"{text}, owners {string.Join(", ", Owners)}" : text;
    }
}
