using System.Text.Json;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Through the packed package: a signature leaves nothing out silently, and `buildsign verify` trusts nothing it did not
/// check (attestations, .buildsigning/ entries, empty directories, special files, links, subfolders signed on their own).
/// </summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class SignatureCompletenessTests(PackagedBuildSigning product)
{
    private ProcessResult Verify(string folder) => product.BuildSign("verify", folder, "--key", product.DevelopmentPublicKey);

    private void AssertVerifies(string folder)
    {
        var verify = Verify(folder);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    private void AssertFails(string folder, string code, string name)
    {
        var verify = Verify(folder);
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Contains(code, verify.Output);
        Assert.Contains($"'{name}'", verify.Output);
    }

    private static string Attestations(string publish) => Path.Combine(publish, ".buildsigning");

    [Fact]
    public void PublishOfMoreThan1024Files_AttestsEveryFileThroughTheManifest_AndVerifyRejectsMissingStaleAndUnsignedAttestationFiles()
    {
        string project = product.CopySample("complete-many");
        for (int i = 0; i < 1100; i++) File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(project, "assets", $"d{i % 10}")).FullName, $"a{i:D4}.txt"), $"asset {i}");
        File.WriteAllText(Path.Combine(project, "Directory.Build.targets"), """
            <Project>
              <ItemGroup>
                <Content Include="assets/**" CopyToPublishDirectory="PreserveNewest" />
              </ItemGroup>
            </Project>
            """);
        string publish = Path.Combine(project, "out");
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));

        // Every attestation is one bundle whose subject is the manifest (the manifest binds every published file, and the
        // SBOMs list them); the files themselves are subjects of the file statements, in parts of 1024.
        string manifestSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(Attestations(publish), "files.sha256"))));
        foreach (string name in new[] { "sbom.spdx", "sbom.cdx", "provenance" })
        {
            Assert.Equal([$"{name}.sigstore.json"], Directory.GetFiles(Attestations(publish), $"{name}.*sigstore.json").Select(Path.GetFileName));
            var subject = Assert.Single(Bundles.Subjects(Path.Combine(Attestations(publish), $"{name}.sigstore.json")));
            Assert.Equal((".buildsigning/files.sha256", manifestSha256), (subject.Key, subject.Value));
        }
        var fileSubjects = Directory.GetFiles(Attestations(publish), "files.*.sigstore.json").SelectMany(p => Bundles.Subjects(p)).ToArray();
        Assert.Equal(Directory.EnumerateFiles(publish, "*", SearchOption.AllDirectories).Count(f => !f.Contains("/.buildsigning/")), fileSubjects.Length);
        Assert.Contains(fileSubjects, s => s.Key == "HelloSigned.dll");
        using (var spdx = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Attestations(publish), "sbom.spdx.json"))))
        {
            Assert.Contains(spdx.RootElement.GetProperty("files").EnumerateArray(), f => f.GetProperty("fileName").GetString() == "./HelloSigned.dll");
        }
        AssertVerifies(publish);

        // Attestations deleted: the signed manifest names them.
        string saved = Directory.CreateDirectory(Path.Combine(project, "saved")).FullName;
        foreach (string file in Directory.GetFiles(Attestations(publish)).Where(f => Path.GetFileName(f).StartsWith("sbom.", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("provenance.", StringComparison.Ordinal)))
        {
            File.Move(file, Path.Combine(saved, Path.GetFileName(file)));
        }
        AssertFails(publish, "BS3014", "provenance");
        foreach (string file in Directory.GetFiles(saved)) File.Copy(file, Path.Combine(Attestations(publish), Path.GetFileName(file)));
        AssertVerifies(publish);

        // Anything else in .buildsigning/, and a sha256sum manifest that says something else.
        File.WriteAllText(Path.Combine(Attestations(publish), "notes.sigstore.json"), "{}");
        AssertFails(publish, "BS3016", ".buildsigning/notes.sigstore.json");
        File.Delete(Path.Combine(Attestations(publish), "notes.sigstore.json"));
        string manifest = Path.Combine(Attestations(publish), "files.sha256");
        string manifestText = File.ReadAllText(manifest);
        File.WriteAllText(manifest, string.Join('\n', manifestText.Split('\n').Where(l => !l.EndsWith("  HelloSigned.dll", StringComparison.Ordinal))));
        AssertFails(publish, "BS3017", manifest);
        File.WriteAllText(manifest, manifestText);

        // Attestations from an earlier build: a new build re-signs, the old provenance is put back.
        File.AppendAllText(Path.Combine(project, "Program.cs"), "\nclass ChangedForANewBuild { }\n");
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));
        AssertVerifies(publish);
        foreach (string file in Directory.GetFiles(saved, "provenance.*")) File.Copy(file, Path.Combine(Attestations(publish), Path.GetFileName(file)), overwrite: true);
        AssertFails(publish, "BS3015", Path.Combine(Attestations(publish), "provenance.sigstore.json"));
    }

    [Fact]
    public void EmptyDirectoriesFifosAndLinks_AreSignedAsWhatTheyAre_OrRefusedWithoutBlocking()
    {
        string project = product.CopySample("complete-kinds");
        string publish = Path.Combine(project, "out");
        Directory.CreateDirectory(Path.Combine(publish, "plugins"));
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish));
        AssertVerifies(publish);

        // An empty directory is part of the output: an added one fails verification, as does a removed one.
        Directory.CreateDirectory(Path.Combine(publish, "evil.dll"));
        AssertFails(publish, "BS3007", "evil.dll/");
        Directory.Delete(Path.Combine(publish, "evil.dll"));
        Directory.Delete(Path.Combine(publish, "plugins"));
        AssertFails(publish, "BS3006", "plugins/");
        Directory.CreateDirectory(Path.Combine(publish, "plugins"));

        // A FIFO is reported, never opened (opening one blocks until a writer comes).
        string fifo = Path.Combine(publish, "pipe");
        Assert.Equal(0, ProcessRunner.Run("mkfifo", [fifo]).ExitCode);
        AssertFails(publish, "BS3012", "pipe");
        var refused = product.Dotnet(project, "publish", "-c", "Release", "-o", publish);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("BS2020", refused.Output);
        File.Delete(fifo);

        // A link to a device: the same.
        File.CreateSymbolicLink(Path.Combine(publish, "zero.bin"), "/dev/zero");
        refused = product.Dotnet(project, "publish", "-c", "Release", "-o", publish);
        Assert.Contains("BS2020", refused.Output);
        Assert.Contains("zero.bin", refused.Output);
        File.Delete(Path.Combine(publish, "zero.bin"));

        // A link to a file outside the output is refused unless allowed, and then signed as a link.
        string outside = Path.Combine(project, "shared.txt");
        File.WriteAllText(outside, "shared");
        File.CreateSymbolicLink(Path.Combine(publish, "shared.txt"), outside);
        refused = product.Dotnet(project, "publish", "-c", "Release", "-o", publish);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("BS2021", refused.Output);
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release", "-o", publish, "-p:BuildSigningAllowExternalLinks=true"));
        AssertVerifies(publish);
        var links = Bundles.ReadStatement(Path.Combine(Attestations(publish), "files.sigstore.json")).GetProperty("predicate").GetProperty("links");
        Assert.Equal(outside, links.EnumerateArray().Single(l => l.GetProperty("name").GetString() == "shared.txt").GetProperty("target").GetString());
        File.WriteAllText(outside, "the shared file changed");
        AssertFails(publish, "BS3005", "shared.txt");
    }

    [Fact]
    public void BuildOutput_LeavesOutOnlySubfoldersWhoseOwnSignatureVerifies_AndVerifyChecksThemInTurn()
    {
        string project = product.CopySample("complete-nested");
        // A plugin folder shipped with a .buildsigning/ copied from another output: it must not hide the plugin.
        File.WriteAllText(Path.Combine(project, "Directory.Build.targets"), """
            <Project>
              <ItemGroup>
                <None Include="plugins/evil.dll;plugins/.buildsigning/*" CopyToOutputDirectory="PreserveNewest" />
              </ItemGroup>
            </Project>
            """);
        Directory.CreateDirectory(Path.Combine(project, "plugins", ".buildsigning"));
        File.WriteAllText(Path.Combine(project, "plugins", "evil.dll"), "what the attacker ships");
        PackagedBuildSigning.Require(product.Dotnet(project, "build", "-c", "Release"));
        string output = Path.Combine(project, "bin", "Release", "net10.0");
        foreach (string file in Directory.GetFiles(Path.Combine(output, ".buildsigning"))) File.Copy(file, Path.Combine(project, "plugins", ".buildsigning", Path.GetFileName(file)));

        // Publishing into the default folder inside bin/ signs it on its own; the build output leaves it out.
        PackagedBuildSigning.Require(product.Dotnet(project, "publish", "-c", "Release"));
        Assert.True(File.Exists(Path.Combine(output, "plugins", ".buildsigning", "files.sigstore.json")));
        Assert.Contains("plugins/evil.dll", File.ReadAllText(Path.Combine(output, ".buildsigning", "files.sha256")));
        var verify = Verify(output);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("signed on its own: publish/", verify.StandardOutput);

        File.WriteAllText(Path.Combine(output, "plugins", "evil.dll"), "changed after signing");
        AssertFails(output, "BS3005", "plugins/evil.dll");
        File.WriteAllText(Path.Combine(output, "plugins", "evil.dll"), "what the attacker ships");

        File.AppendAllText(Path.Combine(output, "publish", "HelloSigned.deps.json"), " ");
        verify = Verify(output);
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Contains("'HelloSigned.deps.json'", verify.Output);
        Assert.Contains(Path.Combine(output, "publish"), verify.Output);
    }
}
