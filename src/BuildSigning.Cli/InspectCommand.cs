using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;

namespace BuildSigning.Cli;

internal static class InspectCommand
{
    private const int SubjectsShown = 10;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var pathArgument = new Argument<string>("path") { Description = "A Sigstore bundle (*.sigstore.json) or a signed output directory." };
        var command = new Command("inspect", "Print what a bundle says (without verifying it; use 'verify' for that).") { pathArgument };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string path = Path.GetFullPath(parse.GetValue(pathArgument)!);
            var bundles = Directory.Exists(path)
                ? Directory.EnumerateFiles(SignedOutputLayout.AttestationDirectory(path), "*" + SigstoreBundle.FileSuffix).Order(StringComparer.Ordinal).ToArray()
                : [path];
            if (bundles.Length == 0) throw Errors.NoAttestations(path);
            foreach (string bundlePath in bundles) Describe(bundlePath, output);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void Describe(string path, TextWriter output)
    {
        var bundle = BundleVerifier.ReadBundle(path);
        output.WriteLine(path);
        output.WriteLine($"  media type:   {SigstoreBundle.MediaType}");
        if (bundle.CertificateDer is { } der)
        {
            using var certificate = LoadCertificate(path, der);
            output.WriteLine($"  signer:       certificate {certificate.Subject} (SHA-256 {certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)})");
        }
        else
        {
            output.WriteLine($"  signer:       key {(KeyId.TryParse(bundle.PublicKeyHint, out var id) ? id!.Hex : bundle.PublicKeyHint)}");
        }
        output.WriteLine($"  timestamps:   {bundle.Rfc3161Timestamps.Count} RFC 3161");
        foreach (var entry in bundle.TlogEntries)
        {
            output.WriteLine($"  tlog entry:   {entry.Kind} {entry.Version}, index {entry.LogIndex} of log {Convert.ToHexStringLower(entry.LogId)}, integrated {entry.IntegratedAt:u} (not verified)");
        }
        if (bundle.Message is { } message)
        {
            output.WriteLine($"  content:      message signature over {message.DigestAlgorithm} {Convert.ToHexString(message.Digest).ToLowerInvariant()}");
            return;
        }
        var statement = InTotoStatement.TryParse(bundle.Dsse!.Payload, out string reason) ?? throw Errors.BundleMalformed(path, reason);
        output.WriteLine($"  content:      DSSE envelope, {bundle.Dsse.PayloadType}");
        output.WriteLine($"  predicate:    {statement.PredicateType}");
        output.WriteLine($"  summary:      {PredicateSummary.Describe(statement)}");
        output.WriteLine($"  subjects:     {statement.Subjects.Count}");
        foreach (var subject in statement.Subjects.Take(SubjectsShown)) output.WriteLine($"    {subject.Sha256Hex}  {subject.Name}");
        if (statement.Subjects.Count > SubjectsShown) output.WriteLine($"    ... and {statement.Subjects.Count - SubjectsShown} more");
        if (statement.PredicateType == SignedOutputLayout.PredicateType)
        {
            // Our own predicate is short; SBOMs and provenance are summarized above and stored beside the bundle.
            output.WriteLine("  predicate content:");
            string predicateJson = statement.Predicate.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            foreach (string line in predicateJson.Split('\n')) output.WriteLine("    " + line);
        }
    }

    /// <summary>inspect does not verify, so it reads the certificate of any bundle it is shown, garbage included.</summary>
    private static X509Certificate2 LoadCertificate(string path, byte[] der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw Errors.BundleMalformed(path, "its certificate cannot be read.", e);
        }
    }
}
