using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Keys;

/// <summary>
/// An external signer: a command (BuildSigningSignerCommand) that signs digests with a key BuildSigning never sees (AWS KMS,
/// Azure Key Vault, Google Cloud KMS, Vault transit, an HSM's CLI), and the public key it must match (BuildSigningPublicKeyFile).
/// </summary>
public sealed record ExternalSignerOptions(string Command, string PublicKeyFile, int TimeoutSeconds = ExternalSignerOptions.DefaultTimeoutSeconds, string? WorkingDirectory = null)
{
    public const int DefaultTimeoutSeconds = 60;

    /// <summary>Reads $(BuildSigningSignerTimeout): empty means the default; otherwise whole seconds from 1 to 3600 (BS1057).</summary>
    public static int ParseTimeout(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return DefaultTimeoutSeconds;
        return int.TryParse(value.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds) && seconds is >= 1 and <= 3600
            ? seconds
            : throw Errors.SignerTimeoutInvalid(value);
    }
}

/// <summary>
/// Runs the signing command once per signature. The protocol (docs/signing-keys.md, "External signers"):
/// <list type="bullet">
/// <item>the command line goes to <c>/bin/sh -c</c> (<c>cmd.exe /d /s /c</c> on Windows) in the project's folder, with BuildSigning's own environment;</item>
/// <item>standard input: the raw digest bytes (32 for SHA-256, 48 for SHA-384), then end of file;</item>
/// <item>environment: BUILDSIGNING_DIGEST_ALGORITHM (SHA256 or SHA384), BUILDSIGNING_DIGEST_HEX, BUILDSIGNING_DIGEST_BASE64,
/// BUILDSIGNING_SIGNATURE_ALGORITHM (ECDSA_P256_SHA256, ECDSA_P384_SHA384 or RSA_PKCS1_SHA256), BUILDSIGNING_KEY_ID (hex);</item>
/// <item>standard output: the signature in base64 (standard or URL-safe alphabet, padding and surrounding white space optional);
/// ECDSA as DER or IEEE P1363 r||s; RSA as PKCS#1 v1.5 over the digest; exit code 0.</item>
/// </list>
/// Every signature is verified against the public key before it is returned; a failure is a coded error with the command's stderr.
/// </summary>
public sealed class SignerCommand
{
    private const int MaxErrorOutput = 2000;

    private readonly ExternalSignerOptions _options;

    public SignerCommand(ExternalSignerOptions options, VerificationKey publicKey)
    {
        _options = options;
        PublicKey = publicKey;
    }

    public VerificationKey PublicKey { get; }

    public static string SchemeName(SignatureAlgorithm algorithm) => algorithm switch
    {
        SignatureAlgorithm.EcdsaP256Sha256 => "ECDSA_P256_SHA256",
        SignatureAlgorithm.EcdsaP384Sha384 => "ECDSA_P384_SHA384",
        SignatureAlgorithm.RsaPkcs1Sha256 => "RSA_PKCS1_SHA256",
        _ => algorithm.ToString(),
    };

    /// <summary>Loads the public key and wraps the command as a <see cref="SigningKey"/> whose signatures come from the command.</summary>
    public static SigningKey CreateSigningKey(ExternalSignerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.PublicKeyFile)) throw Errors.SignerPublicKeyFileMissing();
        string publicKeyFile = Path.GetFullPath(options.PublicKeyFile);
        var publicKey = VerificationKey.FromFile(publicKeyFile);
        var command = new SignerCommand(options with { PublicKeyFile = publicKeyFile }, publicKey);
        AsymmetricAlgorithm key = publicKey.Algorithm switch
        {
            SignatureAlgorithm.EcdsaP256Sha256 or SignatureAlgorithm.EcdsaP384Sha384 => new ExternalECDsa(command),
            SignatureAlgorithm.RsaPkcs1Sha256 => new ExternalRsa(command),
            _ => throw Errors.SignerPublicKeyUnsupported(publicKeyFile),
        };
        return new SigningKey(key, publicKey.Algorithm, publicKeyFile, certificate: null, isDevelopmentKey: false);
    }

    /// <summary>
    /// The NuGet author-signing identity of a signing command: its RSA key (CMS asks it for one PKCS#1 v1.5 signature over
    /// the signed attributes' SHA-256) with the key's code-signing certificate from BuildSigningCertificateFile. An ECDSA
    /// key or no certificate is BS1059.
    /// </summary>
    public static CodeSigningCertificate CreateCodeSigningCertificate(ExternalSignerOptions options, string? certificateFile)
    {
        if (string.IsNullOrWhiteSpace(options.PublicKeyFile)) throw Errors.SignerPublicKeyFileMissing();
        if (string.IsNullOrWhiteSpace(certificateFile)) throw Errors.SignerPackageSignature("no BuildSigningCertificateFile is set");
        string publicKeyFile = Path.GetFullPath(options.PublicKeyFile);
        var publicKey = VerificationKey.FromFile(publicKeyFile);
        if (publicKey.Algorithm != SignatureAlgorithm.RsaPkcs1Sha256)
        {
            throw Errors.SignerPackageSignature($"the command's key is {SchemeName(publicKey.Algorithm)}, not RSA");
        }
        string certificatePath = Path.GetFullPath(certificateFile);
        var certificate = SigningKeyLoader.LoadCertificate(certificatePath);
        if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(publicKey.SubjectPublicKeyInfo))
        {
            certificate.Dispose();
            throw Errors.CertificateKeyMismatch(certificatePath, publicKeyFile);
        }
        var command = new SignerCommand(options with { PublicKeyFile = publicKeyFile }, publicKey);
        return new CodeSigningCertificate(certificate, source: publicKeyFile, privateKey: new ExternalRsa(command));
    }

    /// <summary>Has the command sign a digest; returns the verified signature (ECDSA in DER).</summary>
    public byte[] SignDigest(ReadOnlySpan<byte> digest) => SignDigest(digest, PublicKey.Algorithm.HashAlgorithm());

    /// <summary>
    /// Has the command sign a digest made with <paramref name="hash"/>: the key's own hash, or, for an RSA key, the SHA-384 or
    /// SHA-512 a NuGet signature may use (BuildSigningPackageHashAlgorithm); the scheme is then RSA_PKCS1_SHA384/512.
    /// </summary>
    public byte[] SignDigest(ReadOnlySpan<byte> digest, HashAlgorithmName hash)
    {
        bool rsaOtherHash = PublicKey.Algorithm == SignatureAlgorithm.RsaPkcs1Sha256 && hash != HashAlgorithmName.SHA256;
        string scheme = rsaOtherHash ? "RSA_PKCS1_" + hash.Name : SchemeName(PublicKey.Algorithm);
        var (output, errorOutput) = Run(digest.ToArray(), hash.Name ?? "SHA256", scheme);
        byte[] signature = DecodeBase64(output)
            ?? throw Errors.SignerOutputUnreadable(output.Trim().Length == 0 ? "its standard output was empty" : "its standard output is not base64", errorOutput);
        if (signature.Length == 0) throw Errors.SignerOutputUnreadable("its standard output was empty", errorOutput);

        var candidates = PublicKey.Algorithm is SignatureAlgorithm.EcdsaP256Sha256 or SignatureAlgorithm.EcdsaP384Sha384
            ? EcdsaSignatureFormat.DerCandidates(signature, EcdsaSignatureFormat.FieldSize(PublicKey.Algorithm))
            : [signature];
        foreach (byte[] candidate in candidates)
        {
            if (rsaOtherHash ? VerifyRsa(digest, candidate, hash) : PublicKey.VerifyHash(digest, candidate)) return candidate;
        }
        throw Errors.SignerSignatureInvalid(_options.PublicKeyFile, PublicKey.Id.Hex, scheme, errorOutput);
    }

    private bool VerifyRsa(ReadOnlySpan<byte> digest, byte[] signature, HashAlgorithmName hash)
    {
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(PublicKey.SubjectPublicKeyInfo, out _);
        try
        {
            return rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private (string Output, string ErrorOutput) Run(byte[] digest, string digestAlgorithm, string scheme)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            WorkingDirectory = _options.WorkingDirectory is { Length: > 0 } directory && Directory.Exists(directory) ? directory : Environment.CurrentDirectory,
        };
        if (OperatingSystem.IsWindows())
        {
            start.FileName = Environment.GetEnvironmentVariable("ComSpec") ?? "cmd.exe";
            start.Arguments = $"/d /s /c \"{_options.Command}\"";
        }
        else
        {
            start.FileName = "/bin/sh";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(_options.Command);
        }
        start.Environment["BUILDSIGNING_DIGEST_ALGORITHM"] = digestAlgorithm;
        start.Environment["BUILDSIGNING_DIGEST_HEX"] = Hex.Lower(digest);
        start.Environment["BUILDSIGNING_DIGEST_BASE64"] = Convert.ToBase64String(digest);
        start.Environment["BUILDSIGNING_SIGNATURE_ALGORITHM"] = scheme;
        start.Environment["BUILDSIGNING_KEY_ID"] = PublicKey.Id.Hex;

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            throw Errors.SignerCommandNotStarted(e);
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.BaseStream.Write(digest);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command need not read its input (it may take the digest from the environment) and may already have exited.
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(_options.TimeoutSeconds)))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited just now.
            }
            process.WaitForExit(TimeSpan.FromSeconds(5));
            throw Errors.SignerCommandTimedOut(_options.TimeoutSeconds, Collected(error));
        }
        // A child the command left running may hold the pipes open: wait a little for the rest of the output, no longer.
        Task.WaitAll([output, error], TimeSpan.FromSeconds(5));
        string errorOutput = Collected(error);
        if (process.ExitCode != 0) throw Errors.SignerCommandFailed(process.ExitCode, errorOutput);
        return (output.IsCompletedSuccessfully ? output.Result : "", errorOutput);
    }

    private static string Collected(Task<string> error)
    {
        if (!error.Wait(TimeSpan.FromSeconds(2)) || !error.IsCompletedSuccessfully) return "(not available)";
        string text = error.Result.Trim();
        if (text.Length == 0) return "(none).";
        if (text.Length > MaxErrorOutput) text = text[..MaxErrorOutput] + " [...]";
        return Errors.EndSentence(text.ReplaceLineEndings(" | "));
    }

    /// <summary>Base64 in the standard or URL-safe alphabet, with or without padding; white space anywhere is ignored.</summary>
    internal static byte[]? DecodeBase64(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c)) continue;
            builder.Append(c switch { '-' => '+', '_' => '/', _ => c });
        }
        string compact = builder.ToString().TrimEnd('=');
        if (compact.Length == 0 || compact.Length % 4 == 1) return null;
        compact = compact.PadRight(compact.Length + (4 - compact.Length % 4) % 4, '=');
        try
        {
            return Convert.FromBase64String(compact);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>An ECDSA key whose private half is behind a <see cref="SignerCommand"/>; .NET turns its r||s into DER where asked.</summary>
internal sealed class ExternalECDsa : ECDsa
{
    private readonly SignerCommand _command;
    private readonly ECDsa _public;

    public ExternalECDsa(SignerCommand command)
    {
        _command = command;
        _public = ECDsa.Create();
        _public.ImportSubjectPublicKeyInfo(command.PublicKey.SubjectPublicKeyInfo, out _);
        KeySizeValue = _public.KeySize;
        LegalKeySizesValue = [new KeySizes(KeySizeValue, KeySizeValue, 0)];
    }

    public override byte[] SignHash(byte[] hash)
    {
        byte[] der = _command.SignDigest(hash);
        return EcdsaSignatureFormat.TryDerToP1363(der, EcdsaSignatureFormat.FieldSize(_command.PublicKey.Algorithm), out byte[] p1363)
            ? p1363
            : throw new CryptographicException("The verified signature is not DER.");
    }

    public override bool VerifyHash(byte[] hash, byte[] signature) => _public.VerifyHash(hash, signature);
    public override ECParameters ExportParameters(bool includePrivateParameters) =>
        includePrivateParameters ? throw new CryptographicException("The private key stays with the signing command.") : _public.ExportParameters(false);
    public override ECParameters ExportExplicitParameters(bool includePrivateParameters) =>
        includePrivateParameters ? throw new CryptographicException("The private key stays with the signing command.") : _public.ExportExplicitParameters(false);
    public override byte[] ExportSubjectPublicKeyInfo() => _public.ExportSubjectPublicKeyInfo();

    protected override byte[] HashData(byte[] data, int offset, int count, HashAlgorithmName hashAlgorithm) =>
        CryptographicOperations.HashData(hashAlgorithm, data.AsSpan(offset, count));
    protected override byte[] HashData(Stream data, HashAlgorithmName hashAlgorithm) => CryptographicOperations.HashData(hashAlgorithm, data);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _public.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>An RSA key whose private half is behind a <see cref="SignerCommand"/> (PKCS#1 v1.5 signatures only).</summary>
internal sealed class ExternalRsa : RSA
{
    private readonly SignerCommand _command;
    private readonly RSA _public;

    public ExternalRsa(SignerCommand command)
    {
        _command = command;
        _public = RSA.Create();
        _public.ImportSubjectPublicKeyInfo(command.PublicKey.SubjectPublicKeyInfo, out _);
        KeySizeValue = _public.KeySize;
        LegalKeySizesValue = [new KeySizes(KeySizeValue, KeySizeValue, 0)];
    }

    public override byte[] SignHash(byte[] hash, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding)
    {
        if (padding != RSASignaturePadding.Pkcs1 || hashAlgorithm != HashAlgorithmName.SHA256 && hashAlgorithm != HashAlgorithmName.SHA384 && hashAlgorithm != HashAlgorithmName.SHA512)
        {
            throw new CryptographicException($"The signing command signs PKCS#1 v1.5 signatures over SHA-256, SHA-384 or SHA-512 only, not {hashAlgorithm.Name}.");
        }
        return _command.SignDigest(hash, hashAlgorithm);
    }

    public override bool VerifyHash(byte[] hash, byte[] signature, HashAlgorithmName hashAlgorithm, RSASignaturePadding padding) =>
        _public.VerifyHash(hash, signature, hashAlgorithm, padding);
    public override RSAParameters ExportParameters(bool includePrivateParameters) =>
        includePrivateParameters ? throw new CryptographicException("The private key stays with the signing command.") : _public.ExportParameters(false);
    public override void ImportParameters(RSAParameters parameters) => throw new NotSupportedException();
    public override byte[] ExportSubjectPublicKeyInfo() => _public.ExportSubjectPublicKeyInfo();

    protected override byte[] HashData(byte[] data, int offset, int count, HashAlgorithmName hashAlgorithm) =>
        CryptographicOperations.HashData(hashAlgorithm, data.AsSpan(offset, count));
    protected override byte[] HashData(Stream data, HashAlgorithmName hashAlgorithm) => CryptographicOperations.HashData(hashAlgorithm, data);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _public.Dispose();
        base.Dispose(disposing);
    }
}
