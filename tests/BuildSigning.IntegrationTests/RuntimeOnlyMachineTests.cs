using BuildSigning.TestSupport;
using Xunit.Abstractions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// The buildsign tool where a deployment gate runs it: a machine with the .NET runtime and no SDK. The tool brings its
/// own NuGet assemblies and trusted-root bundles, so it verifies publish folders and signed packages there too.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class RuntimeOnlyMachineTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    [Fact]
    public void BuildsignVerify_WithOnlyTheDotnetRuntime_VerifiesAPublishFolderAndASignedPackage()
    {
        string project = product.CopySample("publish-runtime-only");
        string publish = Path.Combine(project, "out");
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));
        var library = PackedLibrary.Get(product);

        string root = RuntimeOnlyDotnet.Create(Path.Combine(product.Root, "runtime-only-dotnet"));
        var environment = product.Environment(RuntimeOnlyDotnet.Environment(root));
        var runtimes = ProcessRunner.Run(Path.Combine(root, "dotnet"), ["--list-sdks"], product.Root, environment);
        Assert.True(runtimes.ExitCode == 0 && runtimes.StandardOutput.Trim().Length == 0, $"the runtime-only dotnet lists SDKs:\n{runtimes}");

        var verifyFolder = ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"),
            ["verify", publish, "--key", product.DevelopmentPublicKey], product.Root, environment);
        output.WriteLine(verifyFolder.ToString());
        Assert.True(verifyFolder.ExitCode == 0, verifyFolder.ToString());
        Assert.Matches(@"Verified \d+ files", verifyFolder.StandardOutput);

        var verifyPackage = ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"),
            ["verify", library.Nupkg, "--key", product.DevelopmentPublicKey, "--certificate-fingerprint", library.DevelopmentCertificateFingerprint],
            product.Root, environment);
        output.WriteLine(verifyPackage.ToString());
        Assert.True(verifyPackage.ExitCode == 0, verifyPackage.ToString());
        Assert.Contains($"certificate SHA-256 {library.DevelopmentCertificateFingerprint}", verifyPackage.StandardOutput);
        Assert.DoesNotContain("Exception", verifyPackage.Output);

        // The deployment gate on the same machine: a policy trusting the build's key, for the folder and the package.
        string gate = Directory.CreateDirectory(Path.Combine(product.Root, "runtime-only-gate")).FullName;
        File.Copy(product.DevelopmentPublicKey, Path.Combine(gate, "build.pub.pem"), overwrite: true);
        string policy = Path.Combine(gate, "policy.json");
        File.WriteAllText(policy, """
            { "version": 1, "keys": [ { "name": "build", "publicKeyFile": "build.pub.pem" } ],
              "threshold": { "count": 1, "keys": ["build"] }, "require": ["spdx", "cyclonedx", "provenance"] }
            """);
        foreach (string target in new[] { publish, library.Nupkg })
        {
            var gateResult = ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"), ["verify", target, "--policy", policy, "--format", "json"], product.Root, environment);
            output.WriteLine(gateResult.ToString());
            Assert.True(gateResult.ExitCode == 0, gateResult.ToString());
            Assert.Equal("pass", (string?)System.Text.Json.Nodes.JsonNode.Parse(gateResult.StandardOutput)!["verdict"]);
        }
    }
}
