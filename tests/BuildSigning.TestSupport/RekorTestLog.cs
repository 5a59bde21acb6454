using BuildSigning.Core;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Transparency;

namespace BuildSigning.TestSupport;

public enum RekorTestLogMode
{
    Normal,
    /// <summary>Answers every submission with HTTP 500 and Rekor's error model.</summary>
    HttpServerError,
    /// <summary>Logs the entry but answers with a body whose payload hash is another one.</summary>
    WrongBody,
    /// <summary>Answers with an inclusion proof whose first hash is flipped.</summary>
    BadProof,
}

/// <summary>
/// A Rekor-compatible transparency log on http://127.0.0.1:{port}/ for tests: POST /api/v1/log/entries takes a dsse 0.0.1
/// proposed entry, checks the envelope's signature with the proposed verifier (as Rekor does), appends the canonicalized
/// body to an append-only RFC 6962 Merkle tree, and answers 201 with <c>{uuid: LogEntry}</c>: body, integratedTime, logID,
/// logIndex, verification.signedEntryTimestamp (ECDSA P-256 over the RFC 8785 JSON {body, integratedTime, logID, logIndex})
/// and verification.inclusionProof with a signed-note checkpoint.
/// </summary>
public sealed class RekorTestLog : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly List<byte[]> _leaves = [];
    private readonly Lock _lock = new();
    private readonly Task _loop;
    private int _requestCount;

    public RekorTestLog(RekorTestLogMode mode = RekorTestLogMode.Normal)
    {
        Mode = mode;
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                _listener.Start();
                Url = new Uri($"http://127.0.0.1:{port}/");
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        PublicKey = VerificationKey.FromSubjectPublicKeyInfo(_key.ExportSubjectPublicKeyInfo(), "test transparency log");
        LogId = SHA256.HashData(PublicKey.SubjectPublicKeyInfo);
        _loop = Task.Run(LoopAsync);
    }

    public RekorTestLogMode Mode { get; set; }
    public Uri Url { get; private set; } = null!;
    public VerificationKey PublicKey { get; }
    public byte[] LogId { get; }
    public string Origin { get; } = "buildsigning.test - 1";
    public int RequestCount => Volatile.Read(ref _requestCount);

    public int Size
    {
        get { lock (_lock) return _leaves.Count; }
    }

    /// <summary>Writes the log's public key as PEM into <paramref name="directory"/> and returns the path.</summary>
    public string WritePublicKey(string directory)
    {
        string path = Path.Combine(directory, "rekor.pub");
        File.WriteAllText(path, PublicKey.ExportPem());
        return path;
    }

    public byte[] Sign(byte[] data) => _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => Serve(context));
        }
    }

    private void Serve(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requestCount);
        int status;
        JsonNode reply;
        try
        {
            using var buffer = new MemoryStream();
            context.Request.InputStream.CopyTo(buffer);
            (status, reply) = context.Request.HttpMethod == "POST" && context.Request.Url!.AbsolutePath == "/api/v1/log/entries"
                ? Submit(buffer.ToArray())
                : (404, Error(404, "not found"));
        }
        catch (Exception e)
        {
            (status, reply) = (500, Error(500, e.Message));
        }
        try
        {
            byte[] bytes = Encoding.UTF8.GetBytes(reply.ToJsonString());
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            context.Response.OutputStream.Write(bytes);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
        }
    }

    private static JsonObject Error(int code, string message) => new() { ["code"] = code, ["message"] = message };

    private (int, JsonNode) Submit(byte[] request)
    {
        if (Mode == RekorTestLogMode.HttpServerError) return (500, Error(500, "test log failure"));
        if (JsonNode.Parse(request) is not JsonObject proposed || (string?)proposed["kind"] != "dsse" || (string?)proposed["apiVersion"] != "0.0.1")
        {
            return (400, Error(400, "only dsse 0.0.1 entries are accepted"));
        }
        var content = proposed["spec"]?["proposedContent"];
        string envelopeJson = (string?)content?["envelope"] ?? "";
        string verifierPem = Encoding.UTF8.GetString(Convert.FromBase64String((string?)content?["verifiers"]?[0] ?? ""));
        var envelopeNode = JsonNode.Parse(envelopeJson)!;
        var envelope = new DsseEnvelope(
            (string)envelopeNode["payloadType"]!,
            Convert.FromBase64String((string)envelopeNode["payload"]!),
            envelopeNode["signatures"]!.AsArray().Select(s => new DsseSignature((string?)s!["keyid"] ?? "", Convert.FromBase64String((string)s["sig"]!))).ToArray());
        var verifier = VerificationKey.FromPem(verifierPem, "proposed verifier");
        if (envelope.Signatures.Any(s => !verifier.Verify(Pae.Encode(envelope.PayloadType, envelope.Payload), s.Signature)))
        {
            return (400, Error(400, "all signatures must have a key that verifies it"));
        }

        byte[] body = DsseLogBody.Canonicalize(envelopeJson, envelope, verifierPem);
        long integratedTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long index, size;
        byte[] root;
        List<byte[]> proof;
        lock (_lock)
        {
            _leaves.Add(Merkle.LeafHash(body));
            index = _leaves.Count - 1;
            size = _leaves.Count;
            root = Merkle.Root(_leaves, 0, (int)size);
            proof = Merkle.InclusionProof(_leaves, index, size);
        }
        string checkpoint = SignedCheckpoint.Create(Origin, size, root, Sign, LogId);
        byte[] set = Sign(TransparencyLogVerifier.SetPayload(body, integratedTime, LogId, index));
        string uuid = Hex.Lower(Merkle.LeafHash(body));

        if (Mode == RekorTestLogMode.WrongBody)
        {
            var other = JsonNode.Parse(body)!;
            other["spec"]!["payloadHash"]!["value"] = new string('0', 64);
            body = CanonicalJson.Serialize(other);
        }
        if (Mode == RekorTestLogMode.BadProof && proof.Count > 0) proof[0][0] ^= 0xFF;
        if (Mode == RekorTestLogMode.BadProof && proof.Count == 0) proof.Add(new byte[32]);

        var hashes = new JsonArray();
        foreach (byte[] h in proof) hashes.Add(Hex.Lower(h));
        return (201, new JsonObject
        {
            [uuid] = new JsonObject
            {
                ["body"] = Convert.ToBase64String(body),
                ["integratedTime"] = integratedTime,
                ["logID"] = Hex.Lower(LogId),
                ["logIndex"] = index,
                ["verification"] = new JsonObject
                {
                    ["inclusionProof"] = new JsonObject
                    {
                        ["checkpoint"] = checkpoint,
                        ["hashes"] = hashes,
                        ["logIndex"] = index,
                        ["rootHash"] = Hex.Lower(root),
                        ["treeSize"] = size,
                    },
                    ["signedEntryTimestamp"] = Convert.ToBase64String(set),
                },
            },
        });
    }

    public void Dispose()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (ObjectDisposedException)
        {
        }
        _key.Dispose();
    }
}
