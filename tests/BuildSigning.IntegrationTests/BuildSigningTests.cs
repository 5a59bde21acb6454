namespace BuildSigning.IntegrationTests;

[Collection(PackagedCollection.Name)]
public sealed class BuildSigningTests(PackagedBuildSigning product)
{
    [Fact]
    public void Build_SignsTheOutputDirectory_IncrementallyAndExcludingThePublishFolder()
    {
        string project = product.CopySample("build-signs");
        string output = Path.Combine(project, "bin", "Debug", "net10.0");
        string bundle = Path.Combine(output, ".buildsigning", "files.sigstore.json");

        PackagedBuildSigning.Require(product.Dotnet(project, "build"));
        var subjects = Bundles.Subjects(bundle);
        Assert.Contains("HelloSigned.dll", subjects.Keys);
        Assert.Contains("HelloSigned.deps.json", subjects.Keys);
        Assert.Equal(0, product.BuildSign("verify", output, "--key", product.DevelopmentPublicKey).ExitCode);

        byte[] firstBytes = File.ReadAllBytes(bundle);
        DateTime firstTime = File.GetLastWriteTimeUtc(bundle);
        PackagedBuildSigning.Require(product.Dotnet(project, "build", "--no-restore"));
        Assert.Equal(firstBytes, File.ReadAllBytes(bundle));
        Assert.Equal(firstTime, File.GetLastWriteTimeUtc(bundle));

        // The default publish folder lives inside the build output; it has signatures of its own.
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Debug", "--no-restore"));
        Assert.True(File.Exists(Path.Combine(output, "publish", ".buildsigning", "files.sigstore.json")));
        Assert.DoesNotContain(Bundles.Subjects(bundle).Keys, k => k.StartsWith("publish/", StringComparison.Ordinal));
        Assert.Equal(0, product.BuildSign("verify", output, "--key", product.DevelopmentPublicKey).ExitCode);

        File.AppendAllText(Path.Combine(project, "Program.cs"), "\nclass AddedInTheEditLoop { }\n");
        PackagedBuildSigning.Require(product.Dotnet(project, "build", "--no-restore"));
        Assert.NotEqual(firstBytes, File.ReadAllBytes(bundle));
        Assert.Equal(0, product.BuildSign("verify", output, "--key", product.DevelopmentPublicKey).ExitCode);
    }

    [Fact]
    public void MultiTargetingProject_SignsEachTargetFrameworksBuildAndPublishOutput()
    {
        string project = product.CreateProject("multi", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFrameworks>net10.0;net9.0</TargetFrameworks>
                <OutputType>Exe</OutputType>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
                <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
              </ItemGroup>
            </Project>
            """, ("Program.cs", "System.Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(42));\n"));

        PackagedBuildSigning.Require(product.Dotnet(project, "build"));
        foreach (string framework in new[] { "net10.0", "net9.0" })
        {
            string output = Path.Combine(project, "bin", "Debug", framework);
            var statement = Bundles.ReadStatement(Path.Combine(output, ".buildsigning", "files.sigstore.json"));
            Assert.Equal(framework, statement.GetProperty("predicate").GetProperty("targetFramework").GetString());
            Assert.Equal(0, product.BuildSign("verify", output, "--key", product.DevelopmentPublicKey).ExitCode);

            string publish = Path.Combine(project, "out-" + framework);
            PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-f", framework, "-o", publish, "--no-restore"));
            var verify = product.BuildSign("verify", publish, "--key", product.DevelopmentPublicKey);
            Assert.True(verify.ExitCode == 0, verify.ToString());
            Assert.Contains(framework, verify.StandardOutput);
        }
        Assert.False(Directory.Exists(Path.Combine(project, "bin", "Debug", ".buildsigning")), "the outer multi-targeting build signs nothing");
    }
}
