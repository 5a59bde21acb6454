using System.Text;
using System.Text.Json;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>Reads bundles with plain JSON parsing and checks DSSE signatures with openssl: independent of BuildSigning's own code.</summary>
internal static class Bundles
{
    public static JsonElement ReadStatement(string bundlePath)
    {
        using var bundle = JsonDocument.Parse(File.ReadAllBytes(bundlePath));
        byte[] payload = Convert.FromBase64String(bundle.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!);
        return JsonDocument.Parse(payload).RootElement.Clone();
    }

    public static IReadOnlyDictionary<string, string> Subjects(string bundlePath) =>
        ReadStatement(bundlePath).GetProperty("subject").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("digest").GetProperty("sha256").GetString()!);

    /// <summary>Rebuilds the DSSE PAE bytes by hand and asks `openssl dgst -verify` whether the signature holds.</summary>
    public static ProcessResult VerifyWithOpenSsl(string bundlePath, string publicKeyPem, string workDirectory)
    {
        using var bundle = JsonDocument.Parse(File.ReadAllBytes(bundlePath));
        var envelope = bundle.RootElement.GetProperty("dsseEnvelope");
        string payloadType = envelope.GetProperty("payloadType").GetString()!;
        byte[] payload = Convert.FromBase64String(envelope.GetProperty("payload").GetString()!);
        byte[] signature = Convert.FromBase64String(envelope.GetProperty("signatures")[0].GetProperty("sig").GetString()!);

        byte[] header = Encoding.UTF8.GetBytes($"DSSEv1 {Encoding.UTF8.GetByteCount(payloadType)} {payloadType} {payload.Length} ");
        string paePath = Path.Combine(workDirectory, "pae.bin");
        string signaturePath = Path.Combine(workDirectory, "signature.der");
        File.WriteAllBytes(paePath, [.. header, .. payload]);
        File.WriteAllBytes(signaturePath, signature);
        return ProcessRunner.Run("openssl", ["dgst", "-sha256", "-verify", publicKeyPem, "-signature", signaturePath, paePath], workDirectory);
    }
}
