using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Packages;
using BuildSigning.Core.Sbom;
using BuildSigning.Core.Provenance;
using BuildSigning.Core.Transparency;
using NuGet.Versioning;

namespace BuildSigning.Core.Gate;

/// <summary>One check of the gate: its stable name, whether it passed, and why.</summary>
public sealed record GateCheck(string Name, bool Passed, string Reason)
{
    public string Status => Passed ? "pass" : "fail";
}

/// <summary>A distinct public key that signed or approved the primary statement(s), and whether it counted.</summary>
public sealed record GateSigner(string KeyId, IReadOnlyList<string> Names, bool Counted, string Detail);

public sealed record GateFile(string Name, string Sha256);

public sealed record GateResult(string Target, string TargetKind, string Policy, IReadOnlyList<GateCheck> Checks, IReadOnlyList<GateSigner> Signers, IReadOnlyList<GateFile> Files)
{
    public bool Passed => Checks.All(c => c.Passed);
    public string Verdict => Passed ? "pass" : "fail";
}

/// <summary>
/// The deployment gate: verifies a signed folder or package (every file, every bundle), then counts the distinct valid
/// keys over each statement (the build's own signature and every approval), then applies the policy's threshold, required
/// attestations, provenance rules and SBOM rules. Each step is one or more named <see cref="GateCheck"/>s.
/// </summary>
public static class GateEvaluator
{
    public const string SignatureCheck = "signature";
    public const string ThresholdCheck = "threshold";
    public const string TransparencyLogCheck = "transparency-log";
    public const string ProvenanceCheck = "provenance";
    public const string LicensesCheck = "sbom-licenses";
    public const string PackagesCheck = "sbom-packages";
    public static string RequireCheck(AttestationKind kind) => "require-" + KindName(kind);

    public static string KindName(AttestationKind kind) => kind switch
    {
        AttestationKind.Spdx => "spdx",
        AttestationKind.CycloneDx => "cyclonedx",
        _ => "provenance",
    };

    /// <summary>One signed bundle of the target (a statement, or the package file's own signature) and the keys that validly signed it.</summary>
    private sealed record Item(string BundlePath, string Kind, InTotoStatement? Statement, List<KeyId> Counted);

    /// <summary>What the transparency-log rule did over all signatures by policy keys.</summary>
    private sealed class LogTally
    {
        public int Logged;
        public int Exempt;
        public List<string> Refused { get; } = [];
    }

    public static GateResult Evaluate(string target, GatePolicy policy, DateTimeOffset? now = null)
    {
        var time = now ?? DateTimeOffset.UtcNow;
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        bool isPackage = ApprovalLayout.IsPackage(full);
        if (!isPackage && !Directory.Exists(full)) throw Errors.GateInputNotFound(full);
        var checks = new List<GateCheck>();
        var files = new List<GateFile>();
        var signers = new Dictionary<KeyId, (bool Counted, string Detail)>();
        var keys = ResolveKeys(full, isPackage, policy);

        // 1. Integrity: every file and bundle verifies with a key the policy names.
        var items = new List<Item>();
        string? failure = null;
        try
        {
            if (isPackage)
            {
                var report = PackageVerifier.Verify(full, keys);
                string blob = PackageAttestor.BlobBundlePath(full);
                if (report.BundleSigner is null)
                {
                    // Signed by key inside only: no bundle beside it over which signers and approvals are counted.
                    throw Errors.NoAttestations(full);
                }
                items.Add(new Item(blob, "package", null, []));
                items.AddRange(report.Attestations.Select(a => new Item(a.BundlePath, Kind(a.Statement), a.Statement, [])));
                files.Add(new GateFile(Path.GetFileName(full), Hex.Lower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(full)))));
                checks.Add(new GateCheck(SignatureCheck, true, $"NuGet signature by {report.SignerSubject}, the package's Sigstore bundle and {report.Attestations.Count} attestation(s) verify."));
            }
            else
            {
                var report = OutputVerifier.Verify(full, keys);
                items.AddRange(report.FileStatements.Select(a => new Item(a.BundlePath, "files", a.Statement, [])));
                items.AddRange(report.Attestations.Select(a => new Item(a.BundlePath, Kind(a.Statement), a.Statement, [])));
                files.AddRange(report.FileStatements.SelectMany(s => s.Statement.Subjects)
                    .Where(s => s.Name != SignedOutputLayout.ManifestSubjectName).Select(s => new GateFile(s.Name, s.Sha256Hex)));
                if (report.Succeeded)
                {
                    checks.Add(new GateCheck(SignatureCheck, true, $"{report.FilesChecked} files match the signed manifest; {report.FileStatements.Count + report.Attestations.Count} bundle(s) verify."));
                }
                else
                {
                    var problems = report.Problems.Take(3).Select(p => p.Diagnostic.Formatted).ToList();
                    if (report.Problems.Count > 3) problems.Add($"(and {report.Problems.Count - 3} more)");
                    if (problems.Count == 0) problems.Add("a subfolder signed on its own does not verify.");
                    failure = string.Join(" ", problems);
                }
            }
        }
        catch (BuildSigningException e)
        {
            failure = e.Message;
        }
        if (failure is not null)
        {
            checks.Add(new GateCheck(SignatureCheck, false, failure));
            return new GateResult(full, isPackage ? "package" : "folder", policy.Source, checks, [], files);
        }

        // 2. Count: for each bundle, the distinct keys (by public key) whose signature verifies and is inside the key's validity.
        var primary = items.Where(i => i.Kind is "files" or "package").ToList();
        var tally = new LogTally();
        foreach (var item in items)
        {
            foreach (string bundlePath in new[] { item.BundlePath }.Concat(ApprovalLayout.Approvals(full, Path.GetFileName(item.BundlePath))))
            {
                var (signer, counted, detail) = CheckSignature(full, item, bundlePath, policy, keys, time, tally);
                if (signer is null) continue;
                if (counted && !item.Counted.Contains(signer)) item.Counted.Add(signer);
                if (primary.Contains(item) && (!signers.TryGetValue(signer, out var seen) || !seen.Counted)) signers[signer] = (counted, detail);
            }
        }

        // 2b. Transparency log: every signature by a policy key must be logged in enough trusted logs (else it did not count above).
        if (policy.TransparencyLogs is { } logs)
        {
            string names = string.Join(", ", logs.Keys.Select(k => k.Name));
            string exempt = tally.Exempt > 0 ? $" {tally.Exempt} package-file signature(s) (message signatures, which are not logged) are exempt." : "";
            if (tally.Refused.Count > 0)
            {
                var shown = tally.Refused.Take(3).ToList();
                if (tally.Refused.Count > 3) shown.Add($"(and {tally.Refused.Count - 3} more)");
                checks.Add(new GateCheck(TransparencyLogCheck, false,
                    $"{tally.Refused.Count} signature(s) are not logged in {logs.Threshold} of the trusted transparency log(s) ({names}) and do not count: {string.Join(" ", shown)}"));
            }
            else if (tally.Logged == 0)
            {
                checks.Add(new GateCheck(TransparencyLogCheck, false, $"no signature carries a transparency-log entry, and the policy requires entries from {logs.Threshold} of ({names}).{exempt}"));
            }
            else
            {
                checks.Add(new GateCheck(TransparencyLogCheck, true,
                    $"{tally.Logged} signature(s) logged in {logs.Threshold} of the trusted transparency log(s) ({names}); body, SET, inclusion proof and checkpoint verified offline.{exempt}"));
            }
        }

        // 3. Threshold over the primary statements (the files, or the package file).
        var thresholdKeys = (policy.Threshold?.KeyNames ?? policy.Keys.Select(k => k.Name))
            .Select(n => policy.Keys.First(k => k.Name == n).Id).Distinct().ToList();
        int required = policy.Threshold?.Count ?? 1;
        var weakest = primary.Select(i => (Item: i, Count: i.Counted.Count(thresholdKeys.Contains))).OrderBy(x => x.Count).First();
        var countedNames = weakest.Item.Counted.Where(thresholdKeys.Contains).Select(id => Names(policy, id)).ToList();
        string listed = policy.Threshold is null ? "any key of the policy" : $"{{{string.Join(", ", policy.Threshold.KeyNames)}}}";
        string duplicate = thresholdKeys.Count < (policy.Threshold?.KeyNames.Count ?? thresholdKeys.Count)
            ? $" ({policy.Threshold!.KeyNames.Count} names but {thresholdKeys.Count} distinct public keys)" : "";
        checks.Add(new GateCheck(ThresholdCheck, weakest.Count >= required,
            $"{weakest.Count} of {required} required distinct key(s) from {listed}{duplicate} signed {Path.GetFileName(weakest.Item.BundlePath)}"
            + (countedNames.Count > 0 ? $": {string.Join(", ", countedNames)}." : ".")));

        // 4. Required attestations.
        foreach (var requirement in policy.Require)
        {
            string kind = KindName(requirement.Kind);
            var present = items.Where(i => i.Kind == kind).ToList();
            if (present.Count == 0)
            {
                checks.Add(new GateCheck(RequireCheck(requirement.Kind), false, $"no {kind} attestation is present, and the policy requires one."));
                continue;
            }
            var least = present.OrderBy(i => i.Counted.Count).First();
            checks.Add(new GateCheck(RequireCheck(requirement.Kind), least.Counted.Count >= requirement.Count,
                $"{Path.GetFileName(least.BundlePath)}: signed by {least.Counted.Count} valid distinct key(s), {requirement.Count} required"
                + (least.Counted.Count > 0 ? $" ({string.Join(", ", least.Counted.Select(id => Names(policy, id)))})." : ".")));
        }

        // 5. Provenance rules.
        if (policy.Provenance is { } rules)
        {
            var provenance = items.Where(i => i.Kind == "provenance").ToList();
            if (provenance.Count == 0) checks.Add(new GateCheck(ProvenanceCheck, false, "the policy has provenance rules, but there is no provenance attestation."));
            else
            {
                var reasons = provenance.SelectMany(p => ProvenanceProblems(p, rules)).ToList();
                checks.Add(new GateCheck(ProvenanceCheck, reasons.Count == 0, reasons.Count == 0
                    ? $"builder '{Builder(provenance[0].Statement!.Predicate)}' and source match the policy."
                    : string.Join(" ", reasons)));
            }
        }

        // 6. SBOM rules.
        if (policy.Sbom is { } sbom)
        {
            var sboms = items.Where(i => i.Kind is "spdx" or "cyclonedx").ToList();
            if (sboms.Count == 0)
            {
                checks.Add(new GateCheck(LicensesCheck, false, "the policy has SBOM rules, but there is no SBOM attestation."));
            }
            else
            {
                var packages = sboms.SelectMany(s => SbomPackages(s.Statement!)).ToList();
                if (sbom.DeniedLicenses.Count > 0 || sbom.AllowedLicenses.Count > 0)
                {
                    var reasons = new SortedSet<string>(StringComparer.Ordinal);
                    foreach (var package in packages)
                    {
                        foreach (string expression in package.Licenses)
                        {
                            if (LicenseExpression.Acceptable(expression, sbom.DeniedLicenses, sbom.AllowedLicenses, out string why)) continue;
                            reasons.Add($"{package.Name} {package.Version} is licensed '{expression}': {why}");
                        }
                    }
                    checks.Add(new GateCheck(LicensesCheck, reasons.Count == 0, reasons.Count == 0
                        ? $"{packages.Select(p => (p.Name, p.Version)).Distinct().Count()} package(s): no denied licence."
                        : string.Join(" ", reasons)));
                }
                if (sbom.DeniedPackages.Count > 0)
                {
                    var reasons = new SortedSet<string>(StringComparer.Ordinal);
                    foreach (var package in packages.Where(p => p.IsNuGet))
                    {
                        foreach (var denied in sbom.DeniedPackages)
                        {
                            if (!denied.Id.Matches(package.Name)) continue;
                            if (denied.Versions is { } range && !(NuGetVersion.TryParse(package.Version, out var version) && range.Satisfies(version))) continue;
                            reasons.Add($"{package.Name} {package.Version} is denied ({denied.Id}{(denied.Versions is null ? "" : " " + denied.Versions.OriginalString)}): {denied.Reason ?? "no reason given"}.");
                        }
                    }
                    checks.Add(new GateCheck(PackagesCheck, reasons.Count == 0, reasons.Count == 0
                        ? $"none of {packages.Count(p => p.IsNuGet)} NuGet package entries is denied."
                        : string.Join(" ", reasons)));
                }
            }
        }

        var signerList = signers.Select(s => new GateSigner(s.Key.Hex, policy.Keys.Where(k => k.Id.Equals(s.Key)).Select(k => k.Name).ToArray(), s.Value.Counted, s.Value.Detail))
            .OrderByDescending(s => s.Counted).ThenBy(s => s.KeyId, StringComparer.Ordinal).ToArray();
        return new GateResult(full, isPackage ? "package" : "folder", policy.Source, checks, signerList, files);
    }

    private static string Names(GatePolicy policy, KeyId id) =>
        string.Join("/", policy.Keys.Where(k => k.Id.Equals(id)).Select(k => k.Name)) is { Length: > 0 } names ? names : id.Hex[..16];

    private static string Kind(InTotoStatement statement) => statement.PredicateType switch
    {
        var t when t.StartsWith("https://spdx.dev/Document", StringComparison.Ordinal) => "spdx",
        var t when t.StartsWith("https://cyclonedx.org/bom", StringComparison.Ordinal) => "cyclonedx",
        var t when t.StartsWith("https://slsa.dev/provenance/", StringComparison.Ordinal) => "provenance",
        SignedOutputLayout.PredicateType => "files",
        _ => "other",
    };

    /// <summary>
    /// The keys to verify with: every key of the policy with its public key, and a key known only by id in the certificate of
    /// a bundle of the target whose key has that id.
    /// </summary>
    private static List<VerificationKey> ResolveKeys(string target, bool isPackage, GatePolicy policy)
    {
        var keys = policy.VerificationKeys.ToList();
        var idOnly = policy.Keys.Where(k => k.Key is null).Select(k => k.Id).ToList();
        if (idOnly.Count == 0) return keys;
        IEnumerable<string> bundles = isPackage
            ? Directory.EnumerateFiles(Path.GetDirectoryName(target)!, Path.GetFileName(target) + "*" + SigstoreBundle.FileSuffix)
            : Directory.Exists(SignedOutputLayout.AttestationDirectory(target))
                ? Directory.EnumerateFiles(SignedOutputLayout.AttestationDirectory(target), "*" + SigstoreBundle.FileSuffix, SearchOption.AllDirectories) : [];
        if (Directory.Exists(ApprovalLayout.Root(target))) bundles = bundles.Concat(Directory.EnumerateFiles(ApprovalLayout.Root(target), "*" + SigstoreBundle.FileSuffix, SearchOption.AllDirectories));
        foreach (string path in bundles.Distinct())
        {
            if (FromCertificate(path) is { } key && idOnly.Contains(key.Id) && !keys.Any(k => k.Id.Equals(key.Id))) keys.Add(key);
        }
        return keys;
    }

    private static VerificationKey? FromCertificate(string bundlePath)
    {
        try
        {
            if (BundleVerifier.ReadBundle(bundlePath).CertificateDer is not { } der) return null;
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            return VerificationKey.FromCertificate(certificate, bundlePath);
        }
        catch (Exception e) when (e is BuildSigningException or System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Verifies one signature (the original or an approval) over an item; says which key signed, and whether it counts.</summary>
    private static (KeyId? Signer, bool Counted, string Detail) CheckSignature(string target, Item item, string bundlePath, GatePolicy policy, List<VerificationKey> keys, DateTimeOffset now, LogTally tally)
    {
        SigstoreBundle bundle;
        try
        {
            bundle = BundleVerifier.ReadBundle(bundlePath);
        }
        catch (BuildSigningException)
        {
            return (null, false, "");
        }
        byte[] signature;
        VerificationKey signer;
        try
        {
            if (item.Kind == "package")
            {
                using var stream = File.OpenRead(target);
                signer = BundleVerifier.VerifyBlob(bundlePath, bundle, stream, keys);
                signature = bundle.Message!.Signature;
            }
            else
            {
                var original = BundleVerifier.ReadBundle(item.BundlePath).Dsse!;
                var verified = BundleVerifier.VerifyStatement(bundlePath, bundle, keys);
                if (!verified.Bundle.Dsse!.Payload.AsSpan().SequenceEqual(original.Payload)) return (null, false, "");
                signer = verified.SignedBy;
                signature = bundle.Dsse!.Signatures[0].Signature;
            }
        }
        catch (BuildSigningException)
        {
            // An approval by a key the policy does not name, or one that does not verify, counts for nothing.
            return (null, false, "");
        }

        // The signing time: a timestamp from a trusted authority, else a verified transparency-log entry's integrated time, else now.
        var signedAt = now;
        string when = "at the time of verification (no trusted timestamp)";
        bool timestamped = false;
        if (policy.TimestampAuthorities.Count > 0)
        {
            var roots = new X509Certificate2Collection();
            roots.AddRange(policy.TimestampAuthorities.ToArray());
            foreach (var token in bundle.Rfc3161Timestamps)
            {
                try
                {
                    var stamp = Rfc3161Client.Verify(token, signature, bundlePath, roots);
                    signedAt = stamp.Time;
                    timestamped = true;
                    when = $"{Date(stamp.Time)} (trusted RFC 3161 timestamp by {stamp.TsaCertificate.Subject})";
                    break;
                }
                catch (BuildSigningException) { }
            }
        }

        if (policy.TransparencyLogs is { } logs)
        {
            string name = Path.GetRelativePath(target, bundlePath) is var relative && !relative.StartsWith("..", StringComparison.Ordinal) ? relative : Path.GetFileName(bundlePath);
            if (bundle.Dsse is not { } envelope)
            {
                tally.Exempt++;
            }
            else
            {
                var (logged, earliest, reason) = LoggedBy(bundle, envelope, signer, logs);
                if (logged.Count < logs.Threshold)
                {
                    tally.Refused.Add($"{name} ({Names(policy, signer.Id)}): {reason}.");
                    return (signer.Id, false, $"not counted: {reason}");
                }
                tally.Logged++;
                if (!timestamped && earliest is { } entry)
                {
                    signedAt = entry.IntegratedTime;
                    when = $"{Date(entry.IntegratedTime)} (integrated time of entry {entry.LogIndex} in the transparency log '{logs.Keys.First(k => ReferenceEquals(k.Key, entry.LogKey)).Name}')";
                }
            }
        }

        var entries = policy.Keys.Where(k => k.Id.Equals(signer.Id)).ToList();
        foreach (var revocation in policy.Revoked.Where(r => r.KeyId.Equals(signer.Id)))
        {
            if (signedAt >= revocation.RevokedOn)
            {
                return (signer.Id, false, $"revoked on {Date(revocation.RevokedOn)} ({revocation.Reason ?? "no reason given"}); signed {when}");
            }
        }
        var inside = entries.Where(k => (k.NotBefore is not { } nb || signedAt >= nb) && (k.NotAfter is not { } na || signedAt < na)).ToList();
        if (inside.Count == 0)
        {
            var k = entries[0];
            return (signer.Id, false, $"signed {when}, outside the key's validity ({(k.NotBefore is { } nb ? Date(nb) : "any time")} to {(k.NotAfter is { } na ? Date(na) : "any time")})");
        }
        return (signer.Id, true, $"valid: signed {when}");
    }

    /// <summary>
    /// The trusted logs (distinct by public key) whose entries in this bundle verify offline, the earliest verified entry, and
    /// why the bundle falls short when it does.
    /// </summary>
    private static (List<string> Logs, VerifiedLogEntry? Earliest, string Reason) LoggedBy(SigstoreBundle bundle, DsseEnvelope envelope, VerificationKey signer, GateTransparencyLogs logs)
    {
        var logged = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        VerifiedLogEntry? earliest = null;
        var problems = new List<string>();
        foreach (var entry in bundle.TlogEntries)
        {
            var trusted = logs.Keys.FirstOrDefault(k => System.Security.Cryptography.SHA256.HashData(k.Key.SubjectPublicKeyInfo).AsSpan().SequenceEqual(entry.LogId));
            if (trusted is null)
            {
                problems.Add($"entry {entry.LogIndex} is in a log the policy does not trust (log id {Hex.Lower(entry.LogId)})");
                continue;
            }
            if (TransparencyLogVerifier.Check(entry, envelope, signer, trusted.Key) is { } failure)
            {
                problems.Add($"entry {entry.LogIndex} in '{trusted.Name}' fails the {failure.Check} check: {failure.Reason}");
                continue;
            }
            if (seen.Add(Convert.ToHexString(trusted.Key.SubjectPublicKeyInfo))) logged.Add(trusted.Name);
            if (earliest is null || entry.IntegratedAt < earliest.IntegratedTime)
            {
                earliest = new VerifiedLogEntry(entry.LogIndex, entry.IntegratedAt, trusted.Key, entry.InclusionProof!.TreeSize);
            }
        }
        string reason = bundle.TlogEntries.Count == 0
            ? "the bundle carries no transparency-log entry"
            : $"verified entries in {logged.Count} of {logs.Threshold} required distinct trusted log(s)"
                + (problems.Count > 0 ? "; " + string.Join("; ", problems) : "");
        return (logged, earliest, reason);
    }

    private static string Date(DateTimeOffset time) => time.UtcDateTime.TimeOfDay == TimeSpan.Zero
        ? time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
        : time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    // ----- provenance -----

    private static string? Builder(JsonObject predicate) => Str(predicate["runDetails"]?["builder"]?["id"]);

    private static IEnumerable<string> ProvenanceProblems(Item item, GateProvenanceRules rules)
    {
        var predicate = item.Statement!.Predicate;
        string name = Path.GetFileName(item.BundlePath);
        string? builder = Builder(predicate);
        if (rules.BuilderIds.Count > 0 && (builder is null || !rules.BuilderIds.Contains(builder, StringComparer.Ordinal)))
        {
            yield return $"{name}: the builder id is '{builder ?? "missing"}', not one the policy allows ({string.Join(", ", rules.BuilderIds)}).";
        }
        string? buildType = Str(predicate["buildDefinition"]?["buildType"]);
        if (rules.BuildType is { } type && buildType != type)
        {
            yield return $"{name}: the build type is '{buildType ?? "missing"}', not '{type}'.";
        }
        var external = predicate["buildDefinition"]?["externalParameters"];
        var dependencies = predicate["buildDefinition"]?["resolvedDependencies"] as JsonArray ?? [];
        var repositories = new List<string>();
        if (Str(external?["source"]?["repository"]) is { } repository) repositories.Add(NormalizeRepository(repository));
        var commits = new List<string>();
        foreach (var dependency in dependencies)
        {
            if (Str(dependency?["digest"]?["gitCommit"]) is not { } commit) continue;
            commits.Add(commit.ToLowerInvariant());
            if (Str(dependency?["uri"]) is { } uri) repositories.Add(NormalizeRepository(uri));
        }
        if (rules.SourceRepository is { } wanted)
        {
            bool prefix = wanted.EndsWith('*');
            string expected = prefix ? wanted[..^1] : NormalizeRepository(wanted);
            bool match = repositories.Any(r => prefix ? r.StartsWith(expected, StringComparison.Ordinal) : r == expected);
            if (!match)
            {
                yield return $"{name}: the source repository is {(repositories.Count == 0 ? "not recorded" : "'" + string.Join("', '", repositories.Distinct()) + "'")}, not {(prefix ? "under " : "")}'{expected}'.";
            }
        }
        if (rules.Commit is { } wantedCommit && !commits.Any(c => c.StartsWith(wantedCommit, StringComparison.Ordinal)))
        {
            yield return $"{name}: the source commit is {(commits.Count == 0 ? "not recorded" : "'" + string.Join("', '", commits) + "'")}, not '{wantedCommit}'.";
        }
    }

    /// <summary>"git+https://host/repo.git@refs/heads/main" and "https://host/repo/" both become "https://host/repo".</summary>
    private static string NormalizeRepository(string uri)
    {
        string text = uri.Trim();
        if (text.StartsWith("git+", StringComparison.OrdinalIgnoreCase)) text = text[4..];
        int at = text.IndexOf('@', text.IndexOf("://", StringComparison.Ordinal) is int s and >= 0 ? s + 3 : 0);
        if (at > 0 && text.IndexOf('/', text.IndexOf("://", StringComparison.Ordinal) + 3) is int slash && slash > 0 && at > slash) text = text[..at];
        text = text.TrimEnd('/');
        if (text.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) text = text[..^4];
        return text;
    }

    // ----- SBOM -----

    private sealed record SbomPackage(string Name, string Version, bool IsNuGet, IReadOnlyList<string> Licenses);

    private static IEnumerable<SbomPackage> SbomPackages(InTotoStatement statement)
    {
        var document = statement.Predicate;
        if (Str(document["bomFormat"]) == "CycloneDX")
        {
            var stack = new Stack<JsonNode?>();
            if (document["metadata"]?["component"] is { } root) stack.Push(root);
            foreach (var c in document["components"] as JsonArray ?? []) stack.Push(c);
            while (stack.Count > 0)
            {
                var component = stack.Pop();
                if (component is null) continue;
                foreach (var c in component["components"] as JsonArray ?? []) stack.Push(c);
                if (Str(component["type"]) is "file") continue;
                var licenses = new List<string>();
                foreach (var license in component["licenses"] as JsonArray ?? [])
                {
                    if (Str(license?["expression"]) is { } expression) licenses.Add(expression);
                    else if (Str(license?["license"]?["id"]) is { } id) licenses.Add(id);
                    else if (Str(license?["license"]?["name"]) is { } name) licenses.Add(name);
                }
                string? purl = Str(component["purl"]);
                yield return new SbomPackage(Str(component["name"]) ?? "", Str(component["version"]) ?? "",
                    purl?.StartsWith("pkg:nuget/", StringComparison.Ordinal) ?? false, licenses.Count == 0 ? ["NOASSERTION"] : licenses);
            }
            yield break;
        }
        foreach (var package in document["packages"] as JsonArray ?? [])
        {
            if (package is null) continue;
            var licenses = new[] { Str(package["licenseDeclared"]), Str(package["licenseConcluded"]) }
                .Where(l => l is { Length: > 0 } && l != "NOASSERTION").Select(l => l!).Distinct().ToList();
            bool nuget = (package["externalRefs"] as JsonArray ?? []).Any(r => Str(r?["referenceLocator"])?.StartsWith("pkg:nuget/", StringComparison.Ordinal) ?? false);
            yield return new SbomPackage(Str(package["name"]) ?? "", Str(package["versionInfo"]) ?? "", nuget, licenses.Count == 0 ? ["NOASSERTION"] : licenses);
        }
    }

    private static string? Str(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}

/// <summary>Evaluates an SPDX licence expression against denied and allowed ids: OR needs one acceptable side, AND both.</summary>
public static class LicenseExpression
{
    public static bool Acceptable(string expression, IReadOnlyList<string> denied, IReadOnlyList<string> allowed, out string reason)
    {
        reason = "";
        var tokens = Tokenize(expression);
        int position = 0;
        string? why = null;
        bool ok;
        try
        {
            ok = ParseOr(tokens, ref position, denied, allowed, ref why);
            if (position != tokens.Count) throw new FormatException();
        }
        catch (FormatException)
        {
            ok = IdAcceptable(expression.Trim(), denied, allowed, ref why);
        }
        if (!ok) reason = why ?? "not acceptable.";
        return ok;
    }

    private static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            int start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')')) i++;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    private static bool ParseOr(List<string> t, ref int p, IReadOnlyList<string> d, IReadOnlyList<string> a, ref string? why)
    {
        bool result = ParseAnd(t, ref p, d, a, ref why);
        while (p < t.Count && t[p].Equals("OR", StringComparison.OrdinalIgnoreCase))
        {
            p++;
            bool right = ParseAnd(t, ref p, d, a, ref why);
            result = result || right;
        }
        return result;
    }

    private static bool ParseAnd(List<string> t, ref int p, IReadOnlyList<string> d, IReadOnlyList<string> a, ref string? why)
    {
        bool result = ParseWith(t, ref p, d, a, ref why);
        while (p < t.Count && t[p].Equals("AND", StringComparison.OrdinalIgnoreCase))
        {
            p++;
            bool right = ParseWith(t, ref p, d, a, ref why);
            result = result && right;
        }
        return result;
    }

    private static bool ParseWith(List<string> t, ref int p, IReadOnlyList<string> d, IReadOnlyList<string> a, ref string? why)
    {
        bool result = ParseAtom(t, ref p, d, a, ref why);
        if (p < t.Count && t[p].Equals("WITH", StringComparison.OrdinalIgnoreCase))
        {
            p += 2;
            if (p > t.Count) throw new FormatException();
        }
        return result;
    }

    private static bool ParseAtom(List<string> t, ref int p, IReadOnlyList<string> d, IReadOnlyList<string> a, ref string? why)
    {
        if (p >= t.Count) throw new FormatException();
        if (t[p] == "(")
        {
            p++;
            bool inner = ParseOr(t, ref p, d, a, ref why);
            if (p >= t.Count || t[p] != ")") throw new FormatException();
            p++;
            return inner;
        }
        if (t[p] is ")" || t[p].Equals("AND", StringComparison.OrdinalIgnoreCase) || t[p].Equals("OR", StringComparison.OrdinalIgnoreCase)) throw new FormatException();
        return IdAcceptable(t[p++], d, a, ref why);
    }

    private static bool IdAcceptable(string id, IReadOnlyList<string> denied, IReadOnlyList<string> allowed, ref string? why)
    {
        string bare = id.TrimEnd('+');
        if (denied.Any(x => x.Equals(id, StringComparison.OrdinalIgnoreCase) || x.Equals(bare, StringComparison.OrdinalIgnoreCase)))
        {
            why ??= $"{id} is denied by the policy (deniedLicenses).";
            return false;
        }
        if (allowed.Count > 0 && !allowed.Any(x => x.Equals(id, StringComparison.OrdinalIgnoreCase) || x.Equals(bare, StringComparison.OrdinalIgnoreCase)))
        {
            why ??= $"{id} is not in the policy's allowedLicenses.";
            return false;
        }
        return true;
    }
}
