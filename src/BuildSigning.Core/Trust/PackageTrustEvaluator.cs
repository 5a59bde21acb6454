using BuildSigning.Core.Diagnostics;
using NuGet.Versioning;

namespace BuildSigning.Core.Trust;

public enum TrustVerdict
{
    /// <summary>Signed by a trusted signer (or trusted key) as the policy requires.</summary>
    Allowed,

    /// <summary>Not trusted by signature, but an unexpired unsigned exception lets it through.</summary>
    AllowedByException,

    /// <summary>Rejected; <see cref="PackageTrustResult.Diagnostic"/> is an error.</summary>
    Denied,

    /// <summary>Would be rejected, but the policy is in audit mode; <see cref="PackageTrustResult.Diagnostic"/> is a warning.</summary>
    AuditWarning,
}

/// <summary>The verdict on one package, with the coded diagnostic that names it and what would allow it.</summary>
/// <param name="TrustedBy">What let it through: "signer 'nuget.org' (repository countersignature)", "exception 'X' …".</param>
/// <param name="ValidUntil">When an allowed verdict stops being true by itself (exception expiry, certificate expiry without timestamp).</param>
/// <param name="FromCache">The verdict came from the verdict cache; the package was not opened.</param>
public sealed record PackageTrustResult(string Id, string Version, string? NupkgPath, TrustVerdict Verdict, Diagnostic? Diagnostic,
    string? TrustedBy, DateTimeOffset? ValidUntil = null, bool FromCache = false)
{
    public bool IsAllowed => Verdict is TrustVerdict.Allowed or TrustVerdict.AllowedByException;
    public bool IsError => Verdict == TrustVerdict.Denied;
    public bool IsWarning => Verdict == TrustVerdict.AuditWarning;
}

/// <summary>Applies a <see cref="TrustPolicy"/> to an inspected package.</summary>
public static class PackageTrustEvaluator
{
    /// <summary>
    /// Decides on a package. Order: unreadable, integrity, broken signature values, revoked certificates or keys, and
    /// bundles by trusted keys that do not match are final; then a trusted signer or key (within the governing package rule)
    /// allows it; else an unexpired exception allows it; else it is denied with the most specific reason.
    /// </summary>
    public static PackageTrustResult Evaluate(TrustPolicy policy, string id, string version, InspectedPackage package, DateTimeOffset now)
    {
        string folder = Path.GetDirectoryName(package.Path) ?? package.Path;
        if (package.ReadError is not null) return Deny(policy, id, version, package.Path, TrustMessages.PackageUnreadable(id, version, package.Path, package.ReadError, folder));

        if (package.CheckIntegrity() is { } integrity) return Deny(policy, id, version, package.Path, TrustMessages.PackageIntegrityFailed(id, version, package.Path, integrity, folder));
        foreach (var signature in package.Signatures)
        {
            if (package.CheckSignatureValue(signature) is { } broken)
            {
                return Deny(policy, id, version, package.Path, TrustMessages.PackageSignatureInvalid(id, version, signature.FriendlyName, broken, folder));
            }
        }

        var checks = new Dictionary<PackageSignature, SignatureCheck>();
        SignatureCheck Check(PackageSignature s) => checks.TryGetValue(s, out var c) ? c : checks[s] = package.Verify(s);

        foreach (var signature in package.Signatures)
        {
            var revocation = policy.Revocations.FirstOrDefault(r => r.Fingerprint is not null && signature.Matches(r.Fingerprint));
            if (revocation is null) continue;
            var time = Check(signature).TrustedTime;
            if (time is null || time >= revocation.RevokedOn)
            {
                return Deny(policy, id, version, package.Path, TrustMessages.PackageCertificateRevoked(id, version, signature.FriendlyName,
                    revocation.Fingerprint!.ToString(), policy.Source, revocation.RevokedOn, revocation.Reason));
            }
        }

        var rule = policy.FindRule(id);
        bool Permitted(string name) => rule is null || rule.Signers.Contains(name, StringComparer.OrdinalIgnoreCase);

        // BuildSigning bundles: a revoked key or a bundle by a trusted key that does not hold is final.
        string? trustedByKey = null;
        var bundles = policy.Keys.Count > 0 || policy.Revocations.Any(r => r.KeyId is not null) ? package.CheckBundles(policy.Keys) : [];
        foreach (var bundle in bundles)
        {
            var revoked = bundle.KeyId is null ? null : policy.Revocations.FirstOrDefault(r => r.KeyId is not null && r.KeyId.Equals(bundle.KeyId));
            if (revoked is not null)
            {
                return Deny(policy, id, version, package.Path, TrustMessages.PackageKeyRevoked(id, version, bundle.KeyId!.Hex, policy.Source, revoked.RevokedOn, revoked.Reason));
            }
            if (bundle.TrustedKey is not null && bundle.Problem is not null)
            {
                return Deny(policy, id, version, package.Path, TrustMessages.PackageBundleInvalid(id, version, bundle.Entry, bundle.Problem, folder));
            }
            if (bundle.Verified && Permitted(bundle.TrustedKey!.Name)) trustedByKey ??= $"key '{bundle.TrustedKey.Name}' ({bundle.Entry})";
        }
        if (trustedByKey is not null) return new PackageTrustResult(id, version, package.Path, TrustVerdict.Allowed, null, trustedByKey);

        // NuGet signatures whose certificate a trusted signer pins.
        Diagnostic? failure = null;
        var outsideRule = new List<string>();
        foreach (var signature in package.Signatures.OrderBy(s => s.IsCountersignature))
        {
            foreach (var signer in policy.Signers.Where(s => Fits(s.Kind, signature)))
            {
                foreach (var certificate in signer.Certificates.Where(c => signature.Matches(c.Fingerprint)))
                {
                    if (!Permitted(signer.Name))
                    {
                        outsideRule.Add(signer.Name);
                        continue;
                    }
                    if (signer.Kind == SignerKind.Repository && !signer.AcceptsOwners(signature.Owners))
                    {
                        failure ??= TrustMessages.PackageOwnersNotTrusted(id, version, signer.Name,
                            signature.Owners.Count == 0 ? "none recorded" : string.Join(", ", signature.Owners), string.Join(", ", signer.Owners), policy.Source);
                        continue;
                    }
                    var check = Check(signature);
                    if (!check.Valid && !(check.OnlyUntrustedRoot && certificate.AllowUntrustedRoot))
                    {
                        failure ??= check.OnlyUntrustedRoot
                            ? TrustMessages.PackageUntrustedRoot(id, version, signature.FriendlyName, certificate.Fingerprint.ToString(), signer.Name, check.IssuesText, policy.Source)
                            : TrustMessages.PackageSignatureInvalid(id, version, signature.FriendlyName, check.IssuesText, folder);
                        continue;
                    }
                    var signedAt = check.TrustedTime ?? now;
                    if ((certificate.NotBefore is { } notBefore && signedAt < notBefore) || (certificate.NotAfter is { } notAfter && signedAt > notAfter))
                    {
                        failure ??= TrustMessages.PackageSignedOutsideWindow(id, version, signer.Name, signedAt, policy.Source, certificate.NotBefore, certificate.NotAfter);
                        continue;
                    }
                    DateTimeOffset? validUntil = null;
                    if (check.TrustedTime is null)
                    {
                        // Checked against the clock: the verdict holds only while the certificate (and its window) does.
                        validUntil = signature.NotAfter;
                        if (certificate.NotAfter is { } windowEnd && windowEnd < validUntil) validUntil = windowEnd;
                    }
                    return new PackageTrustResult(id, version, package.Path, TrustVerdict.Allowed, null,
                        $"signer '{signer.Name}' ({signature.FriendlyName})", validUntil);
                }
            }
        }

        string signedBy = DescribeSigners(package, bundles);
        if (failure is null && rule is not null && (outsideRule.Count > 0 || package.IsSigned || bundles.Count > 0))
        {
            failure = TrustMessages.PackageRuleNotSatisfied(id, version, rule.Id.Text, policy.Source,
                string.Join(" or ", rule.Signers.Select(s => $"'{s}'")), signedBy);
        }
        if (failure is null && (package.IsSigned || bundles.Count > 0)) failure = TrustMessages.PackageSignerNotTrusted(id, version, signedBy, policy.Source);
        failure ??= TrustMessages.PackageUnsigned(id, version, policy.Source);
        return ApplyExceptions(policy, id, version, package.Path, failure, now);
    }

    /// <summary>For a package that cannot be checked by signature (no .nupkg, or unsigned with no other way in): exceptions decide.</summary>
    public static PackageTrustResult ApplyExceptions(TrustPolicy policy, string id, string version, string? nupkgPath, Diagnostic failure, DateTimeOffset now)
    {
        var matching = NuGetVersion.TryParse(version, out var parsed)
            ? policy.Exceptions.Where(e => e.Matches(id, parsed)).ToList()
            : policy.Exceptions.Where(e => e.Versions is null && e.Id.Matches(id)).ToList();
        var active = matching.Where(e => e.Expires > now).OrderByDescending(e => e.Expires).FirstOrDefault();
        if (active is not null)
        {
            return new PackageTrustResult(id, version, nupkgPath, TrustVerdict.AllowedByException, null,
                $"exception '{active.Describe()}' ({active.Reason}), until {active.Expires.UtcDateTime:yyyy-MM-dd}", active.Expires);
        }
        var expired = matching.OrderByDescending(e => e.Expires).FirstOrDefault();
        if (expired is not null)
        {
            failure = TrustMessages.PackageExceptionExpired(id, version, expired.Describe(), policy.Source, expired.Expires, expired.Reason);
        }
        return Deny(policy, id, version, nupkgPath, failure);
    }

    /// <summary>Denied, or an audit warning when the policy audits.</summary>
    public static PackageTrustResult Deny(TrustPolicy policy, string id, string version, string? nupkgPath, Diagnostic diagnostic) =>
        new(id, version, nupkgPath, policy.Mode == TrustMode.Audit ? TrustVerdict.AuditWarning : TrustVerdict.Denied, diagnostic, null);

    private static bool Fits(SignerKind kind, PackageSignature signature) =>
        kind == SignerKind.Author ? signature.Kind == SignerKind.Author && !signature.IsCountersignature : signature.Kind == SignerKind.Repository;

    private static string DescribeSigners(InspectedPackage package, IReadOnlyList<CarriedBundle> bundles)
    {
        var parts = package.Signatures.Select(s => s.Describe()).ToList();
        parts.AddRange(bundles.Select(b => b.KeyId is null ? $"BuildSigning bundle '{b.Entry}' (unreadable)" : $"BuildSigning bundle '{b.Entry}' by key {b.KeyId.Hex}"));
        if (parts.Count == 0 && package.BundleEntries.Count > 0) parts.AddRange(package.BundleEntries.Select(e => $"BuildSigning bundle '{e}'"));
        return parts.Count == 0 ? "nothing" : string.Join("; ", parts);
    }
}
