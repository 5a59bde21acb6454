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
        var pathArgument = new Argument<string>("path") { Description = "A Sigstore bundle (*.sigstore.json), a signed output directory, or a .nupkg/.snupkg package." };
        var command = new Command("inspect", "Print what a bundle says (without verifying it; use 'verify' for that).") { pathArgument };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string path = Path.GetFullPath(parse.GetValue(pathArgument)!);
            if (IsPackage(path)) return DescribePackage(path, output);
            if (!Directory.Exists(path) && !File.Exists(path)) throw Errors.Create("PathNotFound", null, path);
            string attestations = SignedOutputLayout.AttestationDirectory(path);
            var bundles = Directory.Exists(path)
                ? (Directory.Exists(attestations) ? Directory.EnumerateFiles(attestations, "*" + SigstoreBundle.FileSuffix).Order(StringComparer.Ordinal).ToArray() : [])
                : [path];
            if (bundles.Length == 0) throw Errors.NoAttestations(path);
            foreach (string bundlePath in bundles) Describe(bundlePath, output);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static bool IsPackage(string path) =>
        File.Exists(path) && (path.EndsWith(".nupkg", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".snupkg", StringComparison.OrdinalIgnoreCase));

    /// <summary>A package: what it carries (SBOMs, the statement over its entries, its NuGet signature), then the bundles beside it.</summary>
    private static int DescribePackage(string path, TextWriter output)
    {
        output.WriteLine(path);
        List<(string Name, byte[] Content)> carried = [];
        bool nugetSigned;
        try
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            nugetSigned = zip.GetEntry(".signature.p7s") is not null;
            foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith("buildsigning/", StringComparison.Ordinal) || e.FullName.StartsWith(".buildsigning/", StringComparison.Ordinal)))
            {
                using var stream = entry.Open();
                using var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                carried.Add((entry.FullName, buffer.ToArray()));
            }
        }
        catch (Exception e) when (e is IOException or System.IO.InvalidDataException or UnauthorizedAccessException)
        {
            throw Errors.Create("PackageFileUnreadable", e, path, e.Message.TrimEnd('.') + ".");
        }
        output.WriteLine($"  NuGet signature: {(nugetSigned ? "present (check it with 'buildsign verify')" : "none")}");
        foreach (var (name, content) in carried.Where(c => !c.Name.EndsWith(SigstoreBundle.FileSuffix, StringComparison.Ordinal)))
        {
            output.WriteLine($"  inside: {name} ({content.Length} bytes)");
        }
        foreach (var (name, content) in carried.Where(c => c.Name.EndsWith(SigstoreBundle.FileSuffix, StringComparison.Ordinal)))
        {
            var bundle = SigstoreBundle.TryParse(content, out string reason) ?? throw Errors.BundleMalformed($"{path}!{name}", reason);
            Describe($"{path}!{name} (inside the package)", bundle, output);
        }
        var beside = Core.Packages.PackageAttestor.ExistingBundles(path);
        foreach (string bundlePath in beside) Describe(bundlePath, output);
        if (carried.Count == 0 && beside.Count == 0) throw Errors.NoSignedPackageContent(path, Path.GetFileName(path) + "*" + SigstoreBundle.FileSuffix);
        return ExitCodes.Success;
    }

    private static void Describe(string path, TextWriter output) => Describe(path, BundleVerifier.ReadBundle(path), output);

    private static void Describe(string path, SigstoreBundle bundle, TextWriter output)
    {
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
