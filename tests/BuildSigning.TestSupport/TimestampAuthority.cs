using System.Formats.Asn1;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace BuildSigning.TestSupport;

public enum TimestampAuthorityMode
{
    /// <summary>Grants every valid request with a signed token.</summary>
    Normal,
    /// <summary>Answers every request with HTTP 500.</summary>
    HttpServerError,
    /// <summary>Answers HTTP 200 with a TimeStampResp whose status is rejection (2) and no token.</summary>
    Rejected,
    /// <summary>Grants a token whose nonce differs from the request's (a replayed or forged answer).</summary>
    WrongNonce,
    /// <summary>Grants a token whose message imprint differs from the request's.</summary>
    WrongImprint,
}

/// <summary>
/// A real RFC 3161 timestamp authority on http://127.0.0.1:{random port}/ for tests: decodes the TimeStampReq,
/// writes a TSTInfo, signs it as CMS SignedData (content type id-ct-TSTInfo, signing-certificate-v2, SHA-256) with a
/// TSA certificate (critical EKU id-kp-timeStamping) issued by a test root CA, and answers application/timestamp-reply.
/// Tokens verify with .NET's Rfc3161TimestampToken and are accepted by NuGet once the root is trusted (see NuGetTestTrust).
/// </summary>
public sealed class TimestampAuthority : IDisposable
{
    public const string TstInfoContentType = "1.2.840.113549.1.9.16.1.4";
    public const string SigningCertificateV2Oid = "1.2.840.113549.1.9.16.2.47";
    public const string DefaultPolicyOid = "1.3.6.1.4.1.311.99999.3161.1";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private readonly bool _ownsCertificates;
    private long _serial;
    private int _requestCount;

    /// <param name="root">The CA that issues the TSA certificate; defaults to <see cref="TestCertificates.SharedRoot"/>.</param>
    /// <param name="certificate">A TSA certificate with private key; one is issued by <paramref name="root"/> when omitted.</param>
    public TimestampAuthority(TimestampAuthorityMode mode = TimestampAuthorityMode.Normal, X509Certificate2? root = null, X509Certificate2? certificate = null)
    {
        Mode = mode;
        Root = root ?? TestCertificates.SharedRoot;
        Certificate = certificate ?? TestCertificates.CreateTimestampingCertificate(Root);
        _ownsCertificates = certificate is null;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Url = new Uri($"http://127.0.0.1:{Port}/");
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public TimestampAuthorityMode Mode { get; set; }
    public X509Certificate2 Root { get; }
    public X509Certificate2 Certificate { get; }
    public int Port { get; }
    public Uri Url { get; }

    /// <summary>Time the authority puts into tokens; the current time when null.</summary>
    public DateTimeOffset? FixedTime { get; set; }

    /// <summary>Delay before answering, to test client timeouts.</summary>
    public TimeSpan ResponseDelay { get; set; }

    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>A URL on 127.0.0.1 where nothing listens (a port that was just free), so connections are refused.</summary>
    public static Uri UnreachableUrl()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>Builds a TimeStampResp for a DER TimeStampReq, exactly as the HTTP endpoint does. Returns the HTTP status to answer with.</summary>
    public (int HttpStatus, byte[] Body) Respond(ReadOnlyMemory<byte> requestBytes)
    {
        Interlocked.Increment(ref _requestCount);
        if (Mode == TimestampAuthorityMode.HttpServerError) return (500, Encoding.ASCII.GetBytes("timestamp authority failure (test)"));
        if (!Rfc3161TimestampRequest.TryDecode(requestBytes, out var request, out int consumed) || consumed != requestBytes.Length)
        {
            return (200, StatusOnly(status: 2, failInfoBit: 5)); // rejection, badDataFormat
        }
        if (Mode == TimestampAuthorityMode.Rejected) return (200, StatusOnly(status: 2, failInfoBit: 2)); // rejection, badRequest

        byte[] token = CreateToken(request);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence()) writer.WriteInteger(0); // PKIStatusInfo: granted
            writer.WriteEncodedValue(token);
        }
        return (200, writer.Encode());
    }

    private byte[] CreateToken(Rfc3161TimestampRequest request)
    {
        byte[] imprint = request.GetMessageHash().ToArray();
        if (Mode == TimestampAuthorityMode.WrongImprint) imprint[0] ^= 0xFF;
        byte[]? nonce = request.GetNonce()?.ToArray();
        if (Mode == TimestampAuthorityMode.WrongNonce)
        {
            nonce = new BigInteger(RandomNumberGenerator.GetBytes(16), isUnsigned: true, isBigEndian: true).ToByteArray(isUnsigned: false, isBigEndian: true);
        }
        DateTimeOffset time = (FixedTime ?? DateTimeOffset.UtcNow).ToUniversalTime();

        // TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy, ordering, nonce, tsa, extensions }
        var tst = new AsnWriter(AsnEncodingRules.DER);
        using (tst.PushSequence())
        {
            tst.WriteInteger(1);
            tst.WriteObjectIdentifier(request.RequestedPolicyId?.Value ?? DefaultPolicyOid);
            using (tst.PushSequence())
            {
                using (tst.PushSequence())
                {
                    tst.WriteObjectIdentifier(request.HashAlgorithmId.Value!);
                    tst.WriteNull();
                }
                tst.WriteOctetString(imprint);
            }
            tst.WriteInteger(Interlocked.Increment(ref _serial));
            tst.WriteGeneralizedTime(time, omitFractionalSeconds: false);
            using (tst.PushSequence()) tst.WriteInteger(1); // accuracy: 1 second
            if (nonce is not null) tst.WriteInteger(nonce);
        }

        var content = new ContentInfo(new Oid(TstInfoContentType), tst.Encode());
        var cms = new SignedCms(content, detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, Certificate)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"), // SHA-256
            IncludeOption = request.RequestSignerCertificate ? X509IncludeOption.EndCertOnly : X509IncludeOption.None,
        };
        if (request.RequestSignerCertificate) signer.Certificates.Add(Root);
        signer.SignedAttributes.Add(new Pkcs9SigningTime(time.UtcDateTime));
        signer.SignedAttributes.Add(new AsnEncodedData(SigningCertificateV2Oid, SigningCertificateV2(Certificate)));
        cms.ComputeSignature(signer, silent: true);
        return cms.Encode();
    }

    /// <summary>SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 } with the SHA-256 hash (default algorithm, so omitted) and issuerSerial.</summary>
    private static byte[] SigningCertificateV2(X509Certificate2 certificate)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                using (writer.PushSequence())
                {
                    writer.WriteOctetString(SHA256.HashData(certificate.RawData));
                    using (writer.PushSequence())
                    {
                        using (writer.PushSequence())
                        {
                            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
                            {
                                writer.WriteEncodedValue(certificate.IssuerName.RawData);
                            }
                        }
                        writer.WriteInteger(certificate.SerialNumberBytes.Span);
                    }
                }
            }
        }
        return writer.Encode();
    }

    private static byte[] StatusOnly(int status, int failInfoBit)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteInteger(status);
                using (writer.PushSequence()) writer.WriteCharacterString(UniversalTagNumber.UTF8String, "rejected by the BuildSigning test timestamp authority");
                // PKIFailureInfo BIT STRING: named bit n is bit n counted from the most significant bit of the first byte.
                byte[] bits = new byte[failInfoBit / 8 + 1];
                bits[failInfoBit / 8] = (byte)(0x80 >> (failInfoBit % 8));
                writer.WriteBitString(bits, unusedBitCount: 7 - failInfoBit % 8);
            }
        }
        return writer.Encode();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                var (method, headers, body) = await ReadRequestAsync(stream, timeout.Token);
                int status;
                byte[] reply;
                string contentType = "application/timestamp-reply";
                if (method != "POST")
                {
                    (status, reply, contentType) = (405, Encoding.ASCII.GetBytes("POST a TimeStampReq"), "text/plain");
                }
                else
                {
                    (status, reply) = Respond(body);
                    if (status != 200) contentType = "text/plain";
                }
                if (ResponseDelay > TimeSpan.Zero) await Task.Delay(ResponseDelay, _stopping.Token);
                string reason = status switch { 200 => "OK", 405 => "Method Not Allowed", 500 => "Internal Server Error", _ => "Error" };
                string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {contentType}\r\nContent-Length: {reply.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);
                await stream.WriteAsync(reply, timeout.Token);
                await stream.FlushAsync(timeout.Token);
                _ = headers;
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or FormatException)
            {
                // The client went away or sent garbage: nothing to answer.
            }
        }
    }

    private static async Task<(string Method, Dictionary<string, string> Headers, byte[] Body)> ReadRequestAsync(NetworkStream stream, CancellationToken token)
    {
        var buffer = new MemoryStream();
        byte[] chunk = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOf(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "\r\n\r\n"u8)) < 0)
        {
            int read = await stream.ReadAsync(chunk, token);
            if (read == 0) throw new IOException("The connection closed before the request headers ended.");
            buffer.Write(chunk, 0, read);
            if (buffer.Length > 64 * 1024) throw new FormatException("Request headers are too long.");
        }
        byte[] all = buffer.ToArray();
        string[] lines = Encoding.ASCII.GetString(all, 0, headerEnd).Split("\r\n");
        string method = lines[0].Split(' ')[0];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        var rest = new MemoryStream();
        rest.Write(all, headerEnd + 4, all.Length - headerEnd - 4);
        if (headers.TryGetValue("Expect", out string? expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), token);
        }

        if (headers.TryGetValue("Transfer-Encoding", out string? encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            return (method, headers, await ReadChunkedAsync(stream, rest, token));
        }
        int length = headers.TryGetValue("Content-Length", out string? text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (length > 1024 * 1024) throw new FormatException("Request body is too large.");
        while (rest.Length < length)
        {
            int read = await stream.ReadAsync(chunk, token);
            if (read == 0) throw new IOException("The connection closed before the request body ended.");
            rest.Write(chunk, 0, read);
        }
        return (method, headers, rest.ToArray().AsSpan(0, length).ToArray());
    }

    private static async Task<byte[]> ReadChunkedAsync(NetworkStream stream, MemoryStream pending, CancellationToken token)
    {
        var body = new MemoryStream();
        byte[] chunk = new byte[8192];
        byte[] data = pending.ToArray();
        int position = 0;

        async Task EnsureAsync(int count)
        {
            while (data.Length - position < count)
            {
                int read = await stream.ReadAsync(chunk, token);
                if (read == 0) throw new IOException("The connection closed inside a chunked body.");
                data = [.. data.AsSpan(position), .. chunk.AsSpan(0, read)];
                position = 0;
            }
        }

        while (true)
        {
            int lineEnd;
            while ((lineEnd = IndexOf(data.AsSpan(position), "\r\n"u8)) < 0) await EnsureAsync(data.Length - position + 1);
            string sizeText = Encoding.ASCII.GetString(data, position, lineEnd).Split(';')[0].Trim();
            int size = int.Parse(sizeText, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            position += lineEnd + 2;
            await EnsureAsync(size + 2);
            if (size == 0) return body.ToArray();
            body.Write(data, position, size);
            position += size + 2;
            if (body.Length > 1024 * 1024) throw new FormatException("Request body is too large.");
        }
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);

    public void Dispose()
    {
        _stopping.Cancel();
        _listener.Stop();
        try { _acceptLoop.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { }
        _stopping.Dispose();
        if (_ownsCertificates) Certificate.Dispose();
    }
}
