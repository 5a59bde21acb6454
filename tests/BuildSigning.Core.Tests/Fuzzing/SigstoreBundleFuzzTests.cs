using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>
/// Mutated Sigstore bundles (a DSSE bundle with a key hint, one with a certificate and an RFC 3161 timestamp, a blob
/// signature; all signed by the fixed key in Seeds/fuzz-key.pub.pem) through the parser and the verifier.
/// </summary>
public sealed class SigstoreBundleFuzzTests : IDisposable
{
    private static readonly byte[][] Seeds =
        [Fuzz.Seed("dsse-key.sigstore.json"), Fuzz.Seed("dsse-certificate-timestamp.sigstore.json"), Fuzz.Seed("blob-key.sigstore.json")];

    private static readonly VerificationKey TrustedKey = VerificationKey.FromFile(Fuzz.SeedPath("fuzz-key.pub.pem"));
    private static readonly byte[] Blob = Fuzz.Seed("blob.txt");

    private readonly TempDirectory _temp = new("bs-fuzz-bundle");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Seeds_are_valid_bundles_that_verify()
    {
        var statement = BundleVerifier.VerifyStatement(_temp.WriteFile("a.sigstore.json", Seeds[0]), [TrustedKey]);
        var stamped = BundleVerifier.VerifyStatement(_temp.WriteFile("b.sigstore.json", Seeds[1]), [TrustedKey]);
        string blobBundle = _temp.WriteFile("c.sigstore.json", Seeds[2]);
        using var blob = new MemoryStream(Blob);

        Assert.Equal(2, statement.Statement.Subjects.Count);
        Assert.Single(stamped.Timestamps);
        Assert.Equal(TrustedKey.Id, BundleVerifier.VerifyBlob(blobBundle, BundleVerifier.ReadBundle(blobBundle), blob, [TrustedKey]).Id);
    }

    [Fact]
    public void TryParse_returns_a_bundle_or_a_reason_for_any_input() =>
        Fuzz.Run(seed: 31_000, cases: 5000, Seeds, input =>
        {
            if (SigstoreBundle.TryParse(input, out string reason) is null && string.IsNullOrWhiteSpace(reason))
            {
                throw new InvalidDataException("TryParse returned null without a reason.");
            }
        }, codedErrorsAllowed: false);

    [Fact]
    public void Reading_and_verifying_any_bundle_file_ends_in_a_result_or_a_coded_error() =>
        Fuzz.Run(seed: 32_000, cases: 3000, Seeds, input =>
        {
            string path = _temp.WriteFile("fuzzed.sigstore.json", input);
            var bundle = BundleVerifier.ReadBundle(path);
            OrCodedError(() => BundleVerifier.VerifyStatement(path, bundle, [TrustedKey]));
            OrCodedError(() =>
            {
                using var blob = new MemoryStream(Blob);
                BundleVerifier.VerifyBlob(path, bundle, blob, [TrustedKey]);
            });
        });

    /// <summary>Runs <paramref name="verify"/>; a coded error is an acceptable end, anything else escapes to the fuzz runner.</summary>
    private static void OrCodedError(Action verify)
    {
        try
        {
            verify();
        }
        catch (BuildSigningException e) when (e.Code.StartsWith("BS", StringComparison.Ordinal))
        {
        }
    }
}
