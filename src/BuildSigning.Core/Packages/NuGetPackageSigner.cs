using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Keys;
using NuGet.Common;
using NuGet.Packaging;
using NuGet.Packaging.Signing;
using NuGetHashAlgorithmName = NuGet.Common.HashAlgorithmName;

namespace BuildSigning.Core.Packages;

/// <summary>The digest of a NuGet author signature (and of its timestamp request).</summary>
public enum PackageSignatureHashAlgorithm
{
    Sha256,
    Sha384,
    Sha512,
}

/// <summary>How to author-sign a package. Defaults: SHA-256, no timestamp, refuse to replace an existing signature.</summary>
public sealed record NuGetSignOptions
{
    /// <summary>An RFC 3161 timestamp authority (http or https); no timestamp when null.</summary>
    public Uri? TimestampUrl { get; init; }

    public PackageSignatureHashAlgorithm HashAlgorithm { get; init; } = PackageSignatureHashAlgorithm.Sha256;

    /// <summary>Replace an existing signature instead of failing with BS6006.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Intermediate (and root) certificates NuGet may need to build the chain it embeds.</summary>
    public IReadOnlyList<X509Certificate2> ExtraCertificates { get; init; } = [];

    /// <summary>The time certificate validity is checked against; now when null (for tests).</summary>
    public DateTimeOffset? Now { get; init; }
}

/// <summary>What signing did: the package, the signer's SHA-256 fingerprint, the timestamp (if any) and NuGet's warnings.</summary>
public sealed record NuGetSignResult(string PackagePath, string CertificateFingerprint, DateTimeOffset? Timestamp, IReadOnlyList<string> Warnings);

/// <summary>
/// Author-signs .nupkg and .snupkg files in place through NuGet's own signing API (SigningUtility.SignAsync), like
/// `dotnet nuget sign`: CMS author signature with the certificate chain, optional RFC 3161 timestamp. Inputs are checked
/// first (BS6001-BS6006, BS6011, BS6013, BS6014); the signed package is written to a temporary file beside the original
/// and renamed over it only on success, so a failure never leaves a package that looks signed or half written.
/// </summary>
public static class NuGetPackageSigner
{
    private const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";

    public static NuGetSignResult Sign(string packagePath, CodeSigningCertificate certificate, NuGetSignOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new NuGetSignOptions();
        var extras = options.ExtraCertificates.Concat(certificate.ExtraCertificates).ToArray();
        if (certificate.PrivateKey is { } externalKey)
        {
            // A key outside the certificate (PKCS#11 token): an RSA key signs NuGet packages; anything else fails BS6001 below.
            var rsa = externalKey as RSA;
            return Task.Run(() => SignCoreAsync(packagePath, certificate.Certificate, rsa, options with { ExtraCertificates = extras }, cancellationToken), cancellationToken)
                .GetAwaiter().GetResult();
        }
        return Sign(packagePath, certificate.Certificate, options with { ExtraCertificates = extras }, cancellationToken);
    }

    /// <summary>Synchronous, for MSBuild tasks.</summary>
    public static NuGetSignResult Sign(string packagePath, X509Certificate2 certificate, NuGetSignOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => SignAsync(packagePath, certificate, options, cancellationToken), cancellationToken).GetAwaiter().GetResult();

    public static Task<NuGetSignResult> SignAsync(string packagePath, X509Certificate2 certificate, NuGetSignOptions? options = null, CancellationToken cancellationToken = default) =>
        SignCoreAsync(packagePath, certificate, null, options, cancellationToken);

    /// <summary>
    /// Signs with the certificate's own private key, or with <paramref name="externalKey"/> (a key that never leaves its
    /// token): NuGet's X509SignatureProvider needs a certificate that carries its key, so an external key signs through
    /// <see cref="ExternalKeySignatureProvider"/>, which builds the same CMS signature with CmsSigner.
    /// </summary>
    private static async Task<NuGetSignResult> SignCoreAsync(string packagePath, X509Certificate2 certificate, RSA? externalKey, NuGetSignOptions? options, CancellationToken cancellationToken)
    {
        options ??= new NuGetSignOptions();
        string path = Path.GetFullPath(packagePath);
        if (!File.Exists(path)) throw Errors.PackageFileMissing(path);
        if (options.TimestampUrl is { } url && url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
        {
            throw Errors.TimestampUrlInvalid(url.OriginalString);
        }
        ValidateCertificate(certificate, options.Now, hasExternalKey: externalKey is not null);
        if (!options.Overwrite && await IsSignedAsync(path, cancellationToken)) throw Errors.PackageAlreadySigned(path);

        var logger = new CollectingLogger();
        X509TrustStore.InitializeForDotNetSdk(logger);
        NuGetHashAlgorithmName hash = options.HashAlgorithm switch
        {
            PackageSignatureHashAlgorithm.Sha384 => NuGetHashAlgorithmName.SHA384,
            PackageSignatureHashAlgorithm.Sha512 => NuGetHashAlgorithmName.SHA512,
            _ => NuGetHashAlgorithmName.SHA256,
        };
        string fingerprint = Fingerprint(certificate);

        // The request disposes its certificate: give it a copy, never the caller's.
        using var privateKey = externalKey is null ? certificate.GetRSAPrivateKey()! : null;
        using var requestCertificate = X509CertificateLoader.LoadCertificate(certificate.RawData);
        using var request = new AuthorSignPackageRequest(
            privateKey is not null ? requestCertificate.CopyWithPrivateKey(privateKey) : X509CertificateLoader.LoadCertificate(certificate.RawData), hash, hash);
        foreach (var extra in options.ExtraCertificates) request.AdditionalCertificates.Add(extra);
        try
        {
            // NuGet's own pre-flight: signature algorithm, key length, lifetime-signing EKU, validity, and the chain it will embed.
            SigningUtility.Verify(request, logger);
        }
        catch (SignatureException e)
        {
            throw MapCertificateFailure(certificate, fingerprint, e, logger);
        }

        string directory = Path.GetDirectoryName(path)!;
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.signing.tmp");
        try
        {
            try
            {
                using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
                using var output = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
                var timestampProvider = options.TimestampUrl is { } timestampUrl ? new Rfc3161TimestampProvider(timestampUrl) : null;
                ISignatureProvider signatureProvider = externalKey is null
                    ? new X509SignatureProvider(timestampProvider)
                    : new ExternalKeySignatureProvider(externalKey, timestampProvider);
                using var signingOptions = new SigningOptions(
                    new Lazy<Stream>(() => input), new Lazy<Stream>(() => output), options.Overwrite, signatureProvider, logger);
                _ = signingOptions.InputPackageStream;
                _ = signingOptions.OutputPackageStream;
                await SigningUtility.SignAsync(signingOptions, request, cancellationToken);
                output.Flush(flushToDisk: true);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                throw MapSigningFailure(path, certificate, fingerprint, options.TimestampUrl, e, logger);
            }

            DateTimeOffset? timestamp = await ReadTimestampAsync(temporary, cancellationToken);
            try
            {
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, File.GetUnixFileMode(path));
                File.Move(temporary, path, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Errors.FileWriteFailed(path, e);
            }
            return new NuGetSignResult(path, fingerprint, timestamp, logger.Warnings);
        }
        finally
        {
            AtomicFile.TryDelete(temporary);
        }
    }

    /// <summary>Checks what NuGet requires of an author-signing certificate, with coded errors (BS6001-BS6005).</summary>
    public static void ValidateCertificate(X509Certificate2 certificate, DateTimeOffset? now = null) => ValidateCertificate(certificate, now, hasExternalKey: false);

    private static void ValidateCertificate(X509Certificate2 certificate, DateTimeOffset? now, bool hasExternalKey)
    {
        string subject = certificate.Subject;
        string fingerprint = Fingerprint(certificate);
        DateTime at = (now ?? DateTimeOffset.UtcNow).UtcDateTime;

        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is null)
            {
                string kind = certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value ?? "an unknown key type";
                throw Errors.CodeSigningCertificateKeyUnsupported(subject, fingerprint, $"a non-RSA key ({kind})");
            }
            if (rsa.KeySize < 2048) throw Errors.CodeSigningCertificateKeyUnsupported(subject, fingerprint, $"a {rsa.KeySize}-bit RSA key");
        }
        if (!certificate.HasPrivateKey && !hasExternalKey) throw Errors.CodeSigningCertificateNoPrivateKey(subject, fingerprint);
        if (!HasCodeSigningUsage(certificate)) throw Errors.CodeSigningCertificateNoCodeSigningEku(subject, fingerprint);
        if (certificate.NotBefore.ToUniversalTime() > at) throw Errors.CodeSigningCertificateNotYetValid(subject, fingerprint, certificate.NotBefore);
        if (certificate.NotAfter.ToUniversalTime() <= at) throw Errors.CodeSigningCertificateExpired(subject, fingerprint, certificate.NotAfter);
    }

    /// <summary>Whether the package already carries a NuGet package signature.</summary>
    public static bool IsSigned(string packagePath) => IsSignedAsync(Path.GetFullPath(packagePath), CancellationToken.None).GetAwaiter().GetResult();

    private static async Task<bool> IsSignedAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var reader = new PackageArchiveReader(path);
            return await reader.IsSignedAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or SignatureException or NuGet.Packaging.Core.PackagingException)
        {
            throw Errors.PackageSigningFailed(path, Errors.Sentence(e), e);
        }
    }

    private static async Task<DateTimeOffset?> ReadTimestampAsync(string signedPath, CancellationToken cancellationToken)
    {
        using var reader = new PackageArchiveReader(signedPath);
        var signature = await reader.GetPrimarySignatureAsync(cancellationToken);
        return signature?.Timestamps.FirstOrDefault()?.GeneralizedTime;
    }

    /// <summary>Code signing is allowed when the certificate has no EKU extension at all (any purpose) or lists code signing.</summary>
    private static bool HasCodeSigningUsage(X509Certificate2 certificate)
    {
        var ekus = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().ToArray();
        return ekus.Length == 0 || ekus.Any(e => e.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == CodeSigningEku));
    }

    private static string Fingerprint(X509Certificate2 certificate) => Convert.ToHexString(SHA256.HashData(certificate.RawData));

    private static BuildSigningException MapCertificateFailure(X509Certificate2 certificate, string fingerprint, SignatureException e, CollectingLogger logger)
    {
        string details = logger.ErrorsText(e);
        return e.Code switch
        {
            NuGetLogCode.NU3013 or NuGetLogCode.NU3014 => Errors.CodeSigningCertificateKeyUnsupported(certificate.Subject, fingerprint, $"a key or signature algorithm NuGet does not accept ({details.TrimEnd('.')})"),
            NuGetLogCode.NU3017 => Errors.CodeSigningCertificateNotYetValid(certificate.Subject, fingerprint, certificate.NotBefore),
            _ => Errors.CodeSigningChainInvalid(certificate.Subject, fingerprint, details, e),
        };
    }

    private static BuildSigningException MapSigningFailure(string path, X509Certificate2 certificate, string fingerprint, Uri? timestampUrl, Exception e, CollectingLogger logger)
    {
        if (e is BuildSigningException coded) return coded;
        if (e is SignatureException { Code: NuGetLogCode.NU3001 }) return Errors.PackageAlreadySigned(path);
        bool timestampFailure = timestampUrl is not null && (e is TimestampException or HttpRequestException or CryptographicException or OperationCanceledException || e.InnerException is HttpRequestException);
        if (!timestampFailure)
        {
            return e is SignatureException { Code: NuGetLogCode.NU3018 } signature
                ? Errors.CodeSigningChainInvalid(certificate.Subject, fingerprint, logger.ErrorsText(signature), e)
                : Errors.PackageSigningFailed(path, logger.ErrorsText(e), e);
        }

        string where = timestampUrl!.OriginalString;
        if (e is TimestampException { Code: NuGetLogCode.NU3028 } untrusted)
        {
            return Errors.TimestampAuthorityNotTrusted(where, logger.ErrorsText(untrusted), e);
        }
        // NuGet's messages do not tell a refused connection from a refused request or a forged answer: ask the TSA
        // once more with our client, which does (this only happens on the failure path).
        try
        {
            Rfc3161Client.RequestTimestampForHash(timestampUrl, SHA256.HashData(Guid.NewGuid().ToByteArray()), TimeSpan.FromSeconds(10)).TsaCertificate.Dispose();
        }
        catch (BuildSigningException probe)
        {
            return probe;
        }
        return e is HttpRequestException or OperationCanceledException
            ? Errors.TimestampAuthorityUnreachable(where, logger.ErrorsText(e), e)
            : Errors.TimestampResponseInvalid(where, logger.ErrorsText(e), e);
    }

    /// <summary>Keeps NuGet's warnings for the result and its errors for our messages.</summary>
    private sealed class CollectingLogger : LoggerBase
    {
        private readonly List<string> _warnings = [];
        private readonly List<string> _errors = [];

        public IReadOnlyList<string> Warnings
        {
            get { lock (_warnings) return _warnings.ToArray(); }
        }

        /// <summary>The exception's message (with its NU code) followed by the errors NuGet logged on the way, as one sentence.</summary>
        public string ErrorsText(Exception e)
        {
            string head = e.Message.Trim().TrimEnd('.');
            if (e is SignatureException { Code: not NuGetLogCode.Undefined } coded) head = $"{coded.Code}: {head}";
            if (e.InnerException is { } inner && !head.Contains(inner.Message.Trim().TrimEnd('.'), StringComparison.Ordinal))
            {
                head += $" ({inner.Message.Trim().TrimEnd('.')})";
            }
            var parts = new List<string> { head };
            lock (_warnings)
            {
                parts.AddRange(_errors.Select(x => x.Trim().TrimEnd('.')).Where(x => !head.Contains(x, StringComparison.Ordinal)).Distinct());
            }
            return Errors.EndSentence(string.Join("; ", parts));
        }

        public override void Log(ILogMessage message)
        {
            string text = message.Code == NuGetLogCode.Undefined ? message.Message : $"{message.Code}: {message.Message}";
            lock (_warnings)
            {
                if (message.Level == LogLevel.Warning) _warnings.Add(text);
                else if (message.Level == LogLevel.Error) _errors.Add(text);
            }
        }

        public override Task LogAsync(ILogMessage message)
        {
            Log(message);
            return Task.CompletedTask;
        }
    }
}
