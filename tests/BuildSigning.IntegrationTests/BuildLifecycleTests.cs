using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>How signing behaves across the commands of a working day: repeated packs, clean, several runtimes, IDEs, tests.</summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class BuildLifecycleTests(PackagedBuildSigning product)
{
    [Fact]
    public void RepeatedReproduciblePack_KeepsThePackageAndItsSignatures()
    {
        string project = product.CopySample("lifecycle-repack", "SignedLibrary");
        string output = Path.Combine(project, "packages");
        var epoch = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = "1700000000" };
        PackagedBuildSigning.Require(product.Dotnet(project, epoch, "pack", "-c", "Release", "-o", output));
        string package = Path.Combine(output, "Contoso.Greetings.1.0.0.nupkg");
        byte[] packageBytes = File.ReadAllBytes(package);
        DateTime bundleTime = File.GetLastWriteTimeUtc(package + ".sigstore.json");

        // Nothing changed: NuGet does not write the package again, and BuildSigning does not sign it twice (no BS6006).
        var again = product.Dotnet(project, epoch, "pack", "-c", "Release", "-o", output, "-v:n");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("is unchanged; its signatures stand", again.Output);
        Assert.Equal(packageBytes, File.ReadAllBytes(package));
        Assert.Equal(bundleTime, File.GetLastWriteTimeUtc(package + ".sigstore.json"));
        Assert.Equal(0, product.BuildSign("verify", package, "--key", product.DevelopmentPublicKey).ExitCode);
    }

    [Fact]
    public void BuildOutput_LeavesOutOtherSignedOutputsInsideIt_AndCleanRemovesItsSignatures()
    {
        string project = product.CopySample("lifecycle-rid");
        string output = Path.Combine(project, "bin", "Release", "net10.0");
        // A runtime-specific publish lands in bin/Release/net10.0/linux-x64/publish/, inside the portable build output.
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-r", "linux-x64", "--self-contained", "false"));
        PackagedBuildSigning.Require(product.Dotnet(project, "build", "-c", "Release"));

        string manifest = File.ReadAllText(Path.Combine(output, ".buildsigning", "files.sha256"));
        Assert.DoesNotContain("linux-x64/", manifest);
        var statement = Bundles.ReadStatement(Path.Combine(output, ".buildsigning", "files.sigstore.json"));
        // Left out because its own signature verified with the same key; verify checks it in turn (and its publish folder).
        Assert.Contains("linux-x64", statement.GetProperty("predicate").GetProperty("signedDirectories").EnumerateArray().Select(e => e.GetString()));
        var verify = product.BuildSign("verify", output, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("signed on its own: linux-x64/", verify.StandardOutput);
        Assert.Contains("signed on its own: publish/", verify.StandardOutput);
        Assert.Equal(0, product.BuildSign("verify", Path.Combine(output, "linux-x64", "publish"), "--key", product.DevelopmentPublicKey).ExitCode);

        PackagedBuildSigning.Require(product.Dotnet(project, "clean", "-c", "Release"));
        Assert.False(Directory.Exists(Path.Combine(output, ".buildsigning")), "dotnet clean removes the build output's signatures");
    }

    [Fact]
    public void AFileEditedInPlaceWithItsSizeAndModificationTimeKept_IsSignedWithItsNewDigest()
    {
        string project = product.CopySample("lifecycle-same-size");
        string output = Path.Combine(project, "bin", "Release", "net10.0");
        PackagedBuildSigning.Require(product.Dotnet(project, "build", "-c", "Release"));
        // A file in the output the build never rewrites, last written an hour ago (outside the digest cache's racy window).
        string notes = Path.Combine(output, "notes.txt");
        File.WriteAllText(notes, "release notes v1");
        var written = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(notes, written);
        PackagedBuildSigning.Require(product.Dotnet(project, "build", "-c", "Release", "--no-restore"));
        Assert.Equal(0, product.BuildSign("verify", output, "--key", product.DevelopmentPublicKey).ExitCode);

        using (var stream = new FileStream(notes, FileMode.Open, FileAccess.Write))
        {
            stream.Write("RELEASE NOTES V2"u8);
        }
        File.SetLastWriteTimeUtc(notes, written);
        PackagedBuildSigning.Require(product.Dotnet(project, "build", "-c", "Release", "--no-restore"));

        var verify = product.BuildSign("verify", output, "--key", product.DevelopmentPublicKey);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        string digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("RELEASE NOTES V2"u8));
        Assert.Contains($"{digest}  notes.txt", File.ReadAllText(Path.Combine(output, ".buildsigning", "files.sha256")));
    }

    [Fact]
    public void ALockFolderOtherUsersCanWrite_FailsTheBuildWithBS2013_NotAnUncodedException()
    {
        if (OperatingSystem.IsWindows()) return;
        string project = product.CopySample("lifecycle-lock-folder");
        string home = Directory.CreateDirectory(Path.Combine(product.Root, "home-with-open-locks")).FullName;
        string locks = Directory.CreateDirectory(Path.Combine(home, "locks")).FullName;
        UnixFile.SetMode(locks, (UnixFileMode)0b111_111_111);

        var build = product.Dotnet(project, new Dictionary<string, string?> { ["BUILDSIGNING_HOME"] = home }, "build");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error BS2013", build.Output);
        Assert.Contains($"chmod 700 '{locks}'", build.Output);
        Assert.DoesNotContain("Exception", build.Output);
    }

    [Fact]
    public void DesignTimeBuilds_DoNotFailOnDependencies_AndTestProjectsAreNotSignedByDefault()
    {
        string project = product.CreateProject("lifecycle-tests", """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <IsTestProject>true</IsTestProject>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
                <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
              </ItemGroup>
            </Project>
            """, ("Class1.cs", "public static class Class1 { }\n"));

        // A CI build with no key: a test project's output is never shipped, so it is not signed and needs no key.
        var build = product.Dotnet(project, "build", "-p:ContinuousIntegrationBuild=true");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.False(Directory.Exists(Path.Combine(project, "bin", "Debug", "net10.0", ".buildsigning")));
        var signed = product.Dotnet(project, "build", "--no-restore", "-p:BuildSigningSignBuildOutput=true");
        Assert.True(signed.ExitCode == 0, signed.ToString());
        Assert.True(File.Exists(Path.Combine(project, "bin", "Debug", "net10.0", ".buildsigning", "files.sigstore.json")));

        // An IDE's design-time build resolves package assets without the dependency check (restore and real builds enforce it).
        File.WriteAllText(Path.Combine(project, "buildsigning.trust.json"), """{ "version": 1, "includeDefaultSigners": false }""");
        Assert.NotEqual(0, product.Dotnet(project, "build", "--no-restore").ExitCode);
        var designTime = product.Dotnet(project, "msbuild", "-t:ResolvePackageDependenciesDesignTime", "-p:DesignTimeBuild=true");
        Assert.True(designTime.ExitCode == 0, designTime.ToString());
        Assert.DoesNotContain("BS4012", designTime.Output);
    }

    [Fact]
    public void WithoutContentInPack_TheSbomsAreStillInsideThePackage()
    {
        string project = product.CopySample("lifecycle-nocontent", "SignedLibrary");
        string output = Path.Combine(project, "packages");
        PackagedBuildSigning.Require(product.Dotnet(project, "pack", "-c", "Release", "-o", output, "-p:IncludeContentInPack=false"));
        using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(output, "Contoso.Greetings.1.0.0.nupkg"));
        Assert.Contains(package.Entries, e => e.FullName == "buildsigning/sbom.net10.0.spdx.json");
        Assert.Contains(package.Entries, e => e.FullName == "buildsigning/sbom.net8.0.cdx.json");
    }
}
