using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Trust;

/// <summary>
/// A BuildSigningTrustedSigner item: one certificate of an author or repository. Items with the same name make one
/// signer (or add certificates to the policy file's signer of that name). Metadata arrive as MSBuild strings.
/// </summary>
/// <param name="Name">The item identity (the signer's name, e.g. "contoso").</param>
/// <param name="Kind">"author" or "repository".</param>
/// <param name="Fingerprint">Certificate fingerprint, hex.</param>
/// <param name="HashAlgorithm">SHA256 (default), SHA384 or SHA512.</param>
/// <param name="Owners">Repository signers only: package owners, at least one of which a package must have.</param>
/// <param name="AllowUntrustedRoot">"true" to trust the fingerprint even when its chain ends in an untrusted root.</param>
/// <param name="NotBefore">ISO-8601; signatures made earlier do not count.</param>
/// <param name="NotAfter">ISO-8601; signatures made later do not count.</param>
public sealed record TrustedSignerItem(string Name, string Kind, string Fingerprint, string? HashAlgorithm = null,
    IReadOnlyList<string>? Owners = null, string? AllowUntrustedRoot = null, string? NotBefore = null, string? NotAfter = null);

/// <summary>A BuildSigningAllowUnsigned item: lets matching packages through without a trusted signature until it expires.</summary>
/// <param name="IdPattern">The item identity: a package id or a prefix ending in '*'.</param>
/// <param name="VersionRange">Optional NuGet version range, e.g. [1.0,2.0).</param>
/// <param name="Reason">Required: why the package may be unsigned.</param>
/// <param name="Expires">Required: ISO-8601 date from which the exception no longer applies.</param>
public sealed record UnsignedExceptionItem(string IdPattern, string? VersionRange, string? Reason, string? Expires);

/// <summary>A BuildSigningTrustedKey item: a key for BuildSigning Sigstore bundles carried in packages.</summary>
/// <param name="Name">The item identity.</param>
/// <param name="PublicKeyFile">A PEM public key or certificate file; or</param>
/// <param name="KeyId">its key id (hex SHA-256 of the SubjectPublicKeyInfo).</param>
public sealed record TrustedKeyItem(string Name, string? PublicKeyFile, string? KeyId);

/// <summary>A BuildSigningRevokedSigner item: a certificate fingerprint or key id no longer trusted from a date on.</summary>
public sealed record RevocationItem(string FingerprintOrKeyId, string? HashAlgorithm, string? RevokedOn, string? Reason, bool IsKey = false);

/// <summary>Everything the MSBuild side can add to (or override in) the policy file.</summary>
public sealed record TrustPolicyItems
{
    public string? Mode { get; init; }
    public IReadOnlyList<TrustedSignerItem> Signers { get; init; } = [];
    public IReadOnlyList<UnsignedExceptionItem> Exceptions { get; init; } = [];
    public IReadOnlyList<TrustedKeyItem> Keys { get; init; } = [];
    public IReadOnlyList<RevocationItem> Revocations { get; init; } = [];

    public bool IsEmpty => string.IsNullOrWhiteSpace(Mode) && Signers.Count == 0 && Exceptions.Count == 0 && Keys.Count == 0 && Revocations.Count == 0;
}

/// <summary>Combines a policy (from a file, or the built-in one) with MSBuild items. Items add; Mode, when set, replaces.</summary>
public static class TrustPolicyMerger
{
    public const string SignerItemType = "BuildSigningTrustedSigner";
    public const string ExceptionItemType = "BuildSigningAllowUnsigned";
    public const string KeyItemType = "BuildSigningTrustedKey";
    public const string RevocationItemType = "BuildSigningRevokedSigner";
    public const string ModeProperty = "BuildSigningTrustMode";

    /// <summary>
    /// The merged policy, or every item error (then Policy is null). A signer item whose name matches a signer of the same
    /// kind adds its certificate (and owners) to it; a new name makes a new signer. Relative key files resolve against
    /// <paramref name="baseDirectory"/> (the project directory).
    /// </summary>
    public static TrustPolicyReadResult Merge(TrustPolicy policy, TrustPolicyItems items, string? baseDirectory = null)
    {
        if (items.IsEmpty) return new TrustPolicyReadResult(policy, []);
        var errors = new List<Diagnostic>();
        void Error(string type, string identity, string reason) => errors.Add(Errors.TrustPolicyInvalidItem(type, identity, reason).Diagnostic);

        var mode = policy.Mode;
        if (!string.IsNullOrWhiteSpace(items.Mode) && !TrustPolicyReader.TryParseMode(items.Mode, out mode))
        {
            Error(ModeProperty, items.Mode, "the mode must be 'enforce' or 'audit'.");
        }

        var signers = policy.Signers.ToList();
        foreach (var item in items.Signers)
        {
            string name = item.Name?.Trim() ?? "";
            if (name.Length == 0) { Error(SignerItemType, item.Name ?? "", "its name (the item identity) is empty."); continue; }
            if (!TrustPolicyReader.TryParseKind(item.Kind ?? "", out var kind)) { Error(SignerItemType, name, $"Kind must be 'author' or 'repository', not '{item.Kind}'."); continue; }
            if (!CertificateFingerprint.TryParseAlgorithm(item.HashAlgorithm, out var algorithm)) { Error(SignerItemType, name, $"HashAlgorithm must be SHA256, SHA384 or SHA512, not '{item.HashAlgorithm}'."); continue; }
            if (!CertificateFingerprint.TryParse(item.Fingerprint, algorithm, out var fingerprint, out string reason)) { Error(SignerItemType, name, $"Fingerprint '{item.Fingerprint}' is not a {algorithm.Name} fingerprint: {reason}"); continue; }
            bool allowUntrusted = false;
            if (!string.IsNullOrWhiteSpace(item.AllowUntrustedRoot) && !bool.TryParse(item.AllowUntrustedRoot.Trim(), out allowUntrusted)) { Error(SignerItemType, name, $"AllowUntrustedRoot must be true or false, not '{item.AllowUntrustedRoot}'."); continue; }
            if (!TryDate(item.NotBefore, out var notBefore)) { Error(SignerItemType, name, $"NotBefore '{item.NotBefore}' is not an ISO-8601 date."); continue; }
            if (!TryDate(item.NotAfter, out var notAfter)) { Error(SignerItemType, name, $"NotAfter '{item.NotAfter}' is not an ISO-8601 date."); continue; }
            var owners = (item.Owners ?? []).Select(o => o.Trim()).Where(o => o.Length > 0).ToList();
            if (owners.Count > 0 && kind == SignerKind.Author) { Error(SignerItemType, name, "Owners applies to repository signers only."); continue; }

            var certificate = new TrustedCertificate(fingerprint!, allowUntrusted, notBefore, notAfter);
            int existing = signers.FindIndex(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
            if (existing < 0)
            {
                signers.Add(new TrustedSigner(name, kind, [certificate], owners));
            }
            else if (signers[existing].Kind != kind)
            {
                Error(SignerItemType, name, $"the policy already has a signer '{name}' of kind {signers[existing].Kind.ToString().ToLowerInvariant()}; use another name.");
            }
            else
            {
                var s = signers[existing];
                signers[existing] = s with
                {
                    Certificates = [.. s.Certificates, certificate],
                    Owners = [.. s.Owners, .. owners.Where(o => !s.Owners.Contains(o, StringComparer.OrdinalIgnoreCase))],
                };
            }
        }

        var exceptions = policy.Exceptions.ToList();
        foreach (var item in items.Exceptions)
        {
            string identity = item.IdPattern ?? "";
            if (!PackageIdPattern.TryParse(item.IdPattern, out var pattern, out string reason)) { Error(ExceptionItemType, identity, $"'{identity}' is not a package id pattern: {reason}"); continue; }
            NuGet.Versioning.VersionRange? range = null;
            if (!string.IsNullOrWhiteSpace(item.VersionRange) && !TrustPolicyReader.TryParseRange(item.VersionRange, out range, out string rangeReason)) { Error(ExceptionItemType, identity, $"VersionRange '{item.VersionRange}' is invalid: {rangeReason}"); continue; }
            if (string.IsNullOrWhiteSpace(item.Reason)) { Error(ExceptionItemType, identity, "Reason is required: say why this package may be unsigned."); continue; }
            if (string.IsNullOrWhiteSpace(item.Expires)) { Error(ExceptionItemType, identity, "Expires is required: every exception needs an end date, e.g. 2027-01-31."); continue; }
            if (!TrustPolicyReader.TryParseDate(item.Expires, out var expires)) { Error(ExceptionItemType, identity, $"Expires '{item.Expires}' is not an ISO-8601 date."); continue; }
            exceptions.Add(new UnsignedException(pattern!, range, item.Reason.Trim(), expires));
        }

        var keys = policy.Keys.ToList();
        foreach (var item in items.Keys)
        {
            string name = item.Name?.Trim() ?? "";
            bool hasFile = !string.IsNullOrWhiteSpace(item.PublicKeyFile), hasId = !string.IsNullOrWhiteSpace(item.KeyId);
            if (name.Length == 0) { Error(KeyItemType, item.Name ?? "", "its name (the item identity) is empty."); continue; }
            if (hasFile == hasId) { Error(KeyItemType, name, "set exactly one of PublicKeyFile and KeyId."); continue; }
            if (hasId)
            {
                if (!KeyId.TryParse(item.KeyId, out var keyId)) { Error(KeyItemType, name, $"KeyId '{item.KeyId}' is not 64 hex digits (SHA-256 of the key)."); continue; }
                keys.Add(new TrustedKey(name, keyId!, null));
                continue;
            }
            try
            {
                var key = VerificationKey.FromFile(Path.GetFullPath(item.PublicKeyFile!, baseDirectory ?? Environment.CurrentDirectory));
                keys.Add(new TrustedKey(name, key.Id, key));
            }
            catch (BuildSigningException e)
            {
                Error(KeyItemType, name, e.Diagnostic.Text);
            }
        }

        var revocations = policy.Revocations.ToList();
        foreach (var item in items.Revocations)
        {
            string identity = item.FingerprintOrKeyId ?? "";
            if (!TryDate(item.RevokedOn, out var revokedOn) || revokedOn is null) { Error(RevocationItemType, identity, $"RevokedOn '{item.RevokedOn}' is required and must be an ISO-8601 date."); continue; }
            if (item.IsKey)
            {
                if (!KeyId.TryParse(identity, out var keyId)) { Error(RevocationItemType, identity, "it is not a key id (64 hex digits)."); continue; }
                revocations.Add(new Revocation(null, keyId, revokedOn.Value, item.Reason));
                continue;
            }
            if (!CertificateFingerprint.TryParseAlgorithm(item.HashAlgorithm, out var algorithm)) { Error(RevocationItemType, identity, $"HashAlgorithm must be SHA256, SHA384 or SHA512, not '{item.HashAlgorithm}'."); continue; }
            if (!CertificateFingerprint.TryParse(identity, algorithm, out var fingerprint, out string reason)) { Error(RevocationItemType, identity, $"it is not a {algorithm.Name} fingerprint: {reason}"); continue; }
            revocations.Add(new Revocation(fingerprint, null, revokedOn.Value, item.Reason));
        }

        if (errors.Count > 0) return new TrustPolicyReadResult(null, errors);
        // Messages name where a rule came from: the file (or the built-in policy) together with the project's items.
        return new TrustPolicyReadResult(policy.With(mode, signers, keys, null, exceptions, revocations, source: $"{policy.Source} with the project's BuildSigning* items"), []);
    }

    private static bool TryDate(string? text, out DateTimeOffset? date)
    {
        date = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (!TrustPolicyReader.TryParseDate(text, out var parsed)) return false;
        date = parsed;
        return true;
    }
}
