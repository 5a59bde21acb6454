using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Keys;

/// <summary>
/// A self-signed RSA code-signing certificate, as NuGet author signatures need (code-signing EKU, RSA of 2048 bits or
/// more): the development certificate's, and the one `buildsign keygen --nuget-certificate` writes for a team's key.
/// Nobody trusts it by its root; consumers pin its fingerprint (docs/packages.md).
/// </summary>
public static class SelfSignedCodeSigningCertificate
{
    public const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(3 * 365);

    public static X509Certificate2 Create(RSA key, string subject, DateTimeOffset now, TimeSpan lifetime)
    {
        var request = new CertificateRequest(ParseSubject(subject), key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CodeSigningEku)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        // Back-dated a day so a slightly wrong clock elsewhere does not make it "not yet valid".
        return request.CreateSelfSigned(now.AddDays(-1), now.Add(lifetime));
    }

    /// <summary>An X.500 subject ("CN=..., O=..."); BS1022 when it is not one.</summary>
    public static X500DistinguishedName ParseSubject(string subject)
    {
        try
        {
            var name = new X500DistinguishedName(subject);
            if (name.RawData.Length <= 2) throw new CryptographicException("The name is empty.");
            return name;
        }
        catch (CryptographicException e)
        {
            throw Errors.CertificateSubjectInvalid(subject, e);
        }
    }

    /// <summary>
    /// Writes the certificate of the RSA private key in <paramref name="privateKeyPath"/> (PKCS#8 PEM, encrypted with
    /// <paramref name="password"/> when given) to <paramref name="certificatePath"/> as PEM. Returns its SHA-256 fingerprint.
    /// </summary>
    public static string WriteForKey(string privateKeyPath, string? password, string subject, string certificatePath, bool overwrite)
    {
        if (!overwrite && File.Exists(certificatePath)) throw Errors.KeyOutputExists(certificatePath);
        using var rsa = RSA.Create();
        string pem = File.ReadAllText(privateKeyPath);
        if (password is null) rsa.ImportFromPem(pem);
        else rsa.ImportFromEncryptedPem(pem, password);
        using var certificate = Create(rsa, subject, DateTimeOffset.UtcNow, DefaultLifetime);
        AtomicFile.WriteAllBytes(certificatePath, Encoding.UTF8.GetBytes(certificate.ExportCertificatePem() + "\n"));
        return certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }
}
