using System.Text.RegularExpressions;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// `buildsign init` and `buildsign trust` (docs/restore.md) through the installed tool and real `dotnet restore` runs of a
/// fresh repository: nuget.org packages and Acme.Widgets (<see cref="LocalPackages"/>) from a folder feed of its own.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class InitAndTrustCommandTests(PackagedBuildSigning product)
{
    private readonly LocalPackages _local = LocalPackages.For(product);

    private static string Future => DateTime.UtcNow.AddYears(1).ToString("yyyy-MM-dd");

    [Fact]
    public void Init_OnAFreshRepositoryWithASolution_MakesSolutionAndProjectRestoreVerify_AndASecondRunChangesNothing()
    {
        string repo = Directory.CreateDirectory(Path.Combine(product.Root, "init-repo")).FullName;
        File.WriteAllText(Path.Combine(repo, "nuget.config"), _local.NuGetConfig);
        string app = RestoreAssertions.WriteRepositoryProject(repo, "App", [("Newtonsoft.Json", "13.0.3"), (LocalPackages.Id, LocalPackages.SignedByAcme)]);
        string lib = RestoreAssertions.WriteRepositoryProject(repo, "Lib", [("Serilog", "3.1.1")]);
        PackagedBuildSigning.Require(product.Dotnet(repo, "new", "sln", "-n", "Repo", "--format", "sln"));
        PackagedBuildSigning.Require(product.Dotnet(repo, "sln", "Repo.sln", "add", app, lib));

        // Nothing restored yet: init restores, pins what it saw, then writes the SDK line.
        var init = BuildSign(repo, "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        string sdkLine = $"""<Sdk Name="BuildSigning" Version="{product.Version}" />""";
        Assert.Contains("created buildsigning.trust.json: pinned from 3 restored packages of 2 project(s)", init.Output);
        Assert.Contains($"created Directory.Build.props with {sdkLine}", init.Output);
        Assert.Contains($"created Directory.Solution.targets with {sdkLine}", init.Output);
        Assert.Contains("2 repository-signed by nuget.org", init.Output);
        Assert.Contains("author signer 'acme-widgets-test-signing'", init.Output);
        string policy = Path.Combine(repo, "buildsigning.trust.json");
        string policyText = File.ReadAllText(policy);
        Assert.Contains(_local.AcmeFingerprint, policyText);
        Assert.Contains("\"allowUntrustedRoot\": true", policyText);
        // Newtonsoft.Json and Serilog are author-signed too: their authors are pinned as seen (chains to trusted roots).
        Assert.Contains("\"allowUntrustedRoot\": false", policyText);
        Assert.Contains(sdkLine, File.ReadAllText(Path.Combine(repo, "Directory.Build.props")));
        Assert.Contains(sdkLine, File.ReadAllText(Path.Combine(repo, "Directory.Solution.targets")));

        // Idempotent: a second run reports and writes nothing.
        var files = new[] { policy, Path.Combine(repo, "Directory.Build.props"), Path.Combine(repo, "Directory.Solution.targets") };
        var before = files.Select(f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f))).ToList();
        var again = BuildSign(repo, "init");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("kept buildsigning.trust.json", again.Output);
        Assert.Contains($"Directory.Build.props already has {sdkLine}; unchanged", again.Output);
        Assert.Contains($"Directory.Solution.targets already has {sdkLine}; unchanged", again.Output);
        var after = files.Select(f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f))).ToList();
        for (int i = 0; i < files.Length; i++)
        {
            Assert.Equal(before[i].Item1, after[i].Item1);
            Assert.Equal(before[i].Item2, after[i].Item2);
        }

        // Signed packages pass: restore of the solution verifies both projects, restore of a project verifies it.
        var solutionRestore = product.Dotnet(repo, "restore", "Repo.sln", "-v:n");
        RestoreAssertions.AssertVerifiedAndAllowed(solutionRestore, 2, Path.Combine(app, "obj", "project.assets.json"));
        RestoreAssertions.AssertVerifiedAndAllowed(solutionRestore, 1, Path.Combine(lib, "obj", "project.assets.json"));
        RestoreAssertions.AssertVerifiedAndAllowed(product.Dotnet(repo, "restore", Path.Combine(app, "App.csproj"), "-v:n"), 2, Path.Combine(app, "obj", "project.assets.json"));

        // An unsigned package that came in after init fails both forms of restore.
        RestoreAssertions.WriteRepositoryProject(repo, "Lib", [("Serilog", "3.1.1"), (LocalPackages.Id, LocalPackages.Unsigned)]);
        foreach (string target in new[] { "Repo.sln", Path.Combine(lib, "Lib.csproj") })
        {
            var rejected = product.Dotnet(repo, "restore", target, "-v:n");
            Assert.True(rejected.ExitCode != 0, rejected.ToString());
            Assert.Equal([$"error BS4010: Package 'Acme.Widgets {LocalPackages.Unsigned}' is unsigned; no rule in {policy} allows it. Add an unsigned exception for it (with a reason and an expiry date), or use a signed version."],
                RestoreAssertions.ErrorLines(rejected).Select(e => Regex.Replace(e, @" \[[^\]]*\]$", "")).ToList());
        }

        // explain names what decides: the rejection, and after `trust allow-unsigned`, the exception.
        var explained = BuildSign(repo, "trust", "explain", LocalPackages.Id, LocalPackages.Unsigned, "--project", repo);
        Assert.Equal(1, explained.ExitCode);
        Assert.Contains($"Acme.Widgets {LocalPackages.Unsigned} (restored by {Path.Combine("src", "Lib")}; policy {policy}):", explained.Output);
        Assert.Contains("rejected: BS4010: ", explained.Output);
        Assert.Contains("signatures: none (unsigned)", explained.Output);

        var allow = BuildSign(repo, "trust", "allow-unsigned", LocalPackages.Id, "--versions", "[1.0.0]", "--expires", Future, "--reason", "vendor does not sign; OPS-7");
        Assert.True(allow.ExitCode == 0, allow.ToString());
        // Only the new exception was written: everything before the exceptions is as init wrote it.
        Assert.StartsWith(policyText[..policyText.IndexOf("\"unsignedExceptions\"", StringComparison.Ordinal)], File.ReadAllText(policy));
        Assert.Contains($"\"reason\": \"vendor does not sign; OPS-7\", \"expires\": \"{Future}\"", File.ReadAllText(policy));
        RestoreAssertions.AssertVerifiedAndAllowed(product.Dotnet(repo, "restore", "Repo.sln", "-v:n"), 2, Path.Combine(lib, "obj", "project.assets.json"));
        explained = BuildSign(repo, "trust", "explain", LocalPackages.Id, LocalPackages.Unsigned);
        Assert.True(explained.ExitCode == 0, explained.ToString());
        Assert.Contains($"allowed by exception 'Acme.Widgets [1.0.0]' (vendor does not sign; OPS-7), until {Future}", explained.Output);
        Assert.Contains("package rule: none governs Acme.Widgets", explained.Output);

        var list = BuildSign(repo, "trust", "list");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains($"policy: {policy} (mode enforce)", list.Output);
        Assert.Contains("  acme-widgets-test-signing: author", list.Output);
        Assert.Contains($"  Acme.Widgets [1.0.0]: until {Future} (vendor does not sign; OPS-7)", list.Output);
    }

    [Fact]
    public void TrustAddAuthor_FromASignedPackage_MakesItPass_KeepingThePolicysComments_AndRemoveUndoesIt()
    {
        string project = Directory.CreateDirectory(Path.Combine(product.Root, "trust-add-author")).FullName;
        File.WriteAllText(Path.Combine(project, "nuget.config"), _local.NuGetConfig);
        File.WriteAllText(Path.Combine(project, "Directory.Build.props"), $"""
            <Project>
              <Sdk Name="BuildSigning" Version="{product.Version}" />
            </Project>
            """);
        string app = Path.Combine(RestoreAssertions.WriteRepositoryProject(project, "App", [(LocalPackages.Id, LocalPackages.SignedByMallory)]), "App.csproj");
        string policy = Path.Combine(project, "buildsigning.trust.json");
        const string Original = """
            {
                // The team's policy: review changes in pull requests.
                "version": 1,
                "trustedSigners": [
                ],
                /* no exceptions yet */
                "unsignedExceptions": []
            }
            """;
        File.WriteAllText(policy, Original);
        var rejected = product.Dotnet(project, "restore", app, "-v:n");
        Assert.True(rejected.ExitCode != 0, rejected.ToString());
        Assert.Contains($"error BS4012: Package 'Acme.Widgets {LocalPackages.SignedByMallory}' is signed, but by no signer", rejected.Output);

        var add = BuildSign(project, "trust", "add-author", $"{LocalPackages.Id}/{LocalPackages.SignedByMallory}");
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains($"added author signer 'mallory-test-signing' (SHA256 {_local.MalloryFingerprint}, CN=Mallory Test Signing, O=Mallory)", add.Output);
        Assert.Contains("allowUntrustedRoot is set", add.Output);
        string edited = File.ReadAllText(policy);
        Assert.StartsWith("""
            {
                // The team's policy: review changes in pull requests.
                "version": 1,
                "trustedSigners": [
                    {
                        "name": "mallory-test-signing",
            """, edited);
        Assert.EndsWith("""
                ],
                /* no exceptions yet */
                "unsignedExceptions": []
            }
            """, edited);

        string assets = Path.Combine(project, "src", "App", "obj", "project.assets.json");
        RestoreAssertions.AssertVerifiedAndAllowed(product.Dotnet(project, "restore", app, "-v:n"), 1, assets);
        var explained = BuildSign(project, "trust", "explain", LocalPackages.Id);
        Assert.True(explained.ExitCode == 0, explained.ToString());
        Assert.Contains("allowed by signer 'mallory-test-signing' (author signature)", explained.Output);

        // The same package again: already trusted, nothing written.
        var twice = BuildSign(project, "trust", "add-author", $"{LocalPackages.Id}/{LocalPackages.SignedByMallory}");
        Assert.Contains("is already trusted by signer 'mallory-test-signing'", twice.Output);
        Assert.Equal(edited, File.ReadAllText(policy));

        var remove = BuildSign(project, "trust", "remove", "mallory-test-signing");
        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal(Original, File.ReadAllText(policy));
        Assert.True(product.Dotnet(project, "restore", app, "-v:n").ExitCode != 0);

        var missing = BuildSign(project, "trust", "remove", "mallory-test-signing");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("error BS4031: ", missing.StandardError);
    }

    [Fact]
    public void DeepMode_AnEditedDllInThePackagesFolder_FailsRestoreAndBuild_WithBS4039()
    {
        string project = Directory.CreateDirectory(Path.Combine(product.Root, "deep-mode")).FullName;
        File.WriteAllText(Path.Combine(project, "nuget.config"), _local.NuGetConfig);
        File.WriteAllText(Path.Combine(project, "Directory.Build.props"), $"""
            <Project>
              <Sdk Name="BuildSigning" Version="{product.Version}" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "buildsigning.trust.json"), $$"""
            { "version": 1, "trustedSigners": [ { "name": "acme", "kind": "author", "certificates": [ { "fingerprint": "{{_local.AcmeFingerprint}}", "allowUntrustedRoot": true } ] } ] }
            """);
        string app = Path.Combine(RestoreAssertions.WriteRepositoryProject(project, "App", [(LocalPackages.Id, LocalPackages.SignedByAcme)]), "App.csproj");
        // A packages folder of this test's own: it changes what restore extracted.
        var packages = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Directory.CreateDirectory(Path.Combine(product.Root, "deep-mode-packages")).FullName };
        string assets = Path.Combine(project, "src", "App", "obj", "project.assets.json");
        RestoreAssertions.AssertVerifiedAndAllowed(product.Dotnet(project, packages, "restore", app, "-v:n", "-p:BuildSigningVerifyExtractedFiles=true"), 1, assets);

        // Same length, one byte changed, modification time put back: the .nupkg and its .sha512 are untouched.
        string dll = Path.Combine(packages["NUGET_PACKAGES"]!, "acme.widgets", LocalPackages.SignedByAcme, "lib", "net10.0", "Acme.Widgets.dll");
        var modified = File.GetLastWriteTimeUtc(dll);
        byte[] bytes = File.ReadAllBytes(dll);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(dll, bytes);
        File.SetLastWriteTimeUtc(dll, modified);

        // Without deep mode the change goes unnoticed (docs/threat-model.md); with it, restore and build fail naming the file.
        RestoreAssertions.AssertVerifiedAndAllowed(product.Dotnet(project, packages, "restore", app, "-v:n"), 1, assets);
        foreach (string[] command in new[] { new[] { "restore", app, "-v:n" }, new[] { "build", app, "--no-restore", "-v:n" } })
        {
            var deep = product.Dotnet(project, packages, [.. command, "-p:BuildSigningVerifyExtractedFiles=true"]);
            Assert.True(deep.ExitCode != 0, deep.ToString());
            Assert.Equal([$"error BS4039: Package 'Acme.Widgets {LocalPackages.SignedByAcme}': the extracted file '{dll}' is not its entry 'lib/net10.0/Acme.Widgets.dll'"],
                RestoreAssertions.ErrorLines(deep).Select(e => e[..e.IndexOf(" of the verified", StringComparison.Ordinal)]).ToList());
        }
        Assert.False(File.Exists(Path.Combine(project, "src", "App", "bin", "Debug", "net10.0", "App.dll")));
    }

    private ProcessResult BuildSign(string workingDirectory, params string[] arguments) =>
        ProcessRunner.Run(Path.Combine(product.ToolPath, "buildsign"), arguments, workingDirectory, product.Environment(), TimeSpan.FromMinutes(5));

}
