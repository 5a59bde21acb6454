using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.TestSupport;
using NuGet.Packaging;
using Xunit.Abstractions;

namespace BuildSigning.Core.Tests.Packages;

/// <summary>The loopback TSA itself: real RFC 3161 answers that .NET and NuGet's own `dotnet nuget sign` accept.</summary>
[Collection(NuGetPackagesCollection.Name)]
public sealed class TimestampAuthorityTests(PackageFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("bs-tsa");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Answers_a_dotnet_TimeStampReq_with_a_token_that_verifies()
    {
        byte[] data = Encoding.UTF8.GetBytes("signature bytes");
        var request = Rfc3161TimestampRequest.CreateFromData(data, HashAlgorithmName.SHA256, nonce: new byte[] { 0x01, 0x02, 0x03, 0x04 }, requestSignerCertificates: true);

        var (status, body) = fixture.Timestamps.Respond(request.Encode());

        Assert.Equal(200, status);
        var token = request.ProcessResponse(body, out _);
        Assert.True(token.VerifySignatureForData(data, out X509Certificate2? signer));
        Assert.Equal(fixture.Timestamps.Certificate.Thumbprint, signer!.Thumbprint);
        Assert.Equal(TimestampAuthority.TstInfoContentType, token.AsSignedCms().ContentInfo.ContentType.Value);
        var eku = Assert.Single(signer.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        Assert.True(eku.Critical);
        Assert.Equal(TestCertificates.TimeStampingEku, Assert.Single(eku.EnhancedKeyUsages.Cast<Oid>()).Value);
        Assert.NotNull(token.AsSignedCms().SignerInfos[0].SignedAttributes.Cast<CryptographicAttributeObject>()
            .SingleOrDefault(a => a.Oid.Value == TimestampAuthority.SigningCertificateV2Oid));
    }

    [Fact]
    public async Task Is_accepted_by_dotnet_nuget_sign_with_timestamper()
    {
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        string pfx = TestCertificates.ExportPfx(certificate, _temp.Combine("signer.pfx"), "pw");
        string package = fixture.CopyPackage(_temp);
        string signed = _temp.Combine("signed");
        int requestsBefore = fixture.Timestamps.RequestCount;

        var sign = ProcessRunner.Run(fixture.TrustingDotnet,
            ["nuget", "sign", package, "--certificate-path", pfx, "--certificate-password", "pw", "--timestamper", fixture.Timestamps.Url.ToString(), "--output", signed],
            workingDirectory: _temp.Path, environment: PackageFixture.DotnetEnvironment(), timeout: TimeSpan.FromMinutes(2));
        output.WriteLine(sign.ToString());

        Assert.True(sign.ExitCode == 0, sign.ToString());
        Assert.True(fixture.Timestamps.RequestCount > requestsBefore);
        string signedPackage = Path.Combine(signed, Path.GetFileName(package));
        using (var reader = new PackageArchiveReader(signedPackage))
        {
            var signature = await reader.GetPrimarySignatureAsync(CancellationToken.None);
            var timestamp = Assert.Single(signature!.Timestamps);
            Assert.Equal(fixture.Timestamps.Certificate.Thumbprint, timestamp.SignerInfo.Certificate!.Thumbprint);
        }
        var verify = fixture.VerifyWithNuGet(signedPackage, certificate, _temp, fixture.TrustingDotnet);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Answers_HTTP_500_in_failure_mode()
    {
        using var authority = new TimestampAuthority(TimestampAuthorityMode.HttpServerError);
        using var http = new HttpClient();
        using var content = new ByteArrayContent(Rfc3161TimestampRequest.CreateFromData([1], HashAlgorithmName.SHA256).Encode());

        using var response = await http.PostAsync(authority.Url, content);

        Assert.Equal(500, (int)response.StatusCode);
    }
}

[Collection(NuGetPackagesCollection.Name)]
public sealed class Rfc3161ClientTests(PackageFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new("bs-rfc3161");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Requests_a_timestamp_over_the_SHA256_of_the_bytes_and_verifies_it()
    {
        byte[] signature = RandomNumberGenerator.GetBytes(71);

        var timestamp = Rfc3161Client.RequestTimestamp(fixture.Timestamps.Url, signature);

        Assert.InRange(timestamp.Time, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(fixture.Timestamps.Certificate.Thumbprint, timestamp.TsaCertificate.Thumbprint);
        Assert.True(Rfc3161TimestampToken.TryDecode(timestamp.Token, out var token, out _));
        Assert.True(token!.TokenInfo.GetMessageHash().Span.SequenceEqual(SHA256.HashData(signature)));
        Assert.True(token.VerifySignatureForData(signature, out _));

        var verified = Rfc3161Client.Verify(timestamp.Token, signature, "test", new X509Certificate2Collection(TestCertificates.SharedRoot));
        Assert.Equal(timestamp.Time, verified.Time);
    }

    [Fact]
    public void Verify_rejects_other_bytes_a_damaged_token_and_an_untrusted_TSA()
    {
        byte[] signature = RandomNumberGenerator.GetBytes(64);
        var timestamp = Rfc3161Client.RequestTimestamp(fixture.Timestamps.Url, signature);
        byte[] other = (byte[])signature.Clone();
        other[0] ^= 1;
        using var otherRoot = TestCertificates.CreateRootCa("CN=Some Other Root");

        Assert.Equal("BS6015", Assert.Throws<BuildSigningException>(() => Rfc3161Client.Verify(timestamp.Token, other, "x.sigstore.json")).Code);
        Assert.Equal("BS6015", Assert.Throws<BuildSigningException>(() => Rfc3161Client.Verify(timestamp.Token.AsSpan(0, 100), signature, "x.sigstore.json")).Code);
        var untrusted = Assert.Throws<BuildSigningException>(() => Rfc3161Client.Verify(timestamp.Token, signature, "x.sigstore.json", new X509Certificate2Collection(otherRoot)));
        Assert.Equal("BS6015", untrusted.Code);
        Assert.Contains("does not chain to a trusted root", untrusted.Message);
    }

    [Theory]
    [InlineData(TimestampAuthorityMode.HttpServerError, "BS6008", "HTTP 500")]
    [InlineData(TimestampAuthorityMode.Rejected, "BS6008", "rejection")]
    [InlineData(TimestampAuthorityMode.WrongNonce, "BS6009", "nonce")]
    [InlineData(TimestampAuthorityMode.WrongImprint, "BS6009", "")]
    public void A_failing_or_lying_authority_gets_a_coded_error(TimestampAuthorityMode mode, string code, string mentions)
    {
        using var authority = new TimestampAuthority(mode);

        var error = Assert.Throws<BuildSigningException>(() => Rfc3161Client.RequestTimestamp(authority.Url, [1, 2, 3]));

        Assert.Equal(code, error.Code);
        Assert.Contains(mentions, error.Message);
        Assert.Contains(authority.Url.OriginalString, error.Message);
    }

    [Fact]
    public void An_unreachable_or_slow_authority_is_BS6007()
    {
        var refused = Assert.Throws<BuildSigningException>(() => Rfc3161Client.RequestTimestamp(TimestampAuthority.UnreachableUrl(), [1]));
        Assert.Equal("BS6007", refused.Code);
        Assert.Contains("refused", refused.Message);

        using var slow = new TimestampAuthority { ResponseDelay = TimeSpan.FromSeconds(5) };
        var timedOut = Assert.Throws<BuildSigningException>(() => Rfc3161Client.RequestTimestamp(slow.Url, [1], TimeSpan.FromMilliseconds(500)));
        Assert.Equal("BS6007", timedOut.Code);
        Assert.Contains("did not answer within", timedOut.Message);
    }

    [Fact]
    public void Only_http_and_https_URLs_are_accepted()
    {
        Assert.Equal("http://tsa.example/", Rfc3161Client.ParseUrl("http://tsa.example/").ToString());
        Assert.Equal("BS6014", Assert.Throws<BuildSigningException>(() => Rfc3161Client.ParseUrl("file:///etc/passwd")).Code);
        Assert.Equal("BS6014", Assert.Throws<BuildSigningException>(() => Rfc3161Client.ParseUrl("tsa.example")).Code);
    }

    [Fact]
    public void A_DSSE_bundle_carries_a_timestamp_over_its_signature()
    {
        using var key = TestKeys.LoadSigningKey(_temp);
        byte[] payload = Encoding.UTF8.GetBytes("""{"_type":"https://in-toto.io/Statement/v1"}""");

        var bundle = AttestationSigner.SignPayload(InTotoStatement.PayloadType, payload, key, fixture.Timestamps.Url);

        byte[] json = bundle.ToJsonBytes();
        var node = JsonNode.Parse(json)!;
        string signedTimestamp = node["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]![0]!["signedTimestamp"]!.GetValue<string>();
        var parsed = SigstoreBundle.TryParse(json, out string reason) ?? throw new Xunit.Sdk.XunitException(reason);
        byte[] token = Assert.Single(parsed.Rfc3161Timestamps);
        Assert.Equal(Convert.FromBase64String(signedTimestamp), token);
        byte[] dsseSignature = parsed.Dsse!.Signatures[0].Signature;
        var verified = Rfc3161Client.Verify(token, dsseSignature, "bundle", new X509Certificate2Collection(TestCertificates.SharedRoot));
        Assert.InRange(verified.Time, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
        // The signature itself still verifies as before.
        Assert.True(key.PublicKey.Verify(Pae.Encode(InTotoStatement.PayloadType, payload), dsseSignature));
    }

    [Fact]
    public void A_blob_bundle_carries_a_timestamp_over_its_message_signature()
    {
        using var key = TestKeys.LoadSigningKey(_temp);
        using var blob = new MemoryStream(Encoding.UTF8.GetBytes("artifact"));

        var bundle = AttestationSigner.SignBlob(blob, key, fixture.Timestamps.Url);

        var parsed = SigstoreBundle.TryParse(bundle.ToJsonBytes(), out string reason) ?? throw new Xunit.Sdk.XunitException(reason);
        Rfc3161Client.Verify(Assert.Single(parsed.Rfc3161Timestamps), parsed.Message!.Signature, "bundle");
        blob.Position = 0;
        BundleVerifier.VerifyBlob("bundle", parsed, blob, [key.PublicKey]);
    }

    [Fact]
    public void Verifying_a_statement_bundle_checks_its_timestamp_covers_this_signature()
    {
        using var key = TestKeys.LoadSigningKey(_temp);
        var statement = new InTotoStatement([new Subject("app.dll", new string('a', 64))], "https://example.com/p", new JsonObject());
        var stamped = AttestationSigner.SignStatement(statement, key, fixture.Timestamps.Url);
        string path = _temp.WriteFile("stamped.sigstore.json", stamped.ToJsonBytes());

        var verified = BundleVerifier.VerifyStatement(path, [key.PublicKey]);
        Assert.InRange(Assert.Single(verified.Timestamps).Time, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        // A token taken from another signing does not cover this signature.
        var other = AttestationSigner.SignStatement(statement, key, fixture.Timestamps.Url);
        var transplanted = stamped with { Rfc3161Timestamps = other.Rfc3161Timestamps };
        string forged = _temp.WriteFile("forged.sigstore.json", transplanted.ToJsonBytes());
        Assert.Equal("BS6015", Assert.Throws<BuildSigningException>(() => BundleVerifier.VerifyStatement(forged, [key.PublicKey])).Code);
    }

    [Fact]
    public void Without_a_timestamp_URL_a_bundle_has_no_timestampVerificationData()
    {
        using var key = TestKeys.LoadSigningKey(_temp);

        var bundle = AttestationSigner.SignPayload(InTotoStatement.PayloadType, [1], key);

        Assert.Empty(bundle.Rfc3161Timestamps);
        Assert.Null(JsonNode.Parse(bundle.ToJsonBytes())!["verificationMaterial"]!["timestampVerificationData"]);
    }

    [Fact]
    public void A_failing_authority_fails_the_bundle_signing_with_its_code()
    {
        using var key = TestKeys.LoadSigningKey(_temp);

        var error = Assert.Throws<BuildSigningException>(() => AttestationSigner.SignPayload(InTotoStatement.PayloadType, [1], key, TimestampAuthority.UnreachableUrl()));

        Assert.Equal("BS6007", error.Code);
    }
}
