using System.Diagnostics;
using BuildSigning.Core.Assets;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Hashing;
using BuildSigning.Core.Keys;
using NuGet.Packaging;
using NuGet.Versioning;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Trust;

/// <summary>What to verify: the restore output, the effective policy, and where to keep the verdict cache.</summary>
public sealed record DependencyVerificationRequest(string AssetsFilePath, TrustPolicy Policy, string? CacheFilePath = null)
{
    /// <summary>The clock for exception expiry and certificate validity; defaults to now.</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>
    /// Where the per-user <see cref="TrustCacheKey"/> that authenticates the cache is kept; defaults to the per-user
    /// BuildSigning folder (BUILDSIGNING_HOME). Never taken from the project: the project's content must not choose it.
    /// </summary>
    public string? CacheKeyDirectory { get; init; }

    /// <summary>Packages verified at once; 0 means one per processor.</summary>
    public int MaxDegreeOfParallelism { get; init; }

    /// <summary>
    /// The extracted package the running verifier was loaded from. Its code is already executing, so verifying it here
    /// proves nothing; it is reported as trusted by that fact. Only that exact folder, never a package merely named alike.
    /// </summary>
    public string? VerifierPackageDirectory { get; init; }

    /// <summary>
    /// Remember the verdicts in this process and answer a second request for the same assets file from memory when nothing
    /// it depends on changed: the assets file, the policy, and the stamp (one stat) of every .nupkg and .nupkg.sha512.
    /// Restore and build of one `dotnet build` verify once, not twice. Only results without errors are remembered.
    /// </summary>
    public bool RememberInProcess { get; init; }

    /// <summary>Which pass asks ("restore" or "build"); a remembered verification says which pass made it.</summary>
    public string? Phase { get; init; }

    /// <summary>
    /// Deep mode (BuildSigningVerifyExtractedFiles): also compare every file restore extracted beside an allowed package's
    /// .nupkg with its entry in that verified .nupkg (SHA-256), so an edited DLL in the package folder fails (BS4039).
    /// </summary>
    public bool VerifyExtractedFiles { get; init; }
}

/// <summary>A verification answered from <see cref="DependencyVerificationRequest.RememberInProcess"/>: made by another pass, this long ago.</summary>
public sealed record RememberedVerification(string? Phase, TimeSpan Age);

/// <summary>Verdicts for every package of the restore output, errors and warnings ready to log.</summary>
public sealed record DependencyVerificationResult(IReadOnlyList<PackageTrustResult> Packages, TrustPolicy Policy, int CacheHits, TimeSpan Elapsed)
{
    /// <summary>Set when the verdicts are the ones an earlier pass in this process reached, nothing having changed since.</summary>
    public RememberedVerification? Remembered { get; init; }

    public IReadOnlyList<Diagnostic> Errors => Packages.Where(p => p.IsError).Select(p => p.Diagnostic!).ToList();
    public IReadOnlyList<Diagnostic> Warnings => Packages.Where(p => p.IsWarning).Select(p => p.Diagnostic!).ToList();
    public bool Succeeded => !Packages.Any(p => p.IsError);
}

/// <summary>
/// Restore-time dependency verification: every package of project.assets.json (all targets), checked from its .nupkg in the
/// package folders (so packages extracted long ago are checked too), against the trust policy, in parallel, with
/// verdicts cached by package id, version, .nupkg SHA-512 and policy hash. The .nupkg must be the one restore extracted
/// for that package: under NuGet's file name for it, with NuGet's .nupkg.sha512 record matching it, and with that id and
/// version in its .nuspec.
/// </summary>
public static class DependencyVerifier
{
    public static DependencyVerificationResult Verify(DependencyVerificationRequest request, CancellationToken cancellationToken = default)
    {
        // Deep mode depends on every extracted file, which the remembered stamps do not cover: it always verifies.
        if (!request.RememberInProcess || request.VerifyExtractedFiles)
        {
            return Verify(ProjectAssetsFile.Load(request.AssetsFilePath), request.Policy, request.CacheFilePath, request.Now, request.MaxDegreeOfParallelism, cancellationToken,
                request.VerifierPackageDirectory, request.CacheKeyDirectory, request.VerifyExtractedFiles);
        }
        var stopwatch = Stopwatch.StartNew();
        string assetsPath = Path.GetFullPath(request.AssetsFilePath);
        var clock = request.Now ?? DateTimeOffset.UtcNow;
        var assetsStamp = FileStamp.Get(assetsPath);
        if (RecentVerifications.TryGet(assetsPath, assetsStamp, request, clock) is { } remembered)
        {
            return new DependencyVerificationResult(remembered.Packages, request.Policy, remembered.Packages.Count, stopwatch.Elapsed)
            {
                Remembered = new RememberedVerification(remembered.Phase, DateTime.UtcNow - remembered.CreatedUtc),
            };
        }
        var assets = ProjectAssetsFile.Load(assetsPath);
        // Stamps taken before verifying: a file that changes while it is verified does not match them afterwards.
        var files = RecentVerifications.FilesOf(assets);
        var result = Verify(assets, request.Policy, request.CacheFilePath, request.Now, request.MaxDegreeOfParallelism, cancellationToken,
            request.VerifierPackageDirectory, request.CacheKeyDirectory);
        RecentVerifications.Remember(assetsPath, assetsStamp, request, files, result);
        return result;
    }

    public static DependencyVerificationResult Verify(ProjectAssetsFile assets, TrustPolicy policy, string? cacheFilePath = null, DateTimeOffset? now = null,
        int maxDegreeOfParallelism = 0, CancellationToken cancellationToken = default, string? verifierPackageDirectory = null, string? cacheKeyDirectory = null,
        bool verifyExtractedFiles = false)
    {
        string? verifier = verifierPackageDirectory is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(verifierPackageDirectory));
        var stopwatch = Stopwatch.StartNew();
        var clock = now ?? DateTimeOffset.UtcNow;
        var key = string.IsNullOrEmpty(cacheFilePath) ? null : TrustCacheKey.GetOrCreate(cacheKeyDirectory ?? DevelopmentKey.DefaultDirectory());
        var cache = VerdictCache.Load(cacheFilePath, key);
        var packages = assets.Libraries.Where(l => l.IsPackage)
            .OrderBy(l => l.Name, StringComparer.OrdinalIgnoreCase).ThenBy(l => l.Version, StringComparer.OrdinalIgnoreCase).ToArray();
        var results = new PackageTrustResult[packages.Length];
        int cacheHits = 0;

        Parallel.For(0, packages.Length, new ParallelOptions
        {
            MaxDegreeOfParallelism = maxDegreeOfParallelism > 0 ? maxDegreeOfParallelism : Environment.ProcessorCount,
            CancellationToken = cancellationToken,
        }, i =>
        {
            results[i] = IsVerifier(assets, packages[i], verifier)
                ? new PackageTrustResult(packages[i].Name, packages[i].Version, null, TrustVerdict.Allowed, null, "the running BuildSigning verifier itself", null, FromCache: false)
                : VerifyPackage(assets, packages[i], policy, cache, clock);
            if (results[i].FromCache) Interlocked.Increment(ref cacheHits);
            if (verifyExtractedFiles && results[i].IsAllowed && results[i].NupkgPath is { } nupkg && !IsVerifier(assets, packages[i], verifier)
                && ExtractedFiles.FindChanged(nupkg, packages[i].Name, packages[i].Version) is { } changed)
            {
                results[i] = PackageTrustEvaluator.Deny(policy, packages[i].Name, packages[i].Version, nupkg, changed);
            }
        });

        if (!string.IsNullOrEmpty(cacheFilePath))
        {
            try
            {
                cache.Save(cacheFilePath);
            }
            catch (BuildSigningException)
            {
                // The cache only saves time; a read-only obj folder must not fail the restore.
            }
        }
        return new DependencyVerificationResult(results, policy, cacheHits, stopwatch.Elapsed);
    }

    private static bool IsVerifier(ProjectAssetsFile assets, AssetsLibrary library, string? verifier) =>
        verifier is not null && assets.FindPackageDirectory(library) is { } directory
        && string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)), verifier, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static PackageTrustResult VerifyPackage(ProjectAssetsFile assets, AssetsLibrary library, TrustPolicy policy, VerdictCache cache, DateTimeOffset now)
    {
        string id = library.Name, version = library.Version;
        string? directory = assets.FindPackageDirectory(library);
        if (directory is null)
        {
            string where = string.Join(", ", assets.PackageFolders.Select(f => Path.Combine(f, library.Path ?? id.ToLowerInvariant())));
            return PackageTrustEvaluator.ApplyExceptions(policy, id, version, null, TrustMessages.PackageNupkgMissing(id, version, where), now);
        }
        // Only NuGet's own file name for this package: another .nupkg in the folder never stands in for it.
        string nupkg = ExpectedNupkg(directory, id, version);
        if (!File.Exists(nupkg))
        {
            var others = OtherNupkgs(directory);
            return others.Count == 0
                ? PackageTrustEvaluator.ApplyExceptions(policy, id, version, null, TrustMessages.PackageNupkgMissing(id, version, directory), now)
                : PackageTrustEvaluator.Deny(policy, id, version, null, TrustMessages.PackageNupkgNotTheExpectedFile(id, version, directory, Path.GetFileName(nupkg), others));
        }

        // A known digest (the stamp unchanged since it was hashed) answers a cached verdict without reading the file; any
        // other way reads the .nupkg once, and every check below works on those bytes.
        string? sha512Hex;
        string? recorded;
        PackageContent? content = null;
        try
        {
            recorded = ReadRecordedSha512(nupkg);
            sha512Hex = KnownSha512(nupkg, cache);
            if (sha512Hex is null)
            {
                content = ReadContent(nupkg, cache);
                sha512Hex = content.Sha512Hex;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return PackageTrustEvaluator.Deny(policy, id, version, nupkg, TrustMessages.PackageUnreadable(id, version, nupkg, e.Message, directory));
        }

        // The .nupkg must still be the one restore extracted: restore recorded its SHA-512 in <id>.<version>.nupkg.sha512.
        // Checked on every run, before the cache is asked: a verdict holds only for the file restore recorded.
        if (ChangedAfterRestore(sha512Hex, recorded) is { } actual)
        {
            return PackageTrustEvaluator.Deny(policy, id, version, nupkg, TrustMessages.PackageChangedAfterRestore(id, version, nupkg, actual, recorded!, directory));
        }

        // A verdict is cached only after every check below passed, keyed by the .nupkg's SHA-512, on which they all depend.
        if (recorded is not null && cache.TryGetVerdict(id, version, sha512Hex, policy.Hash, now, out var cached))
        {
            return new PackageTrustResult(id, version, nupkg, cached.Verdict, null, cached.TrustedBy, cached.ValidUntil, FromCache: true);
        }

        if (content is null)
        {
            try
            {
                content = ReadContent(nupkg, cache);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return PackageTrustEvaluator.Deny(policy, id, version, nupkg, TrustMessages.PackageUnreadable(id, version, nupkg, e.Message, directory));
            }
            // The bytes verified below are the ones whose digest is checked and cached, whatever the stamp said.
            sha512Hex = content.Sha512Hex;
            if (ChangedAfterRestore(sha512Hex, recorded) is { } changed)
            {
                return PackageTrustEvaluator.Deny(policy, id, version, nupkg, TrustMessages.PackageChangedAfterRestore(id, version, nupkg, changed, recorded!, directory));
            }
        }

        PackageTrustResult result;
        using (var package = PackageSignatureInspector.Open(content))
        {
            if (package.ReadError is null)
            {
                if (CheckIdentity(package, id, version, directory) is { } wrongPackage) return PackageTrustEvaluator.Deny(policy, id, version, nupkg, wrongPackage);
                // The assets file's SHA-512 is the .nupkg's own for an unsigned package (for a signed one it leaves out the
                // signature, whose content the integrity check covers).
                string base64 = Base64(sha512Hex);
                if (!package.IsSigned && library.Sha512Base64 is { Length: > 0 } && !string.Equals(base64, library.Sha512Base64, StringComparison.Ordinal))
                {
                    return PackageTrustEvaluator.Deny(policy, id, version, nupkg, TrustMessages.PackageChangedAfterRestore(id, version, nupkg, base64, library.Sha512Base64, directory));
                }
                if (recorded is null) return PackageTrustEvaluator.Deny(policy, id, version, nupkg, TrustMessages.PackageSha512FileMissing(id, version, nupkg, directory));
            }
            result = PackageTrustEvaluator.Evaluate(policy, id, version, package, now);
        }
        if (result.IsAllowed) cache.SetVerdict(id, version, sha512Hex, policy.Hash, new VerdictCache.CachedVerdict(result.Verdict, result.TrustedBy ?? "", result.ValidUntil));
        return result;
    }

    /// <summary>A coded failure when the .nuspec inside the .nupkg names another package than the assets file, else null.</summary>
    private static Diagnostic? CheckIdentity(InspectedPackage package, string id, string version, string directory)
    {
        if (package.ReadIdentity(out string? problem) is not { } identity)
        {
            return TrustMessages.PackageUnreadable(id, version, package.Path, problem ?? "its .nuspec names no package", directory);
        }
        return IsSamePackage(id, version, identity.Id, identity.Version)
            ? null
            : TrustMessages.PackageIdentityMismatch(id, version, package.Path, identity.Id, identity.Version.ToNormalizedString(), directory);
    }

    /// <summary>The same package: ids equal ignoring case (as NuGet compares them), versions equal in NuGet's normalized form.</summary>
    public static bool IsSamePackage(string id, string version, string nuspecId, NuGetVersion nuspecVersion) =>
        string.Equals(id, nuspecId, StringComparison.OrdinalIgnoreCase)
        && NuGetVersion.TryParse(version, out var expected)
        && string.Equals(expected.ToNormalizedString(), nuspecVersion.ToNormalizedString(), StringComparison.OrdinalIgnoreCase);

    /// <summary>The base64 SHA-512 restore wrote next to the .nupkg when it extracted it, or null when there is none.</summary>
    private static string? ReadRecordedSha512(string nupkg)
    {
        string path = nupkg + ".sha512";
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>Where restore puts the package's .nupkg in its folder: NuGet's lower-case "id.version.nupkg", the version normalized.</summary>
    internal static string ExpectedNupkg(string directory, string id, string version)
    {
        string fileName = NuGetVersion.TryParse(version, out var parsed)
            ? new VersionFolderPathResolver(directory, isLowercase: true).GetPackageFileName(id, parsed)
            : $"{id.ToLowerInvariant()}.{version.ToLowerInvariant()}.nupkg";
        return Path.Combine(directory, fileName);
    }

    private static IReadOnlyList<string> OtherNupkgs(string directory)
    {
        try
        {
            return Directory.GetFiles(directory, "*.nupkg").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string Base64(string sha512Hex) => Convert.ToBase64String(Convert.FromHexString(sha512Hex));

    /// <summary>The digest (base64) when it differs from the one restore recorded, else null (also when none was recorded).</summary>
    private static string? ChangedAfterRestore(string sha512Hex, string? recorded)
    {
        if (recorded is null) return null;
        string actual = Base64(sha512Hex);
        return string.Equals(actual, recorded, StringComparison.Ordinal) ? null : actual;
    }

    /// <summary>The .nupkg's SHA-512 (hex) from the cache when the file's stamp is unchanged since it was hashed, else null.</summary>
    private static string? KnownSha512(string path, VerdictCache cache)
    {
        var stamp = FileStamp.Get(path) ?? throw new FileNotFoundException($"'{path}' does not exist.", path);
        return cache.TryGetSha512(path, stamp, out string known) ? known : null;
    }

    /// <summary>Reads the package once and remembers its digest under the stamp it had, unless it changed while being read.</summary>
    private static PackageContent ReadContent(string path, VerdictCache cache)
    {
        var content = PackageContent.Read(path);
        if (content.StampBefore is { } before && FileStamp.Get(path) == before) cache.SetSha512(path, before, content.Sha512Hex);
        return content;
    }
}

/// <summary>
/// Verdicts reached in this process, per assets file, with what they depended on: the assets file's stamp, the policy
/// hash, the verifier's folder, and the stamp of every .nupkg and .nupkg.sha512 (taken before verifying). Checking them
/// costs one stat per file; anything changed, or any verdict reaching its own end (an exception's expiry), is a miss.
/// </summary>
internal static class RecentVerifications
{
    internal sealed record Entry(FileStamp? AssetsStamp, string PolicyHash, string? Verifier, IReadOnlyList<(string Path, FileStamp? Stamp)> Files,
        IReadOnlyList<PackageTrustResult> Packages, DateTimeOffset ValidUntil, DateTime CreatedUtc, string? Phase);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Entry> s_entries = new(StringComparer.Ordinal);

    public static IReadOnlyList<(string Path, FileStamp? Stamp)> FilesOf(ProjectAssetsFile assets)
    {
        var files = new List<(string, FileStamp?)>();
        foreach (var library in assets.Libraries.Where(l => l.IsPackage))
        {
            if (assets.FindPackageDirectory(library) is not { } directory)
            {
                files.Add((Path.Combine(assets.PackageFolders.FirstOrDefault() ?? "", library.Path ?? library.Name.ToLowerInvariant()), null));
                continue;
            }
            string nupkg = DependencyVerifier.ExpectedNupkg(directory, library.Name, library.Version);
            files.Add((nupkg, FileStamp.Get(nupkg)));
            files.Add((nupkg + ".sha512", FileStamp.Get(nupkg + ".sha512")));
        }
        return files;
    }

    public static Entry? TryGet(string assetsPath, FileStamp? assetsStamp, DependencyVerificationRequest request, DateTimeOffset now)
    {
        if (assetsStamp is null || !s_entries.TryGetValue(assetsPath, out var entry)) return null;
        if (entry.AssetsStamp != assetsStamp || entry.PolicyHash != request.Policy.Hash || entry.Verifier != request.VerifierPackageDirectory || now >= entry.ValidUntil) return null;
        foreach (var (path, stamp) in entry.Files)
        {
            if (stamp is null || FileStamp.Get(path) != stamp) return null;
        }
        return entry;
    }

    public static void Remember(string assetsPath, FileStamp? assetsStamp, DependencyVerificationRequest request, IReadOnlyList<(string Path, FileStamp? Stamp)> files,
        DependencyVerificationResult result)
    {
        // Only what can be re-checked by stats: no errors, and every package's .nupkg was there.
        if (assetsStamp is null || !result.Succeeded || files.Any(f => f.Stamp is null))
        {
            s_entries.TryRemove(assetsPath, out _);
            return;
        }
        var validUntil = result.Packages.Select(p => p.ValidUntil).OfType<DateTimeOffset>().DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        s_entries[assetsPath] = new Entry(assetsStamp, request.Policy.Hash, request.VerifierPackageDirectory, files, result.Packages, validUntil, DateTime.UtcNow, request.Phase);
    }
}
