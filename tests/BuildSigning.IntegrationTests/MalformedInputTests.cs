using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Keys;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// `buildsign inspect` reads any bundle it is shown without verifying it: damaged or odd bundles (inputs the fuzz tests in
/// BuildSigning.Core.Tests/Fuzzing found) end in a coded error or a description, never in an unhandled exception.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class MalformedInputTests(PackagedBuildSigning product) : IDisposable
{
    private readonly TempDirectory _temp = new("bs-malformed");

    public void Dispose() => _temp.Dispose();

    private static InTotoStatement Provenance(string predicate) =>
        new([new Subject("app.dll", new string('a', 64))], BuildSigning.Core.Provenance.SlsaProvenance.PredicateType, (JsonObject)JsonNode.Parse(predicate)!);

    [Fact]
    public void Inspect_DescribesABundleWithAByteOrderMarkAndAnOddPredicate_AndRejectsDamagedOnesWithBS3001()
    {
        using SigningKey key = TestKeys.LoadSigningKey(_temp);

        // Saved again as "UTF-8 with signature", with a predicate whose fields are not the objects SLSA names.
        byte[] odd = AttestationSigner.SignStatement(Provenance("""{"buildDefinition":"x","runDetails":{"builder":[1]}}"""), key).ToJsonBytes();
        var described = product.BuildSign("inspect", _temp.WriteFile("odd.sigstore.json", [0xEF, 0xBB, 0xBF, .. odd]));
        Assert.True(described.ExitCode == 0, described.ToString());
        Assert.Contains("SLSA provenance v1: builder , build type , 0 resolved dependencies", described.StandardOutput);

        var garbageCertificate = AttestationSigner.SignStatement(Provenance("{}"), key) with { PublicKeyHint = null, CertificateDer = Encoding.ASCII.GetBytes("not a certificate") };
        AssertBS3001(_temp.WriteFile("certificate.sigstore.json", garbageCertificate.ToJsonBytes()), "its certificate cannot be read");

        byte[] payload = Provenance("{}").ToJsonBytes();
        payload[Array.IndexOf(payload, (byte)'/')] = 0x86;
        AssertBS3001(_temp.WriteFile("not-utf8.sigstore.json", AttestationSigner.SignPayload(InTotoStatement.PayloadType, payload, key).ToJsonBytes()), "not valid UTF-8");
    }

    private void AssertBS3001(string bundle, string reason)
    {
        var result = product.BuildSign("inspect", bundle);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"error BS3001: '{bundle}' is not a valid BuildSigning Sigstore bundle", result.Output);
        Assert.Contains(reason, result.Output);
        Assert.DoesNotContain("Unhandled exception", result.Output);
    }
}
