using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;

namespace BuildSigning.Core.Keys;

/// <summary>
/// The zero-configuration, per-user identity for NuGet author signatures: a self-signed RSA-3072 code-signing certificate
/// kept beside the development key (same folder, BUILDSIGNING_HOME override). Created once (private PEM, mode 0600, with the
/// certificate in the same file), reused afterwards, and replaced only when it has expired. Concurrent builds race safely:
/// the first file to land wins and everyone loads it.
/// </summary>
public static class DevelopmentCodeSigningCertificate
{
    /// <summary>PKCS#8 private key and certificate, both PEM, readable by the owner only.</summary>
    public const string PrivateFileName = "development-codesigning.pem";

    /// <summary>The certificate alone, to hand to whoever should trust this machine's packages.</summary>
    public const string CertificateFileName = "development-codesigning.cer.pem";

    public const string Subject = "CN=BuildSigning Development Code Signing (not for distribution), O=BuildSigning";
    private static readonly TimeSpan Lifetime = SelfSignedCodeSigningCertificate.DefaultLifetime;

    public static string PrivatePath(string directory) => Path.Combine(directory, PrivateFileName);
    public static string CertificatePath(string directory) => Path.Combine(directory, CertificateFileName);

    /// <summary>Loads the development certificate from <paramref name="directory"/> (see <see cref="DevelopmentKey.DefaultDirectory"/>), creating it first if needed.</summary>
    public static CodeSigningCertificate GetOrCreate(string directory)
    {
        string privatePath = PrivatePath(directory);
        try
        {
            DevelopmentKey.PrepareDirectory(directory);
            DevelopmentKey.RefuseLink(privatePath);
            if (!File.Exists(privatePath))
            {
                using var creating = DevelopmentKey.LockForCreation(directory); // see DevelopmentKey.GetOrCreate
                if (!File.Exists(privatePath)) AtomicFile.TryCreateNew(privatePath, CreatePem(DateTimeOffset.UtcNow), KeyGenerator.PrivateFileMode);
            }
            var certificate = Load(privatePath);
            if (certificate.Certificate.NotAfter.ToUniversalTime() <= DateTime.UtcNow.AddDays(1))
            {
                // Expired (or about to): replace it. A racing build may replace it too; either result is a valid certificate.
                certificate.Dispose();
                AtomicFile.WriteAllBytes(privatePath, CreatePem(DateTimeOffset.UtcNow), KeyGenerator.PrivateFileMode);
                certificate = Load(privatePath);
            }
            AtomicFile.WriteIfChanged(CertificatePath(directory), Encoding.UTF8.GetBytes(certificate.Certificate.ExportCertificatePem() + "\n"));
            return certificate;
        }
        catch (BuildSigningException e) when (e.Code is "BS2003" or "BS1001" or "BS1002" or "BS1007" or "BS1008" or "BS1009")
        {
            throw Errors.DevelopmentKeyUnavailable(directory, e.InnerException ?? e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw Errors.DevelopmentKeyUnavailable(directory, e);
        }
    }

    /// <summary>The id of the development certificate's key in <paramref name="directory"/>, if it exists there.</summary>
    public static KeyId? ExistingKeyId(string directory)
    {
        string path = File.Exists(CertificatePath(directory)) ? CertificatePath(directory) : PrivatePath(directory);
        try
        {
            return File.Exists(path) ? VerificationKey.FromFile(path).Id : null;
        }
        catch (Exception e) when (e is BuildSigningException or CryptographicException)
        {
            return null;
        }
    }

    /// <summary>The coded warning to log when a package is signed with the development certificate.</summary>
    public static Diagnostic InUseWarning(string packagePath, CodeSigningCertificate certificate, string directory) =>
        new("DevelopmentCodeSigningCertificateInUse", [packagePath, certificate.Sha256Fingerprint, CertificatePath(directory)]);

    private static CodeSigningCertificate Load(string privatePath)
    {
        var loaded = CodeSigningCertificateLoader.Load(new CodeSigningCertificateOptions(privatePath));
        return new CodeSigningCertificate(loaded.Certificate, loaded.ExtraCertificates, privatePath, isDevelopmentCertificate: true);
    }

    private static byte[] CreatePem(DateTimeOffset now)
    {
        using var rsa = RSA.Create(3072);
        using var certificate = SelfSignedCodeSigningCertificate.Create(rsa, Subject, now, Lifetime);
        return Encoding.UTF8.GetBytes(rsa.ExportPkcs8PrivateKeyPem() + "\n" + certificate.ExportCertificatePem() + "\n");
    }
}
