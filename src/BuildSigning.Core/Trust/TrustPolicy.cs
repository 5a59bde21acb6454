using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BuildSigning.Core.Keys;
using NuGet.Versioning;

namespace BuildSigning.Core.Trust;

/// <summary>What a failing package becomes: an error (enforce) or a warning (audit).</summary>
public enum TrustMode
{
    Enforce,
    Audit,
}

/// <summary>Which NuGet signature a trusted signer's certificate may make: the author's primary signature, or a repository's (primary or countersignature).</summary>
public enum SignerKind
{
    Author,
    Repository,
}

/// <summary>One certificate of a trusted signer, with the window (by signing time) in which its signatures count.</summary>
public sealed record TrustedCertificate(CertificateFingerprint Fingerprint, bool AllowUntrustedRoot = false,
    DateTimeOffset? NotBefore = null, DateTimeOffset? NotAfter = null, string? Comment = null);

/// <summary>A named author or repository, trusted through the fingerprints of its certificates.</summary>
public sealed record TrustedSigner(string Name, SignerKind Kind, IReadOnlyList<TrustedCertificate> Certificates, IReadOnlyList<string> Owners)
{
    /// <summary>True when <paramref name="packageOwners"/> satisfies the owner restriction (none set, or at least one in common).</summary>
    public bool AcceptsOwners(IReadOnlyList<string>? packageOwners) =>
        Owners.Count == 0 || (packageOwners ?? []).Any(o => Owners.Contains(o, StringComparer.OrdinalIgnoreCase));
}

/// <summary>A public key trusted for BuildSigning's own Sigstore bundles carried in packages (.buildsigning/*.sigstore.json).</summary>
public sealed record TrustedKey(string Name, KeyId KeyId, VerificationKey? PublicKey);

/// <summary>Restricts which signers count for packages whose id matches the pattern (the most specific rule wins).</summary>
public sealed record PackageRule(PackageIdPattern Id, IReadOnlyList<string> Signers, string? Reason = null);

/// <summary>Lets packages without a trusted signature through, with a reason, until it expires.</summary>
public sealed record UnsignedException(PackageIdPattern Id, VersionRange? Versions, string Reason, DateTimeOffset Expires)
{
    public bool Matches(string id, NuGetVersion version) => Id.Matches(id) && (Versions is null || Versions.Satisfies(version));

    public string Describe() => Versions is null ? Id.Text : $"{Id.Text} {Versions.OriginalString ?? Versions.ToNormalizedString()}";
}

/// <summary>A certificate (by fingerprint) or key (by key id) that must no longer be trusted from a date on.</summary>
public sealed record Revocation(CertificateFingerprint? Fingerprint, KeyId? KeyId, DateTimeOffset RevokedOn, string? Reason)
{
    public string Subject => Fingerprint?.ToString() ?? $"key {KeyId}";
}

/// <summary>
/// The effective trust policy for dependency verification: what a package must be signed with to be restored.
/// Built by <see cref="TrustPolicyReader"/> (file), <see cref="TrustPolicyMerger"/> (file plus MSBuild items) or <see cref="Default"/>.
/// </summary>
public sealed class TrustPolicy
{
    public const int CurrentVersion = 1;
    public const string DefaultFileName = "buildsigning.trust.json";
    public const string NuGetOrgSignerName = "nuget.org";

    public TrustPolicy(TrustMode mode, IReadOnlyList<TrustedSigner> signers, IReadOnlyList<TrustedKey> keys, IReadOnlyList<PackageRule> rules,
        IReadOnlyList<UnsignedException> exceptions, IReadOnlyList<Revocation> revocations, string source)
    {
        Mode = mode;
        Signers = signers;
        Keys = keys;
        Rules = rules;
        Exceptions = exceptions;
        Revocations = revocations;
        Source = source;
        Hash = ComputeHash();
    }

    public TrustMode Mode { get; }
    public IReadOnlyList<TrustedSigner> Signers { get; }
    public IReadOnlyList<TrustedKey> Keys { get; }
    public IReadOnlyList<PackageRule> Rules { get; }
    public IReadOnlyList<UnsignedException> Exceptions { get; }
    public IReadOnlyList<Revocation> Revocations { get; }

    /// <summary>Where the policy came from, as shown in messages: a file path, or "the built-in trust policy".</summary>
    public string Source { get; }

    /// <summary>SHA-256 (hex) of a canonical form of everything that decides a verdict; part of every cache key.</summary>
    public string Hash { get; }

    public TrustPolicy With(TrustMode? mode = null, IReadOnlyList<TrustedSigner>? signers = null, IReadOnlyList<TrustedKey>? keys = null,
        IReadOnlyList<PackageRule>? rules = null, IReadOnlyList<UnsignedException>? exceptions = null, IReadOnlyList<Revocation>? revocations = null,
        string? source = null) =>
        new(mode ?? Mode, signers ?? Signers, keys ?? Keys, rules ?? Rules, exceptions ?? Exceptions, revocations ?? Revocations, source ?? Source);

    /// <summary>The rule that governs a package id: an exact-id rule first, then the longest matching prefix pattern.</summary>
    public PackageRule? FindRule(string packageId) =>
        Rules.Where(r => r.Id.Matches(packageId)).OrderByDescending(r => r.Id.Specificity).FirstOrDefault();

    public TrustedSigner? FindSigner(string name) => Signers.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The nuget.org repository signing certificates, newest first. All three are still on packages served today: nuget.org
    /// countersigned each package with the certificate current when it was published (or first repository-signed, in 2018,
    /// for older packages) and did not re-sign old packages when it rolled over to a new certificate.
    /// </summary>
    public static IReadOnlyList<TrustedCertificate> NuGetOrgRepositoryCertificates { get; } =
    [
        // CN=NuGet.org Repository by Microsoft, O=NuGet.org Repository by Microsoft, L=Redmond, S=Washington, C=US
        // valid 2024-02-23 to 2027-05-18. Seen on packages published since early 2024, e.g. System.CommandLine 2.0.0, Polly 8.5.2,
        // Dapper 2.1.66, Newtonsoft.Json 13.0.4, xunit 2.9.3, AutoMapper 15.1.4, Microsoft.NET.Test.Sdk 18.0.1.
        new(new CertificateFingerprint(HashAlgorithmName.SHA256, "1F4B311D9ACC115C8DC8018B5A49E00FCE6DA8E2855F9F014CA6F34570BC482D"),
            Comment: "NuGet.org Repository by Microsoft, valid 2024-02-23 to 2027-05-18"),
        // Same subject, valid 2021-02-16 to 2024-05-15. Seen on packages published 2021 to early 2024, e.g. Newtonsoft.Json 13.0.1
        // and 13.0.3, Serilog 2.11.0 and 3.1.1, Polly 7.2.4 and 8.2.0, Castle.Core 5.1.1, Moq 4.20.70, NUnit 4.1.0.
        new(new CertificateFingerprint(HashAlgorithmName.SHA256, "5A2901D6ADA3D18260B9C6DFE2133C95D74B9EEF6AE0E5DC334C8454D1477DF4"),
            Comment: "NuGet.org Repository by Microsoft, valid 2021-02-16 to 2024-05-15"),
        // Same subject (issued by DigiCert SHA2 Assured ID Code Signing CA), valid 2018-04-10 to 2021-04-14: the first one, on
        // every package published before 2021 (repository-signed in 2018), e.g. Newtonsoft.Json 9.0.1 / 12.0.1 / 12.0.3,
        // Serilog 2.7.1, Polly 5.7.0 and 7.2.0, Moq 4.5.22, NUnit 3.6.0, NETStandard.Library 2.0.3, xunit.abstractions 2.0.3.
        new(new CertificateFingerprint(HashAlgorithmName.SHA256, "0E5F38F57DC1BCC806D8494F4F90FBCEDD988B46760709CBEEC6F4219AA6157D"),
            Comment: "NuGet.org Repository by Microsoft, valid 2018-04-10 to 2021-04-14"),
    ];

    /// <summary>The built-in nuget.org signer: any package nuget.org repository-signed (every package it serves), any owner.</summary>
    public static TrustedSigner NuGetOrgSigner { get; } = new(NuGetOrgSignerName, SignerKind.Repository, NuGetOrgRepositoryCertificates, []);

    public const string BuiltInSource = "the built-in trust policy";

    /// <summary>Used when no policy file is found: enforce, trust what nuget.org repository-signed, no exceptions.</summary>
    public static TrustPolicy Default { get; } = new(TrustMode.Enforce, [NuGetOrgSigner], [], [], [], [], BuiltInSource);

    private string ComputeHash()
    {
        var text = new StringBuilder("buildsigning-trust-policy v").Append(CurrentVersion).Append('\n');
        text.Append("mode ").Append(Mode).Append('\n');
        foreach (var signer in Signers.OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.Kind))
        {
            text.Append("signer ").Append(signer.Name.ToLowerInvariant()).Append(' ').Append(signer.Kind)
                .Append(" owners ").Append(string.Join(",", signer.Owners.Select(o => o.ToLowerInvariant()).Order(StringComparer.Ordinal))).Append('\n');
            foreach (var c in signer.Certificates.OrderBy(c => c.Fingerprint.ToString(), StringComparer.Ordinal))
            {
                text.Append("  cert ").Append(c.Fingerprint).Append(' ').Append(c.AllowUntrustedRoot)
                    .Append(' ').Append(Ticks(c.NotBefore)).Append(' ').Append(Ticks(c.NotAfter)).Append('\n');
            }
        }
        foreach (var key in Keys.OrderBy(k => k.KeyId.Hex, StringComparer.Ordinal))
        {
            text.Append("key ").Append(key.Name.ToLowerInvariant()).Append(' ').Append(key.KeyId.Hex).Append(' ').Append(key.PublicKey is not null).Append('\n');
        }
        foreach (var rule in Rules.OrderBy(r => r.Id.Text, StringComparer.OrdinalIgnoreCase))
        {
            text.Append("rule ").Append(rule.Id.Text.ToLowerInvariant()).Append(' ')
                .Append(string.Join(",", rule.Signers.Select(s => s.ToLowerInvariant()).Order(StringComparer.Ordinal))).Append('\n');
        }
        foreach (var e in Exceptions.OrderBy(e => e.Id.Text, StringComparer.OrdinalIgnoreCase).ThenBy(e => e.Expires))
        {
            text.Append("exception ").Append(e.Id.Text.ToLowerInvariant()).Append(' ').Append(e.Versions?.ToNormalizedString() ?? "*")
                .Append(' ').Append(Ticks(e.Expires)).Append(' ').Append(e.Reason.Length).Append(':').Append(e.Reason).Append('\n');
        }
        foreach (var r in Revocations.OrderBy(r => r.Subject, StringComparer.Ordinal))
        {
            text.Append("revoked ").Append(r.Subject).Append(' ').Append(Ticks(r.RevokedOn)).Append('\n');
        }
        return Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string Ticks(DateTimeOffset? time) => time is { } t ? t.UtcTicks.ToString(CultureInfo.InvariantCulture) : "-";
}
