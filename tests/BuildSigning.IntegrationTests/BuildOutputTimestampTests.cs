using System.Text.Json;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>BuildSigningTimestampUrl applies to `dotnet build` as it does to publish and pack.</summary>
[Collection(PackagedCollection.Name)]
public sealed class BuildOutputTimestampTests(PackagedBuildSigning product)
{
    [Fact]
    public void BuildOutput_IsTimestamped_AndAnUnreachableAuthorityFailsTheBuild_LeavingNoBundle()
    {
        string project = product.CopySample("build-timestamp");
        string bundle = Path.Combine(project, "bin", "Debug", "net10.0", ".buildsigning", "files.sigstore.json");

        var unreachable = product.Dotnet(project, "build", "-p:BuildSigningTimestampUrl=http://127.0.0.1:9/tsa");
        Assert.True(unreachable.ExitCode != 0, unreachable.ToString());
        Assert.Contains("error BS6007", unreachable.Output);
        Assert.False(File.Exists(bundle), "a bundle was written although its timestamp could not be obtained");

        using var authority = new TimestampAuthority();
        var stamped = product.Dotnet(project, "build", "--no-restore", $"-p:BuildSigningTimestampUrl={authority.Url}");
        Assert.True(stamped.ExitCode == 0, stamped.ToString());
        Assert.True(authority.RequestCount >= 1, "the build never asked the timestamp authority");
        using var document = JsonDocument.Parse(File.ReadAllBytes(bundle));
        var tokens = document.RootElement.GetProperty("verificationMaterial").GetProperty("timestampVerificationData").GetProperty("rfc3161Timestamps");
        Assert.Equal(1, tokens.GetArrayLength());

        var verify = product.BuildSign("verify", Path.GetDirectoryName(Path.GetDirectoryName(bundle))!, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("RFC 3161 timestamp", verify.StandardOutput);
    }
}
