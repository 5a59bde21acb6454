using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Keys;

/// <summary>A public key that checks signatures. Loaded from a PEM public key or a certificate.</summary>
public sealed class VerificationKey
{
    private VerificationKey(byte[] subjectPublicKeyInfo, SignatureAlgorithm algorithm, string source)
    {
        SubjectPublicKeyInfo = subjectPublicKeyInfo;
        Algorithm = algorithm;
        Source = source;
        Id = KeyId.FromSubjectPublicKeyInfo(subjectPublicKeyInfo);
    }

    public byte[] SubjectPublicKeyInfo { get; }
    public SignatureAlgorithm Algorithm { get; }
    public KeyId Id { get; }
    public string Source { get; }

    public static VerificationKey FromSubjectPublicKeyInfo(byte[] spki, string source)
    {
        using AsymmetricAlgorithm key = ImportPublicKey(spki, source);
        var algorithm = SignatureAlgorithms.ForKey(key, out string description)
            ?? throw Errors.PublicKeyFileUnusable(source, $"it is {description}, which BuildSigning does not verify.");
        return new VerificationKey(spki, algorithm, source);
    }

    public static VerificationKey FromCertificate(X509Certificate2 certificate, string source) =>
        FromSubjectPublicKeyInfo(certificate.PublicKey.ExportSubjectPublicKeyInfo(), source);

    /// <summary>Reads 'BEGIN PUBLIC KEY' or 'BEGIN CERTIFICATE' PEM text.</summary>
    public static VerificationKey FromPem(string pem, string source)
    {
        foreach (var (label, der) in Pem.Sections(pem))
        {
            if (label == "PUBLIC KEY") return FromSubjectPublicKeyInfo(der, source);
            if (label == "CERTIFICATE")
            {
                using var certificate = X509CertificateLoader.LoadCertificate(der);
                return FromCertificate(certificate, source);
            }
        }
        throw Errors.PublicKeyFileUnusable(source, "it holds no 'PUBLIC KEY' or 'CERTIFICATE' PEM section.");
    }

    public static VerificationKey FromFile(string path)
    {
        if (Directory.Exists(path)) throw Errors.PublicKeyFileUnusable(path, "it is a folder, not a public key file.");
        if (!File.Exists(path)) throw Errors.PublicKeyFileUnusable(path, "the file does not exist.");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.PublicKeyFileUnusable(path, Errors.Sentence(e), e);
        }
        return FromPem(text, path);
    }

    public string ExportPem() => PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfo) + "\n";

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using AsymmetricAlgorithm key = ImportPublicKey(SubjectPublicKeyInfo, Source);
        try
        {
            return key switch
            {
                ECDsa ec => ec.VerifyData(data, signature, Algorithm.HashAlgorithm(), DSASignatureFormat.Rfc3279DerSequence),
                RSA rsa => rsa.VerifyData(data, signature, Algorithm.HashAlgorithm(), RSASignaturePadding.Pkcs1),
                Ed25519Key ed => ed.VerifyData(data, signature),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public bool VerifyHash(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        using AsymmetricAlgorithm key = ImportPublicKey(SubjectPublicKeyInfo, Source);
        try
        {
            return key switch
            {
                ECDsa ec => ec.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence),
                RSA rsa => rsa.VerifyHash(digest, signature, Algorithm.HashAlgorithm(), RSASignaturePadding.Pkcs1),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Hashes a stream with the key's hash algorithm (the digest a message signature covers).</summary>
    public byte[] HashStream(Stream content) =>
        Algorithm.HashAlgorithm() == HashAlgorithmName.SHA384 ? SHA384.HashData(content) : SHA256.HashData(content);

    private static AsymmetricAlgorithm ImportPublicKey(byte[] spki, string source)
    {
        try
        {
            if (Ed25519Key.IsEd25519SubjectPublicKeyInfo(spki)) return Ed25519Key.FromSubjectPublicKeyInfo(spki);
            var ec = ECDsa.Create();
            try
            {
                ec.ImportSubjectPublicKeyInfo(spki, out _);
                return ec;
            }
            catch (CryptographicException)
            {
                ec.Dispose();
            }
            var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(spki, out _);
            return rsa;
        }
        catch (CryptographicException e)
        {
            throw Errors.PublicKeyFileUnusable(source, "it is not an ECDSA, RSA or Ed25519 public key.", e);
        }
    }
}
