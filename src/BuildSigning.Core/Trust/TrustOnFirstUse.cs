using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using BuildSigning.Core.Assets;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Trust;

/// <summary>A restored package: its id and version as the assets file names them and its .nupkg in the package folders (null when absent).</summary>
public sealed record RestoredPackage(string Id, string Version, string? Nupkg);

/// <summary>A signer seen on restored packages, ready to be pinned.</summary>
public sealed record SeenSigner(SignerKind Kind, string Fingerprint, string Subject, bool UntrustedRoot, IReadOnlyList<string> Owners, IReadOnlyList<string> Packages)
{
    /// <summary>A policy name for it: the certificate's CN (or O) in lower case, words joined by '-'.</summary>
    public string SuggestedName => TrustOnFirstUse.NameFromSubject(Subject);
}

/// <summary>What `buildsign init` pins: the signers actually seen on the restored packages, and the unsigned ones.</summary>
public sealed record TrustOnFirstUseResult(IReadOnlyList<RestoredPackage> Packages, IReadOnlyList<SeenSigner> Signers,
    IReadOnlyList<RestoredPackage> Unsigned, IReadOnlyList<RestoredPackage> CoveredByNuGetOrg, IReadOnlyList<(RestoredPackage Package, string Problem)> Unreadable);

/// <summary>
/// Trust on first use: reads the packages restored right now (every project.assets.json given, all targets) and turns
/// what they are signed with into a starter policy: each author certificate and each repository certificate other than
/// nuget.org's (which the built-in signer already trusts) becomes a pinned signer; each package with no signature becomes
/// an unsigned exception for exactly its version, with a reason to fill in and an expiry 90 days out.
/// </summary>
public static class TrustOnFirstUse
{
    public const string ReasonPlaceholder = "TODO: say why this unsigned package may be used (pinned by buildsign init)";
    public const int ExceptionDays = 90;

    /// <summary>Every package of the assets files, each id/version once, sorted.</summary>
    public static IReadOnlyList<RestoredPackage> RestoredPackages(IEnumerable<string> assetsFiles)
    {
        var packages = new SortedDictionary<string, RestoredPackage>(StringComparer.OrdinalIgnoreCase);
        foreach (string file in assetsFiles)
        {
            var assets = ProjectAssetsFile.Load(file);
            foreach (var library in assets.Libraries.Where(l => l.IsPackage))
            {
                string key = library.Name + "/" + library.Version;
                if (packages.ContainsKey(key)) continue;
                string? directory = assets.FindPackageDirectory(library);
                string? nupkg = directory is null ? null : DependencyVerifier.ExpectedNupkg(directory, library.Name, library.Version);
                packages[key] = new RestoredPackage(library.Name, library.Version, nupkg is not null && File.Exists(nupkg) ? nupkg : null);
            }
        }
        return packages.Values.ToList();
    }

    public static TrustOnFirstUseResult Inspect(IReadOnlyList<RestoredPackage> packages)
    {
        NuGetTrustedRoots.Require();
        var signers = new Dictionary<(SignerKind, string), (string Subject, bool UntrustedRoot, SortedSet<string> Owners, List<string> Packages)>();
        var unsigned = new List<RestoredPackage>();
        var nugetOrg = new List<RestoredPackage>();
        var unreadable = new List<(RestoredPackage, string)>();
        var nugetOrgFingerprints = TrustPolicy.NuGetOrgRepositoryCertificates.Select(c => c.Fingerprint.Hex).ToHashSet(StringComparer.Ordinal);
        foreach (var package in packages)
        {
            if (package.Nupkg is null)
            {
                unsigned.Add(package);
                continue;
            }
            using var inspected = PackageSignatureInspector.Open(package.Nupkg);
            if (inspected.ReadError is not null)
            {
                unreadable.Add((package, inspected.ReadError));
                continue;
            }
            if (!inspected.IsSigned)
            {
                unsigned.Add(package);
                continue;
            }
            foreach (var signature in inspected.Signatures)
            {
                string fingerprint = signature.Fingerprint();
                if (signature.Kind == SignerKind.Repository && nugetOrgFingerprints.Contains(fingerprint))
                {
                    nugetOrg.Add(package);
                    continue;
                }
                if (!signers.TryGetValue((signature.Kind, fingerprint), out var seen))
                {
                    // The root decides allowUntrustedRoot: a self-signed or private-root certificate is pinned by fingerprint alone.
                    bool untrustedRoot = inspected.Verify(signature).OnlyUntrustedRoot;
                    signers[(signature.Kind, fingerprint)] = seen = (signature.Subject, untrustedRoot, new SortedSet<string>(StringComparer.OrdinalIgnoreCase), []);
                }
                foreach (string owner in signature.Owners) seen.Owners.Add(owner);
                seen.Packages.Add($"{package.Id} {package.Version}");
            }
        }
        var seenSigners = signers.Select(s => new SeenSigner(s.Key.Item1, s.Key.Item2, s.Value.Subject, s.Value.UntrustedRoot,
                s.Key.Item1 == SignerKind.Repository ? s.Value.Owners.ToList() : [], s.Value.Packages))
            .OrderBy(s => s.Kind).ThenBy(s => s.SuggestedName, StringComparer.Ordinal).ThenBy(s => s.Fingerprint, StringComparer.Ordinal).ToList();
        return new TrustOnFirstUseResult(packages, seenSigners, unsigned, nugetOrg.Distinct().ToList(), unreadable);
    }

    /// <summary>The starter policy text for what was seen, with comments saying where it came from and what to review.</summary>
    public static string WritePolicy(TrustOnFirstUseResult seen, DateTimeOffset now)
    {
        var text = new StringBuilder();
        text.Append("{\n");
        text.Append($"  // Written by `buildsign init` on {now.UtcDateTime:yyyy-MM-dd} from the {seen.Packages.Count} packages restored in this repository (trust on first use):\n");
        text.Append("  // the signers seen on them are pinned, and the unsigned ones are allowed until an expiry date. Review it (docs/trust-policy.md)\n");
        text.Append("  // and change it with `buildsign trust` (add-author, add-repository, allow-unsigned, remove), which keeps comments and layout.\n");
        text.Append("  \"version\": 1,\n");
        text.Append("  \"mode\": \"enforce\",\n");
        text.Append($"  // nuget.org's repository signature is trusted by the built-in signer (it covered {seen.CoveredByNuGetOrg.Count} of these packages).\n");
        text.Append("  \"includeDefaultSigners\": true,\n");
        text.Append("  \"trustedSigners\": [");
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { TrustPolicy.NuGetOrgSignerName };
        for (int i = 0; i < seen.Signers.Count; i++)
        {
            var signer = seen.Signers[i];
            string name = UniqueName(signer.SuggestedName, names);
            text.Append(i == 0 ? "\n" : ",\n").Append(Indent(SignerJson(name, signer), "    "));
        }
        text.Append(seen.Signers.Count == 0 ? "],\n" : "\n  ],\n");
        text.Append("  \"unsignedExceptions\": [");
        string expires = ExpiryDate(now);
        for (int i = 0; i < seen.Unsigned.Count; i++)
        {
            var package = seen.Unsigned[i];
            text.Append(i == 0 ? "\n" : ",\n").Append("    ").Append(ExceptionJson(package.Id, $"[{package.Version}]", ReasonPlaceholder, expires));
        }
        text.Append(seen.Unsigned.Count == 0 ? "]\n" : "\n  ]\n");
        text.Append("}\n");
        return text.ToString();
    }

    public static string ExpiryDate(DateTimeOffset now) => now.UtcDateTime.Date.AddDays(ExceptionDays).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A trusted signer entry (several lines, indented by two spaces per level).</summary>
    public static string SignerJson(string name, SeenSigner signer)
    {
        var text = new StringBuilder("{\n");
        text.Append("  \"name\": ").Append(TrustPolicyEditor.Quote(name)).Append(",\n");
        text.Append("  \"kind\": ").Append(signer.Kind == SignerKind.Author ? "\"author\"" : "\"repository\"").Append(",\n");
        if (signer.Kind == SignerKind.Repository)
        {
            text.Append("  \"owners\": [").Append(string.Join(", ", signer.Owners.Select(TrustPolicyEditor.Quote))).Append("],\n");
        }
        text.Append("  \"certificates\": [\n    ").Append(CertificateJson(signer)).Append("\n  ]\n}");
        return text.ToString();
    }

    /// <summary>One certificate entry on one line: fingerprint, algorithm, allowUntrustedRoot and a comment naming the subject and packages.</summary>
    public static string CertificateJson(SeenSigner signer)
    {
        string seenOn = signer.Packages.Count <= 3 ? string.Join(", ", signer.Packages) : $"{string.Join(", ", signer.Packages.Take(3))} and {signer.Packages.Count - 3} more";
        string comment = $"{signer.Subject}; seen on {seenOn}" + (signer.UntrustedRoot ? "; self-signed or private root: trusted by this fingerprint alone" : "");
        return $"{{ \"fingerprint\": \"{signer.Fingerprint}\", \"hashAlgorithm\": \"SHA256\", \"allowUntrustedRoot\": {(signer.UntrustedRoot ? "true" : "false")}, \"comment\": {TrustPolicyEditor.Quote(comment)} }}";
    }

    public static string ExceptionJson(string id, string versions, string reason, string expires) =>
        $"{{ \"id\": {TrustPolicyEditor.Quote(id)}, \"versions\": {TrustPolicyEditor.Quote(versions)}, \"reason\": {TrustPolicyEditor.Quote(reason)}, \"expires\": {TrustPolicyEditor.Quote(expires)} }}";

    /// <summary>"CN=Acme Widgets Test Signing, O=Acme" becomes "acme-widgets-test-signing".</summary>
    public static string NameFromSubject(string subject)
    {
        string? Part(string key) => Regex.Match(subject, $@"(?:^|,\s*){key}=(""[^""]*""|[^,]*)", RegexOptions.IgnoreCase) is { Success: true } m ? m.Groups[1].Value.Trim('"', ' ') : null;
        string basis = Part("CN") ?? Part("O") ?? subject;
        string name = Regex.Replace(basis.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
        return name.Length == 0 ? "signer" : name;
    }

    public static string UniqueName(string name, ISet<string> taken)
    {
        string candidate = name;
        for (int n = 2; !taken.Add(candidate); n++) candidate = $"{name}-{n}";
        return candidate;
    }

    private static string Indent(string json, string indent) => string.Join("\n", json.Split('\n').Select(l => indent + l));

    /// <summary>
    /// The .nupkg for "id/version" (or "id version"): from the restored projects' assets files under <paramref name="searchRoot"/>,
    /// else the global packages folder (NUGET_PACKAGES, else ~/.nuget/packages). A path to a .nupkg is returned as is.
    /// </summary>
    public static string FindNupkg(string spec, string searchRoot)
    {
        if (spec.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase))
        {
            string path = Path.GetFullPath(spec);
            return File.Exists(path) ? path : throw TrustEditErrors.TrustPackageNotFound(spec, $"'{path}' does not exist");
        }
        var parts = spec.Split(['/', ' ', '@'], 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2) throw TrustEditErrors.TrustArgumentInvalid("package (a .nupkg path, or id/version)", spec, "give the path of a .nupkg, or the package as id/version, e.g. Acme.Widgets/2.0.0");
        var restored = RestoredPackages(FindAssetsFiles(searchRoot))
            .FirstOrDefault(p => DependencyVerifier.IsSamePackage(p.Id, p.Version, parts[0], NuGet.Versioning.NuGetVersion.Parse(NormalizeVersion(parts[1]))));
        if (restored?.Nupkg is { } found) return found;
        string folder = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        if (NuGet.Versioning.NuGetVersion.TryParse(parts[1], out var version))
        {
            string candidate = DependencyVerifier.ExpectedNupkg(Path.Combine(folder, parts[0].ToLowerInvariant(), version.ToNormalizedString().ToLowerInvariant()), parts[0], parts[1]);
            if (File.Exists(candidate)) return candidate;
        }
        throw TrustEditErrors.TrustPackageNotFound(spec, $"no project restored under '{searchRoot}' uses it, and the packages folder '{folder}' does not have it");
    }

    private static string NormalizeVersion(string version) =>
        NuGet.Versioning.NuGetVersion.TryParse(version, out var parsed) ? parsed.ToNormalizedString()
            : throw TrustEditErrors.TrustArgumentInvalid("package version", version, "it is not a NuGet version such as 2.0.0");

    /// <summary>Every project.assets.json under a folder (the restore output of each project), skipping .git and node_modules.</summary>
    public static IReadOnlyList<string> FindAssetsFiles(string root)
    {
        var found = new List<string>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            string directory = pending.Pop();
            try
            {
                string assets = Path.Combine(directory, "project.assets.json");
                if (File.Exists(assets)) found.Add(assets);
                foreach (string child in Directory.EnumerateDirectories(directory))
                {
                    string name = Path.GetFileName(child);
                    if (name is ".git" or "node_modules" or ".vs" or "bin") continue;
                    if (new FileInfo(child).LinkTarget is not null) continue;
                    pending.Push(child);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unreadable folder holds nothing we can pin.
            }
        }
        found.Sort(StringComparer.Ordinal);
        return found;
    }
}
