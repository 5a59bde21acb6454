using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Attestations;

/// <summary>A verified RFC 3161 timestamp: the DER token (a CMS SignedData over a TSTInfo), its time and the TSA certificate.</summary>
public sealed record Rfc3161Timestamp(byte[] Token, DateTimeOffset Time, X509Certificate2 TsaCertificate);

/// <summary>
/// Asks an RFC 3161 timestamp authority to timestamp bytes (the message imprint is their SHA-256), checks that the answer
/// belongs to the request (nonce, imprint, signature), and verifies stored tokens against the bytes they cover.
/// For Sigstore bundles the covered bytes are the signature's bytes.
/// </summary>
public static class Rfc3161Client
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";
    private static readonly HttpClient Http = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Checks that <paramref name="url"/> is an absolute http(s) URL; throws BS6014 otherwise.</summary>
    public static Uri ParseUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw Errors.TimestampUrlInvalid(url);

    /// <summary>Timestamps <paramref name="data"/> (imprint: its SHA-256). Synchronous, for MSBuild tasks.</summary>
    public static Rfc3161Timestamp RequestTimestamp(Uri url, ReadOnlySpan<byte> data, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestTimestampForHash(url, SHA256.HashData(data), timeout, cancellationToken);

    public static Task<Rfc3161Timestamp> RequestTimestampAsync(Uri url, ReadOnlyMemory<byte> data, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => RequestTimestampForHash(url, SHA256.HashData(data.Span), timeout, cancellationToken), cancellationToken);

    /// <summary>Timestamps a SHA-256 digest computed elsewhere.</summary>
    public static Rfc3161Timestamp RequestTimestampForHash(Uri url, byte[] sha256, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) throw Errors.TimestampUrlInvalid(url.OriginalString);
        if (sha256.Length != SHA256.HashSizeInBytes) throw new ArgumentException("A SHA-256 digest is 32 bytes.", nameof(sha256));
        string where = url.OriginalString;

        byte[] nonce = RandomNumberGenerator.GetBytes(16);
        nonce[0] &= 0x7F; // a positive INTEGER, so the TSA echoes exactly these bytes
        var request = Rfc3161TimestampRequest.CreateFromHash(sha256, HashAlgorithmName.SHA256, requestedPolicyId: null, nonce: nonce, requestSignerCertificates: true);

        byte[] reply = Post(url, request.Encode(), timeout ?? DefaultTimeout, cancellationToken);

        Rfc3161TimestampToken token;
        try
        {
            token = request.ProcessResponse(reply, out int consumed);
            if (consumed != reply.Length) throw new CryptographicException("the reply has trailing data after the TimeStampResp.");
        }
        catch (CryptographicException e)
        {
            // ProcessResponse also fails when the status is not granted: report a refusal as such.
            string? refusal = DescribeRefusal(reply);
            throw refusal is not null
                ? Errors.TimestampAuthorityFailed(where, refusal, e)
                : Errors.TimestampResponseInvalid(where, Errors.Sentence(e), e);
        }

        // ProcessResponse checks these too; check them here as well so the guarantee does not depend on it.
        var info = token.TokenInfo;
        if (info.GetNonce() is not { } echoed || !echoed.Span.SequenceEqual(request.GetNonce()!.Value.Span))
        {
            throw Errors.TimestampResponseInvalid(where, "its nonce differs from the request's (the answer was not made for this request)");
        }
        if (info.HashAlgorithmId.Value != HashAlgorithmOid.Sha256 || !info.GetMessageHash().Span.SequenceEqual(sha256))
        {
            throw Errors.TimestampResponseInvalid(where, "it covers other data than the request's SHA-256 imprint");
        }
        if (!token.VerifySignatureForHash(sha256, HashAlgorithmName.SHA256, out X509Certificate2? tsaCertificate, extraCandidates: null) || tsaCertificate is null)
        {
            throw Errors.TimestampResponseInvalid(where, "its signature does not verify with the TSA certificate it carries (or that certificate is not valid for time stamping)");
        }
        return new Rfc3161Timestamp(token.AsSignedCms().Encode(), info.Timestamp, tsaCertificate);
    }

    /// <summary>
    /// Verifies a stored token against the bytes it should cover (for a Sigstore bundle: the signature) and returns its time.
    /// The TSA's signature and its certificate binding (ESS signing-certificate) are always checked; the TSA's chain is checked
    /// against <paramref name="trustedRoots"/> when given (custom root trust, id-kp-timeStamping, at the timestamp's time).
    /// Throws BS6015 with the reason when anything does not hold.
    /// </summary>
    public static Rfc3161Timestamp Verify(ReadOnlySpan<byte> token, ReadOnlySpan<byte> signedData, string source, X509Certificate2Collection? trustedRoots = null)
    {
        if (!Rfc3161TimestampToken.TryDecode(token.ToArray(), out var decoded, out int consumed) || consumed != token.Length)
        {
            throw Errors.TimestampInvalid(source, "it is not a DER RFC 3161 timestamp token");
        }
        if (!decoded.VerifySignatureForData(signedData, out X509Certificate2? tsaCertificate, extraCandidates: null) || tsaCertificate is null)
        {
            throw Errors.TimestampInvalid(source, "it does not cover this signature, or the timestamp authority's signature on it does not verify");
        }
        DateTimeOffset time = decoded.TokenInfo.Timestamp;
        if (trustedRoots is not null)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(trustedRoots);
            chain.ChainPolicy.ExtraStore.AddRange(decoded.AsSignedCms().Certificates);
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(TimeStampingEku));
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = time.UtcDateTime;
            if (!chain.Build(tsaCertificate))
            {
                string status = string.Join(" ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
                throw Errors.TimestampInvalid(source, $"the timestamp authority '{tsaCertificate.Subject}' does not chain to a trusted root ({status.TrimEnd('.')})");
            }
        }
        return new Rfc3161Timestamp(token.ToArray(), time, tsaCertificate);
    }

    private static byte[] Post(Uri url, byte[] body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string where = url.OriginalString;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        using var message = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/timestamp-reply"));
        try
        {
            using var response = Http.Send(message, HttpCompletionOption.ResponseHeadersRead, timer.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw Errors.TimestampAuthorityFailed(where, $"it answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            using var stream = response.Content.ReadAsStream(timer.Token);
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[16 * 1024];
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > 1024 * 1024) throw Errors.TimestampResponseInvalid(where, "its answer is larger than 1 MiB");
            }
            if (buffer.Length == 0) throw Errors.TimestampResponseInvalid(where, "its answer is empty");
            return buffer.ToArray();
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Errors.TimestampAuthorityUnreachable(where, $"it did not answer within {timeout.TotalSeconds:0.#} seconds", e);
        }
        catch (HttpRequestException e)
        {
            throw Errors.TimestampAuthorityUnreachable(where, DescribeConnectionFailure(e), e);
        }
        catch (IOException e)
        {
            throw Errors.TimestampAuthorityUnreachable(where, Errors.Sentence(e), e);
        }
    }

    internal static string DescribeConnectionFailure(HttpRequestException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "the connection was refused (nothing listens there)",
                    SocketError.HostNotFound or SocketError.NoData => "its host name does not resolve",
                    SocketError.TimedOut => "the connection timed out",
                    _ => socket.Message,
                };
            }
        }
        return e.Message;
    }

    /// <summary>Reads the PKIStatusInfo of a TimeStampResp that is not granted; null when the status is granted or unreadable.</summary>
    internal static string? DescribeRefusal(byte[] reply)
    {
        try
        {
            var reader = new System.Formats.Asn1.AsnReader(reply, System.Formats.Asn1.AsnEncodingRules.BER);
            var response = reader.ReadSequence();
            var statusInfo = response.ReadSequence();
            if (!statusInfo.TryReadInt32(out int status) || status is 0 or 1) return null;
            string name = status switch { 2 => "rejection", 3 => "waiting", 4 => "revocationWarning", 5 => "revocationNotification", _ => status.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var text = new List<string>();
            if (statusInfo.HasData && statusInfo.PeekTag().HasSameClassAndValue(System.Formats.Asn1.Asn1Tag.Sequence))
            {
                var freeText = statusInfo.ReadSequence();
                while (freeText.HasData) text.Add(freeText.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.UTF8String));
            }
            return text.Count > 0 ? $"it answered with status '{name}' ({string.Join("; ", text)})" : $"it answered with status '{name}'";
        }
        catch (Exception e) when (e is System.Formats.Asn1.AsnContentException or CryptographicException)
        {
            return null;
        }
    }

    private static class HashAlgorithmOid
    {
        public const string Sha256 = "2.16.840.1.101.3.4.2.1";
    }
}
