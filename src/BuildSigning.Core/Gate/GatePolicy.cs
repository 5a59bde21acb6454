using BuildSigning.Core.Keys;
using BuildSigning.Core.Trust;
using NuGet.Versioning;

namespace BuildSigning.Core.Gate;

/// <summary>
/// A deployment gate policy (docs/verification.md, "Gate policy"): who may sign, how many must, which attestations must be
/// there and what they must say. Read by <see cref="GatePolicyReader"/>; applied by <see cref="GateEvaluator"/>.
/// </summary>
public sealed record GatePolicy
{
    public const int CurrentVersion = 1;

    public required string Source { get; init; }
    public IReadOnlyList<GateKey> Keys { get; init; } = [];
    public IReadOnlyList<GateRevocation> Revoked { get; init; } = [];
    /// <summary>Null: any one listed key suffices (count 1 over all keys).</summary>
    public GateThreshold? Threshold { get; init; }
    public IReadOnlyList<GateRequirement> Require { get; init; } = [];
    public GateProvenanceRules? Provenance { get; init; }
    public GateSbomRules? Sbom { get; init; }
    /// <summary>Roots of the timestamp authorities whose RFC 3161 times are believed; other timestamps are ignored (time = now).</summary>
    public IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> TimestampAuthorities { get; init; } = [];
    /// <summary>
    /// Null: transparency-log entries are not required (nor read). Otherwise a DSSE signature counts only when its bundle
    /// carries entries verified offline by at least <see cref="GateTransparencyLogs.Threshold"/> distinct log keys, and the
    /// earliest verified integrated time is a trusted signing time (after a trusted RFC 3161 timestamp).
    /// </summary>
    public GateTransparencyLogs? TransparencyLogs { get; init; }

    /// <summary>Every key the policy names, whatever its window or revocation: the ones a signature may be checked with.</summary>
    public IReadOnlyList<VerificationKey> VerificationKeys => Keys.Where(k => k.Key is not null).Select(k => k.Key!).ToArray();
}

/// <summary>
/// A trusted key by name: its public key (PEM file, inline PEM or certificate) or only its key id (then it counts for
/// bundles that carry a certificate with that key). The key type is whatever <see cref="VerificationKey"/> verifies.
/// </summary>
public sealed record GateKey(string Name, VerificationKey? Key, KeyId Id, DateTimeOffset? NotBefore, DateTimeOffset? NotAfter);

public sealed record GateRevocation(KeyId KeyId, DateTimeOffset RevokedOn, string? Reason);

public sealed record GateThreshold(int Count, IReadOnlyList<string> KeyNames);

public enum AttestationKind { Spdx, CycloneDx, Provenance }

/// <summary>An attestation that must be present, signed by at least <see cref="Count"/> distinct valid keys.</summary>
public sealed record GateRequirement(AttestationKind Kind, int Count);

public sealed record GateProvenanceRules
{
    public IReadOnlyList<string> BuilderIds { get; init; } = [];
    /// <summary>Exact repository URI, or a prefix when it ends with '*'.</summary>
    public string? SourceRepository { get; init; }
    public string? Commit { get; init; }
    public string? BuildType { get; init; }
}

public sealed record GateSbomRules
{
    public IReadOnlyList<string> DeniedLicenses { get; init; } = [];
    public IReadOnlyList<string> AllowedLicenses { get; init; } = [];
    public IReadOnlyList<GateDeniedPackage> DeniedPackages { get; init; } = [];
}

public sealed record GateDeniedPackage(PackageIdPattern Id, VersionRange? Versions, string? Reason);

/// <summary>A transparency log the gate trusts, by name (for messages) and public key (what counts).</summary>
public sealed record GateLogKey(string Name, VerificationKey Key);

/// <summary>The trusted transparency-log keys and how many distinct ones (by public key) must have logged each signature.</summary>
public sealed record GateTransparencyLogs(IReadOnlyList<GateLogKey> Keys, int Threshold)
{
    /// <summary>The distinct public keys: the same key listed under two names counts once.</summary>
    public int DistinctKeyCount => Keys.Select(k => Convert.ToHexString(k.Key.SubjectPublicKeyInfo)).Distinct(StringComparer.Ordinal).Count();
}
