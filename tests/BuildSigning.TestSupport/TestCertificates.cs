using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace BuildSigning.TestSupport;

/// <summary>
/// Test certificates made with <see cref="CertificateRequest"/>: self-signed code signing, a root CA with leaves,
/// expired, not yet valid, without the code-signing EKU, ECDSA, and RFC 3161 timestamping. All carry their private keys.
/// </summary>
public static class TestCertificates
{
    public const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";
    public const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";
    public const string ServerAuthEku = "1.3.6.1.5.5.7.3.1";

    private static readonly Lazy<X509Certificate2> SharedRootValue = new(() => CreateRootCa("CN=BuildSigning Test Root CA (shared), O=BuildSigning Tests"));

    /// <summary>
    /// One root CA per test process. TSA and chained leaf certificates are issued by it by default, so a single root
    /// has to be trusted (see <see cref="NuGetTestTrust"/>).
    /// </summary>
    public static X509Certificate2 SharedRoot => SharedRootValue.Value;

    /// <summary>A self-signed RSA code-signing certificate (RSA-3072, SHA-256), valid from yesterday for two years.</summary>
    public static X509Certificate2 CreateSelfSignedCodeSigning(string subject = "CN=BuildSigning Test Code Signing, O=BuildSigning Tests", int rsaKeySize = 3072,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, bool codeSigningEku = true)
    {
        using var rsa = RSA.Create(rsaKeySize);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddLeafExtensions(request, codeSigningEku ? [CodeSigningEku] : [ServerAuthEku], ekuCritical: false);
        return request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(2));
    }

    public static X509Certificate2 CreateExpiredCodeSigning() => CreateSelfSignedCodeSigning(
        "CN=BuildSigning Test Expired, O=BuildSigning Tests", notBefore: DateTimeOffset.UtcNow.AddYears(-2), notAfter: DateTimeOffset.UtcNow.AddDays(-1));

    public static X509Certificate2 CreateNotYetValidCodeSigning() => CreateSelfSignedCodeSigning(
        "CN=BuildSigning Test Not Yet Valid, O=BuildSigning Tests", notBefore: DateTimeOffset.UtcNow.AddDays(2), notAfter: DateTimeOffset.UtcNow.AddYears(2));

    /// <summary>RSA, valid, but issued for TLS server authentication only.</summary>
    public static X509Certificate2 CreateWithoutCodeSigningEku() => CreateSelfSignedCodeSigning(
        "CN=BuildSigning Test Server Only, O=BuildSigning Tests", codeSigningEku: false);

    /// <summary>A self-signed ECDSA P-256 code-signing certificate: fine for X.509 in general, not for NuGet (which requires RSA).</summary>
    public static X509Certificate2 CreateEcdsaCodeSigning(string subject = "CN=BuildSigning Test ECDSA Code Signing, O=BuildSigning Tests")
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256);
        AddLeafExtensions(request, [CodeSigningEku], ekuCritical: false);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2));
    }

    /// <summary>A self-signed RSA-3072 certificate authority (basic constraints CA, keyCertSign and cRLSign).</summary>
    public static X509Certificate2 CreateRootCa(string subject = "CN=BuildSigning Test Root CA, O=BuildSigning Tests")
    {
        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-7), DateTimeOffset.UtcNow.AddYears(10));
    }

    /// <summary>An RSA leaf issued by <paramref name="issuer"/> (which must hold its private key), with the given EKUs.</summary>
    public static X509Certificate2 CreateLeaf(X509Certificate2 issuer, string subject, IReadOnlyList<string> ekus, bool ekuCritical = false,
        int rsaKeySize = 3072, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var rsa = RSA.Create(rsaKeySize);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddLeafExtensions(request, ekus, ekuCritical);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        DateTimeOffset from = notBefore ?? DateTimeOffset.UtcNow.AddDays(-1);
        DateTimeOffset to = notAfter ?? DateTimeOffset.UtcNow.AddYears(2);
        if (from < issuer.NotBefore) from = issuer.NotBefore;
        if (to > issuer.NotAfter) to = issuer.NotAfter;
        using var certificate = request.Create(issuer, from, to, NewSerialNumber());
        return certificate.CopyWithPrivateKey(rsa);
    }

    /// <summary>A root CA and an RSA-3072 code-signing leaf it issued. The root defaults to <see cref="SharedRoot"/>.</summary>
    public static TestCertificateChain CreateCodeSigningChain(X509Certificate2? root = null)
    {
        root ??= SharedRoot;
        var leaf = CreateLeaf(root, "CN=BuildSigning Test Chained Code Signing, O=BuildSigning Tests", [CodeSigningEku]);
        return new TestCertificateChain(root, leaf);
    }

    /// <summary>An RFC 3161 time-stamping certificate: RSA-3072, critical EKU with id-kp-timeStamping only.</summary>
    public static X509Certificate2 CreateTimestampingCertificate(X509Certificate2? issuer = null, string subject = "CN=BuildSigning Test Timestamp Authority, O=BuildSigning Tests") =>
        CreateLeaf(issuer ?? SharedRoot, subject, [TimeStampingEku], ekuCritical: true);

    /// <summary>The SHA-256 fingerprint as NuGet prints and trustedSigners expects it: uppercase hex of the DER certificate.</summary>
    public static string Sha256Fingerprint(X509Certificate2 certificate) => Convert.ToHexString(SHA256.HashData(certificate.RawData));

    /// <summary>Writes a PFX protected by <paramref name="password"/>, with the extra certificates (for example the issuer) beside the leaf.</summary>
    public static string ExportPfx(X509Certificate2 certificate, string path, string password, IEnumerable<X509Certificate2>? extraCertificates = null)
    {
        var collection = new X509Certificate2Collection(certificate);
        if (extraCertificates is not null)
        {
            foreach (var extra in extraCertificates) collection.Add(X509CertificateLoader.LoadCertificate(extra.RawData));
        }
        byte[] pfx = collection.Export(X509ContentType.Pkcs12, password)!;
        File.WriteAllBytes(path, pfx);
        return UnixFile.RestrictToOwner(path);
    }

    /// <summary>Writes the certificate (PEM, followed by the extra certificates) and its private key as PKCS#8 PEM (encrypted when a password is given).</summary>
    public static (string CertificatePath, string KeyPath) ExportPem(X509Certificate2 certificate, string certificatePath, string keyPath,
        string? keyPassword = null, IEnumerable<X509Certificate2>? extraCertificates = null)
    {
        var pem = new StringBuilder(certificate.ExportCertificatePem()).Append('\n');
        if (extraCertificates is not null)
        {
            foreach (var extra in extraCertificates) pem.Append(extra.ExportCertificatePem()).Append('\n');
        }
        File.WriteAllText(certificatePath, pem.ToString());

        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey() ?? certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException("The certificate has no RSA or ECDSA private key.", nameof(certificate));
        using (key)
        {
            string keyPem = string.IsNullOrEmpty(keyPassword)
                ? key.ExportPkcs8PrivateKeyPem()
                : key.ExportEncryptedPkcs8PrivateKeyPem(keyPassword.AsSpan(), new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10_000));
            File.WriteAllText(keyPath, keyPem + "\n");
            UnixFile.RestrictToOwner(keyPath);
        }
        return (certificatePath, keyPath);
    }

    /// <summary>PEM text of one or more certificates, for trust bundles.</summary>
    public static string ToPem(params X509Certificate2[] certificates) =>
        string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n"));

    /// <summary>A positive, minimally encoded 16-byte serial number.</summary>
    public static byte[] NewSerialNumber()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }

    private static void AddLeafExtensions(CertificateRequest request, IReadOnlyList<string> ekus, bool ekuCritical)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        var usages = new OidCollection();
        foreach (string eku in ekus) usages.Add(new Oid(eku));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, ekuCritical));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
    }
}

/// <summary>A root CA and a leaf it issued (the leaf holds its private key).</summary>
public sealed record TestCertificateChain(X509Certificate2 Root, X509Certificate2 Leaf);
