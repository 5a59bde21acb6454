using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using NuGet.Common;
using NuGet.Packaging;
using NuGet.Packaging.Signing;
using HashAlgorithmName = System.Security.Cryptography.HashAlgorithmName;

namespace BuildSigning.Core.Trust;

/// <summary>
/// An opened .nupkg: its signatures read by NuGet.Packaging, and checks on demand (integrity, one signature's trust and
/// validity, carried Sigstore bundles). Opening reads only the signature entry; each check costs only when asked for.
/// </summary>
public sealed class InspectedPackage : IDisposable
{
    private readonly PackageArchiveReader? _reader;
    private readonly PrimarySignature? _primary;
    private readonly Func<Stream>? _openContent;

    internal InspectedPackage(string path, PackageArchiveReader? reader, PrimarySignature? primary, IReadOnlyList<string> bundleEntries, string? readError,
        Func<Stream>? openContent = null)
    {
        Path = path;
        _openContent = openContent;
        _reader = reader;
        _primary = primary;
        BundleEntries = bundleEntries;
        ReadError = readError;
        if (primary is not null)
        {
            Primary = new PackageSignature(primary, isCountersignature: false);
            var countersignature = RepositoryCountersignature.GetRepositoryCountersignature(primary);
            if (countersignature is not null) Countersignature = new PackageSignature(countersignature, isCountersignature: true);
        }
    }

    public string Path { get; }

    /// <summary>Set when the file is not a readable package or its signature cannot be parsed; then nothing else is known.</summary>
    public string? ReadError { get; }
    public bool IsSigned => Primary is not null;
    public PackageSignature? Primary { get; }
    public PackageSignature? Countersignature { get; }
    public IReadOnlyList<string> BundleEntries { get; }

    public IEnumerable<PackageSignature> Signatures => new[] { Primary, Countersignature }.OfType<PackageSignature>();

    /// <summary>The id and version its .nuspec declares, or null with the reason they cannot be read.</summary>
    public (string Id, NuGet.Versioning.NuGetVersion Version)? ReadIdentity(out string? problem)
    {
        problem = null;
        if (_reader is null)
        {
            problem = ReadError;
            return null;
        }
        try
        {
            var identity = _reader.GetIdentity();
            if (!string.IsNullOrEmpty(identity.Id) && identity.Version is not null) return (identity.Id, identity.Version);
            problem = "its .nuspec names no package id and version.";
        }
        catch (Exception e) when (e is NuGet.Packaging.Core.PackagingException or InvalidDataException or IOException or System.Xml.XmlException
            or FormatException or ArgumentException or InvalidOperationException)
        {
            problem = e.Message;
        }
        return null;
    }

    /// <summary>NuGet's integrity check: the signed content hash against the package's bytes. Null when intact, else why not.</summary>
    public string? CheckIntegrity()
    {
        if (_reader is null || _primary is null) return null;
        try
        {
            var result = PackageSignatureInspector.Integrity.GetTrustResultAsync(_reader, _primary, PackageSignatureInspector.IntegritySettings, CancellationToken.None)
                .GetAwaiter().GetResult();
            return result.Trust == SignatureVerificationStatus.Valid ? null : Describe(result.Issues, "the signed content hash does not match the package.");
        }
        catch (Exception e) when (e is SignatureException or InvalidDataException or IOException or CryptographicException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Verifies one signature the way NuGet's require mode does, but on its own (no deferral to the other signature):
    /// cryptography, RFC 3161 timestamp, chain (revocation offline), and the certificate's validity at the verified
    /// timestamp (or now, without one).
    /// </summary>
    public SignatureCheck Verify(PackageSignature signature)
    {
        if (_reader is null || _primary is null) throw new InvalidOperationException("The package is not signed.");
        var settings = new SignedPackageVerifierSettings(
            allowUnsigned: false, allowIllegal: false, allowUntrusted: false, allowIgnoreTimestamp: false, allowMultipleTimestamps: true,
            allowNoTimestamp: true, allowUnknownRevocation: true, reportUnknownRevocation: false,
            verificationTarget: signature.IsCountersignature || signature.Kind == SignerKind.Repository ? VerificationTarget.Repository : VerificationTarget.Author,
            signaturePlacement: signature.IsCountersignature ? SignaturePlacement.Countersignature : SignaturePlacement.PrimarySignature,
            repositoryCountersignatureVerificationBehavior: signature.IsCountersignature ? SignatureVerificationBehavior.Always : SignatureVerificationBehavior.Never,
            revocationMode: RevocationMode.Offline);
        try
        {
            var result = PackageSignatureInspector.Trust.GetTrustResultAsync(_reader, _primary, settings, CancellationToken.None).GetAwaiter().GetResult();
            var errors = result.Issues.Where(i => i.Level == LogLevel.Error).ToList();
            bool valid = result.Trust == SignatureVerificationStatus.Valid;
            bool onlyRoot = !valid && errors.Count > 0 && errors.All(e => e.Code == NuGetLogCode.NU3018);
            DateTimeOffset? time = (valid || onlyRoot) && signature.NuGetSignature.Timestamps.Count > 0 ? signature.NuGetSignature.Timestamps[0].GeneralizedTime : null;
            return new SignatureCheck(valid, onlyRoot, errors.Select(e => $"{e.Code}: {e.Message}").ToList(), time);
        }
        catch (Exception e) when (e is SignatureException or CryptographicException or InvalidOperationException)
        {
            return new SignatureCheck(false, false, [e.Message], null);
        }
    }

    /// <summary>Cheap cryptographic check of a signature not otherwise verified (no chain, no timestamp): the signer's signature value verifies.</summary>
    public string? CheckSignatureValue(PackageSignature signature)
    {
        try
        {
            signature.NuGetSignature.SignerInfo.CheckSignature(verifySignatureOnly: true);
            return null;
        }
        catch (CryptographicException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Checks every carried bundle (.buildsigning/*.sigstore.json). A bundle by a trusted key must verify and its statement's
    /// subjects must be exactly the package's entries (all but .signature.p7s and .buildsigning/) with their SHA-256.
    /// </summary>
    public IReadOnlyList<CarriedBundle> CheckBundles(IReadOnlyList<TrustedKey> trustedKeys)
    {
        if (BundleEntries.Count == 0) return [];
        var results = new List<CarriedBundle>();
        Dictionary<string, string>? entries = null;
        try
        {
            using var zip = _openContent is null ? ZipFile.OpenRead(Path) : new ZipArchive(_openContent(), ZipArchiveMode.Read, leaveOpen: false);
            foreach (string name in BundleEntries)
            {
                var entry = zip.GetEntry(name);
                if (entry is null) { results.Add(new CarriedBundle(name, null, null, null)); continue; }
                byte[] json;
                using (var stream = entry.Open()) json = ReadAll(stream);
                var bundle = SigstoreBundle.TryParse(json, out _);
                if (bundle is null) { results.Add(new CarriedBundle(name, null, null, null)); continue; }
                KeyId? keyId = BundleKeyId(bundle, out var certificateKey);
                var trusted = keyId is null ? null : trustedKeys.FirstOrDefault(k => k.KeyId.Equals(keyId));
                if (trusted is null) { results.Add(new CarriedBundle(name, keyId, null, null)); continue; }
                var key = trusted.PublicKey ?? certificateKey;
                if (key is null)
                {
                    results.Add(new CarriedBundle(name, keyId, trusted, $"trusted key '{trusted.Name}' is given by key id only and the bundle carries no certificate with the public key"));
                    continue;
                }
                try
                {
                    var verified = BundleVerifier.VerifyStatement(name, bundle, [key]);
                    entries ??= HashEntries(zip);
                    results.Add(new CarriedBundle(name, keyId, trusted, CompareSubjects(verified.Statement.Subjects, entries)));
                }
                catch (BuildSigningException e)
                {
                    results.Add(new CarriedBundle(name, keyId, trusted, e.Diagnostic.Text));
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return [new CarriedBundle(BundleEntries[0], null, null, e.Message)];
        }
        return results;
    }

    private static KeyId? BundleKeyId(SigstoreBundle bundle, out VerificationKey? certificateKey)
    {
        certificateKey = null;
        if (bundle.CertificateDer is { } der)
        {
            try
            {
                using var certificate = X509CertificateLoader.LoadCertificate(der);
                certificateKey = VerificationKey.FromCertificate(certificate, "bundle certificate");
                return certificateKey.Id;
            }
            catch (Exception e) when (e is CryptographicException or BuildSigningException)
            {
                return null;
            }
        }
        return KeyId.TryParse(bundle.PublicKeyHint, out var id) ? id : null;
    }

    private Dictionary<string, string> HashEntries(ZipArchive zip)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            if (IsExcludedFromBundles(entry.FullName) || entry.FullName.EndsWith('/')) continue;
            using var stream = entry.Open();
            result[entry.FullName] = Hex.Lower(SHA256.HashData(stream));
        }
        return result;
    }

    internal static bool IsExcludedFromBundles(string entry) =>
        entry.StartsWith(".buildsigning/", StringComparison.Ordinal) || string.Equals(entry, ".signature.p7s", StringComparison.Ordinal);

    private static string? CompareSubjects(IReadOnlyList<Subject> subjects, Dictionary<string, string> entries)
    {
        var covered = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var subject in subjects) covered[subject.Name] = subject.Sha256Hex;
        foreach (var (name, sha256) in entries)
        {
            if (!covered.TryGetValue(name, out string? signed)) return $"'{name}' is not covered by the bundle";
            if (!string.Equals(signed, sha256, StringComparison.OrdinalIgnoreCase)) return $"'{name}' has SHA-256 {sha256}, but the bundle signed {signed}";
        }
        var missing = covered.Keys.FirstOrDefault(n => !entries.ContainsKey(n));
        return missing is null ? null : $"'{missing}' is signed by the bundle but missing from the package";
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static string Describe(IEnumerable<SignatureLog> issues, string fallback)
    {
        var errors = issues.Where(i => i.Level == LogLevel.Error).Select(i => $"{i.Code}: {Errors.EndSentence(i.Message)}").ToList();
        return errors.Count == 0 ? fallback : string.Join(" ", errors);
    }

    public void Dispose() => _reader?.Dispose();
}
