using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BuildSigning.TestSupport;

/// <summary>
/// A SoftHSM2 token in a temporary folder (its own softhsm2.conf: SOFTHSM2_CONF), made with the real tools
/// (softhsm2-util, pkcs11-tool from OpenSC): token "ci" with user PIN <see cref="Pin"/> and the keys
///   ec-release  (id 01) ECDSA P-256, generated in the token (never outside it);
///   ec-p384     (id 04) ECDSA P-384, generated in the token;
///   nuget       (id 02) RSA 2048, imported with its self-signed code-signing certificate (same id and label);
///   weak-rsa    (id 09) RSA 1024 (too short to sign with).
/// The private key of "nuget" existed on disk only between its creation and the import (the key file is deleted).
/// </summary>
public sealed class SoftHsmToken : IDisposable
{
    public const string TokenLabel = "ci";
    public const string Pin = "4711-test";
    public const string SoPin = "so-0815";
    public const string PinVariable = "BUILDSIGNING_TEST_TOKEN_PIN";

    private readonly TempDirectory _directory = new("softhsm");

    public SoftHsmToken()
    {
        ModulePath = FindModule();
        string tokens = _directory.Combine("tokens");
        Directory.CreateDirectory(tokens);
        ConfigPath = _directory.WriteFile("softhsm2.conf", $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");

        Run("softhsm2-util", "--init-token", "--free", "--label", TokenLabel, "--pin", Pin, "--so-pin", SoPin);
        Tool("--keypairgen", "--key-type", "EC:prime256v1", "--label", "ec-release", "--id", "01");
        Tool("--keypairgen", "--key-type", "EC:secp384r1", "--label", "ec-p384", "--id", "04");
        Tool("--keypairgen", "--key-type", "rsa:1024", "--label", "weak-rsa", "--id", "09");

        using var certificate = TestCertificates.CreateSelfSignedCodeSigning("CN=BuildSigning Test Token Code Signing, O=BuildSigning Tests", rsaKeySize: 2048);
        using (var rsa = certificate.GetRSAPrivateKey()!)
        {
            string keyFile = _directory.WriteFile("import/nuget.key.pem", rsa.ExportPkcs8PrivateKeyPem());
            try
            {
                Run("softhsm2-util", "--import", keyFile, "--token", TokenLabel, "--label", "nuget", "--id", "02", "--pin", Pin);
            }
            finally
            {
                File.Delete(keyFile);
            }
        }
        CertificatePath = _directory.WriteFile("nuget.cer", certificate.RawData);
        CertificatePemPath = _directory.WriteFile("nuget.cer.pem", certificate.ExportCertificatePem());
        Tool("--write-object", CertificatePath, "--type", "cert", "--label", "nuget", "--id", "02");
        CertificateFingerprint = Convert.ToHexString(SHA256.HashData(certificate.RawData));
    }

    /// <summary>libsofthsm2.so on this machine.</summary>
    public string ModulePath { get; }

    /// <summary>The softhsm2.conf that points at this token's folder: give it to every process as SOFTHSM2_CONF.</summary>
    public string ConfigPath { get; }

    /// <summary>The code-signing certificate of the "nuget" key (DER and PEM), also stored in the token.</summary>
    public string CertificatePath { get; }
    public string CertificatePemPath { get; }
    public string CertificateFingerprint { get; }

    public string Folder => _directory.Path;

    /// <summary>A cosign-form URI for a key of this token.</summary>
    public string Uri(string keyLabel, string? token = TokenLabel, string? extra = null) =>
        $"pkcs11:{(token is null ? "" : $"token={token};")}object={keyLabel}{(extra is null ? "" : ";" + extra)}?module-path={ModulePath}";

    /// <summary>Environment for a child process (dotnet build, pkcs11-tool): this token's configuration and the PIN variable.</summary>
    public Dictionary<string, string?> Environment(string? pin = Pin) => new()
    {
        ["SOFTHSM2_CONF"] = ConfigPath,
        [PinVariable] = pin,
    };

    /// <summary>The public key of a token key as PEM, exported by pkcs11-tool and converted by openssl (independent of BuildSigning).</summary>
    public string ExportPublicKeyPem(string id)
    {
        string der = _directory.Combine($"pub-{id}.der");
        var read = ProcessRunner.Run("pkcs11-tool", ["--module", ModulePath, "--token-label", TokenLabel, "--read-object", "--type", "pubkey", "--id", id, "-o", der],
            environment: new Dictionary<string, string?> { ["SOFTHSM2_CONF"] = ConfigPath });
        if (read.ExitCode != 0)
        {
            // OpenSC 0.23 cannot export P-384 public keys ("cannot create EVP_PKEY"): take the CKA_EC_POINT it lists and
            // wrap it in a SubjectPublicKeyInfo for secp384r1 (id-ecPublicKey, 1.3.132.0.34) by hand; openssl checks it below.
            File.WriteAllBytes(der, [.. Convert.FromHexString("3076301006072a8648ce3d020106052b81040022036200"), .. ListedEcPoint(id, 97)]);
        }
        string pem = _directory.Combine($"pub-{id}.pem");
        Run("openssl", "pkey", "-pubin", "-inform", "DER", "-in", der, "-out", pem);
        return pem;
    }

    /// <summary>The uncompressed point (04 || X || Y) of a public EC key, from `pkcs11-tool --list-objects`.</summary>
    private byte[] ListedEcPoint(string id, int length)
    {
        var list = ProcessRunner.Run("pkcs11-tool", ["--module", ModulePath, "--token-label", TokenLabel, "--list-objects", "--type", "pubkey"],
            environment: new Dictionary<string, string?> { ["SOFTHSM2_CONF"] = ConfigPath });
        foreach (string block in list.StandardOutput.Split("Public Key Object", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n').Select(l => l.Trim()).ToArray();
            if (!lines.Any(l => l == $"ID:         {id}")) continue;
            string? point = lines.FirstOrDefault(l => l.StartsWith("EC_POINT:", StringComparison.Ordinal))?["EC_POINT:".Length..].Trim();
            if (point is null) continue;
            byte[] bytes = Convert.FromHexString(point);
            return bytes[^length..];
        }
        throw new InvalidOperationException($"pkcs11-tool listed no EC public key with id {id}:\n{list}");
    }

    private void Tool(params string[] arguments) =>
        Run("pkcs11-tool", ["--module", ModulePath, "--token-label", TokenLabel, "--login", "--pin", Pin, .. arguments]);

    private void Run(string tool, params string[] arguments)
    {
        var result = ProcessRunner.Run(tool, arguments, environment: new Dictionary<string, string?> { ["SOFTHSM2_CONF"] = ConfigPath });
        if (result.ExitCode != 0) throw new InvalidOperationException($"SoftHSM2 fixture step failed (install softhsm2 and opensc):\n{result}");
    }

    private static string FindModule()
    {
        foreach (string candidate in new[] { "/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so" })
        {
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("libsofthsm2.so was not found: install the softhsm2 package (.ci/run does).");
    }

    public void Dispose() => _directory.Dispose();
}
