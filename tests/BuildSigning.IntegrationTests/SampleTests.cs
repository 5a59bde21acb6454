namespace BuildSigning.IntegrationTests;

/// <summary>The samples do what their comments say, through the packed package, so they cannot quietly rot.</summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class SampleTests(PackagedBuildSigning product)
{
    [Fact]
    public void SignedLibrary_RestoresUnderItsPolicy_AndPacksSignedPackagesThatVerify()
    {
        string project = product.CopySample("sample-signed-library", "SignedLibrary");
        string output = Path.Combine(project, "packages");

        var pack = product.Dotnet(project, "pack", "-c", "Release", "-o", output, "-v:n");
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.Contains("0 rejected", pack.Output);

        string package = Path.Combine(output, "Contoso.Greetings.1.0.0.nupkg");
        var verify = product.BuildSign("verify", package, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("buildsigning/sbom.net10.0.spdx.json", verify.StandardOutput);
        Assert.Contains("buildsigning/sbom.net8.0.cdx.json", verify.StandardOutput);
        Assert.Contains("SLSA provenance v1", verify.StandardOutput);

        var symbols = product.BuildSign("verify", Path.Combine(output, "Contoso.Greetings.1.0.0.snupkg"), "--key", product.DevelopmentPublicKey);
        Assert.True(symbols.ExitCode == 0, symbols.ToString());

        // The policy's per-package rule is enforced: name a signer Newtonsoft.Json does not have and the build stops.
        File.WriteAllText(Path.Combine(project, "buildsigning.trust.json"), """
            {
              "version": 1,
              "trustedSigners": [
                { "name": "contoso", "kind": "author", "certificates": [ { "fingerprint": "AA0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F" } ] }
              ],
              "packages": [ { "id": "Newtonsoft.Json", "signers": ["contoso"], "reason": "test" } ]
            }
            """);
        var denied = product.Dotnet(project, "build", "-c", "Release");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("error BS4013", denied.Output);
        Assert.Contains("Newtonsoft.Json 13.0.3", denied.Output);
    }
}
