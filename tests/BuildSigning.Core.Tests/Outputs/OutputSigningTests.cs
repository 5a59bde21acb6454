using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Outputs;

public sealed class OutputSigningTests : SignedOutputTestBase
{
    // ---- sign and verify ----

    [Fact]
    public void Sign_then_verify_succeeds_and_covers_every_file_with_slash_separated_names()
    {
        CreateOutput();

        var result = Sign();
        var report = Verify();

        Assert.Equal(5, result.FileCount);
        Assert.Equal(SingleBundle, Assert.Single(result.BundlesWritten));
        Assert.Empty(result.BundlesUnchanged);
        Assert.Equal(Path.Combine(AttestationDirectory, "files.sha256"), result.ManifestPath);
        Assert.Equal([SingleBundle, result.ManifestPath], result.AllFiles);
        Assert.True(report.Succeeded, string.Join("\n", report.Problems));
        Assert.Equal(5, report.FilesChecked);
        var statement = Assert.Single(report.FileStatements).Statement;
        Assert.Equal(
            ["App.dll", "App.pdb", "name with spaces.txt", "runtimes/linux-x64/native/libx.so", "sub/dir/data.json"],
            statement.Subjects.Select(s => s.Name));
        Assert.Equal(Sha256("{\"a\":1}"), statement.Subjects.Single(s => s.Name == "sub/dir/data.json").Sha256Hex);
        Assert.Equal(SignedOutputLayout.PredicateType, statement.PredicateType);
        Assert.Equal("build", (string?)report.Predicate["kind"]);
        Assert.Equal("App.csproj", (string?)report.Predicate["project"]);
        Assert.Equal("Release", (string?)report.Predicate["configuration"]);
        Assert.Equal("net10.0", (string?)report.Predicate["targetFramework"]);
    }

    [Fact]
    public void Attestation_files_are_not_signed_as_outputs()
    {
        CreateOutput();
        Sign();
        Sign(); // the second run sees .buildsigning/ on disk

        var statement = Assert.Single(Verify().FileStatements).Statement;
        Assert.DoesNotContain(statement.Subjects, s => s.Name.StartsWith(".buildsigning", StringComparison.Ordinal));
        Assert.Equal(5, statement.Subjects.Count);
    }

    [Fact]
    public void Bundle_is_a_dsse_bundle_signed_by_the_key()
    {
        CreateOutput();
        Sign();

        var verified = BundleVerifier.VerifyStatement(SingleBundle, [_key.PublicKey]);

        Assert.Equal(_key.Id, verified.SignedBy.Id);
        Assert.Equal(_key.Id.Base64, verified.Bundle.PublicKeyHint);
    }

    [Fact]
    public void Modified_file_is_reported_with_both_digests()
    {
        CreateOutput();
        Sign();
        string path = Path.Combine(Root, "sub", "dir", "data.json");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[3] ^= 0x01; // one byte, same length
        File.WriteAllBytes(path, bytes);

        var report = Verify();

        Assert.False(report.Succeeded);
        var problem = Assert.Single(report.Problems);
        Assert.Equal(FileProblemKind.Modified, problem.Kind);
        Assert.Equal("sub/dir/data.json", problem.Name);
        Assert.Equal(Sha256("{\"a\":1}"), problem.SignedSha256);
        Assert.Equal(Hex.Lower(SHA256.HashData(bytes)), problem.ActualSha256);
        var diagnostic = problem.ToDiagnostic();
        Assert.Equal("BS3005", diagnostic.Code);
        Assert.Contains("sub/dir/data.json", diagnostic.Text);
    }

    [Fact]
    public void Deleted_file_is_reported_missing()
    {
        CreateOutput();
        Sign();
        File.Delete(Path.Combine(Root, "App.pdb"));

        var problem = Assert.Single(Verify().Problems);

        Assert.Equal(FileProblemKind.Missing, problem.Kind);
        Assert.Equal("App.pdb", problem.Name);
        Assert.Equal("BS3006", problem.ToDiagnostic().Code);
    }

    [Fact]
    public void Added_file_is_reported_unexpected()
    {
        CreateOutput();
        Sign();
        Write("sub/evil.dll", "added later");

        var problem = Assert.Single(Verify().Problems);

        Assert.Equal(FileProblemKind.Unexpected, problem.Kind);
        Assert.Equal("sub/evil.dll", problem.Name);
        Assert.Equal("BS3007", problem.ToDiagnostic().Code);
    }

    [Fact]
    public void Several_problems_are_all_reported_in_name_order()
    {
        CreateOutput();
        Sign();
        File.Delete(Path.Combine(Root, "App.pdb"));
        Write("App.dll", "changed");
        Write("zzz.txt", "new");

        var problems = Verify().Problems;

        Assert.Equal(
            [(FileProblemKind.Modified, "App.dll"), (FileProblemKind.Missing, "App.pdb"), (FileProblemKind.Unexpected, "zzz.txt")],
            problems.Select(p => (p.Kind, p.Name)));
    }

    [Fact]
    public void File_moved_into_another_folder_is_missing_and_unexpected()
    {
        CreateOutput();
        Sign();
        File.Move(Path.Combine(Root, "App.pdb"), Path.Combine(Root, "sub", "App.pdb"));

        var problems = Verify().Problems;

        Assert.Contains(problems, p => p is { Kind: FileProblemKind.Missing, Name: "App.pdb" });
        Assert.Contains(problems, p => p is { Kind: FileProblemKind.Unexpected, Name: "sub/App.pdb" });
    }

    [Fact]
    public void Verify_with_another_key_is_BS3003()
    {
        CreateOutput();
        Sign();
        using var otherEc = TestKeys.CreateOtherP256();
        using var other = TestKeys.Load(TestKeys.WritePrivateKeyPem(_temp.Combine("other.pem"), otherEc));

        Assert.Equal("BS3003", Assert.Throws<BuildSigningException>(() => Verify(other)).Code);
    }

    [Fact]
    public void Tampered_bundle_payload_is_BS3002()
    {
        CreateOutput();
        Sign();
        // Re-point App.dll's signed digest at other content, without re-signing.
        var json = JsonNode.Parse(File.ReadAllBytes(SingleBundle))!;
        string payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)json["dsseEnvelope"]!["payload"]!));
        string forged = payload.Replace(Sha256("pretend this is IL"), Sha256("malware"));
        Assert.NotEqual(payload, forged);
        json["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(forged));
        File.WriteAllText(SingleBundle, json.ToJsonString());
        Write("App.dll", "malware");

        Assert.Equal("BS3002", Assert.Throws<BuildSigningException>(() => Verify()).Code);
    }

    [Fact]
    public void Missing_directory_is_BS2002_for_sign_and_verify()
    {
        Assert.Equal("BS2002", Assert.Throws<BuildSigningException>(() => Sign()).Code);
        Assert.Equal("BS2002", Assert.Throws<BuildSigningException>(() => Verify()).Code);
        Assert.False(Directory.Exists(Root));
    }

    [Fact]
    public void Unsigned_directory_is_BS3004()
    {
        CreateOutput();
        Assert.Equal("BS3004", Assert.Throws<BuildSigningException>(() => Verify()).Code);
    }

    // ---- incrementality ----

    [Fact]
    public void Second_sign_with_nothing_changed_rewrites_nothing()
    {
        CreateOutput();
        string cache = _temp.Combine("obj", "build.digests");
        Sign(cache: cache);
        byte[] bundleBytes = File.ReadAllBytes(SingleBundle);
        byte[] manifestBytes = File.ReadAllBytes(Path.Combine(AttestationDirectory, "files.sha256"));
        var old = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(SingleBundle, old);
        File.SetLastWriteTimeUtc(Path.Combine(AttestationDirectory, "files.sha256"), old);

        var second = Sign(cache: cache);

        Assert.Empty(second.BundlesWritten);
        Assert.Equal(SingleBundle, Assert.Single(second.BundlesUnchanged));
        Assert.Equal(0, second.FilesRead);
        Assert.Equal(5, second.FileCount);
        Assert.Equal(bundleBytes, File.ReadAllBytes(SingleBundle));
        Assert.Equal(old, File.GetLastWriteTimeUtc(SingleBundle));
        Assert.Equal(manifestBytes, File.ReadAllBytes(Path.Combine(AttestationDirectory, "files.sha256")));
        Assert.Equal(old, File.GetLastWriteTimeUtc(Path.Combine(AttestationDirectory, "files.sha256")));
        Assert.Equal([SingleBundle, second.ManifestPath], second.AllFiles);
    }

    [Fact]
    public void Changing_one_file_rewrites_the_bundle_and_reads_only_that_file()
    {
        CreateOutput();
        string cache = _temp.Combine("obj", "build.digests");
        Sign(cache: cache);
        byte[] before = File.ReadAllBytes(SingleBundle);
        string dll = Write("App.dll", "new IL, new length");
        File.SetLastWriteTimeUtc(dll, DateTime.UtcNow.AddMinutes(1));

        var result = Sign(cache: cache);

        Assert.Equal(SingleBundle, Assert.Single(result.BundlesWritten));
        Assert.Equal(1, result.FilesRead);
        Assert.NotEqual(before, File.ReadAllBytes(SingleBundle));
        Assert.True(Verify().Succeeded);
        Assert.Contains($"{Sha256("new IL, new length")}  App.dll\n", File.ReadAllText(result.ManifestPath));
    }

    [Fact]
    public void Signing_with_another_key_rewrites_the_bundle()
    {
        CreateOutput();
        Sign();
        using var otherEc = TestKeys.CreateOtherP256();
        using var other = TestKeys.Load(TestKeys.WritePrivateKeyPem(_temp.Combine("other.pem"), otherEc));

        var result = Sign(other);

        Assert.Single(result.BundlesWritten);
        Assert.True(Verify(other).Succeeded);
        Assert.Equal("BS3003", Assert.Throws<BuildSigningException>(() => Verify()).Code);
    }

    [Fact]
    public void Changing_the_description_rewrites_the_bundle()
    {
        CreateOutput();
        Sign();
        var result = Sign(description: Description with { Configuration = "Debug" });
        Assert.Single(result.BundlesWritten);
        Assert.Equal("Debug", (string?)Verify().Predicate["configuration"]);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("{\"mediaType\":\"x\",\"mediaType\":\"y\"}")]
    public void A_damaged_bundle_is_replaced_on_the_next_sign(string damage)
    {
        CreateOutput();
        Sign();
        File.WriteAllText(SingleBundle, damage);

        var result = Sign();

        Assert.Single(result.BundlesWritten);
        Assert.True(Verify().Succeeded);
    }

    // ---- many files: parts of at most 1024 subjects ----

    [Fact]
    public void More_than_1024_files_are_signed_in_parts_that_together_cover_every_file()
    {
        CreateManyFiles(2500);

        var result = Sign();
        var report = Verify();

        string[] parts = [.. Enumerable.Range(1, 3).Select(p => Path.Combine(AttestationDirectory, $"files.{p}.sigstore.json"))];
        Assert.Equal(parts, result.BundlesWritten);
        Assert.False(File.Exists(SingleBundle));
        Assert.True(report.Succeeded, string.Join("\n", report.Problems.Take(5)));
        Assert.Equal(2500, report.FilesChecked);
        Assert.Equal(3, report.FileStatements.Count);
        Assert.All(report.FileStatements, s => Assert.InRange(s.Statement.Subjects.Count, 1, 1024));
        var names = report.FileStatements.SelectMany(s => s.Statement.Subjects).Select(s => s.Name).ToList();
        Assert.Equal(2500, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal([1, 2, 3], report.FileStatements.Select(s => (int)s.Statement.Predicate["part"]!));
        Assert.All(report.FileStatements, s => Assert.Equal(3, (int)s.Statement.Predicate["parts"]!));
    }

    [Fact]
    public void Removing_one_part_bundle_is_BS3008()
    {
        CreateManyFiles(2500);
        Sign();
        File.Delete(Path.Combine(AttestationDirectory, "files.2.sigstore.json"));

        var e = Assert.Throws<BuildSigningException>(() => Verify());

        Assert.Equal("BS3008", e.Code);
    }

    [Fact]
    public void Part_bundle_from_another_signing_is_BS3008()
    {
        CreateManyFiles(2500);
        Sign();
        string part2 = Path.Combine(AttestationDirectory, "files.2.sigstore.json");
        byte[] oldPart2 = File.ReadAllBytes(part2);
        File.WriteAllText(Path.Combine(Root, "d0", "f00000.txt"), "changed");
        Sign();
        File.WriteAllBytes(part2, oldPart2);

        Assert.Equal("BS3008", Assert.Throws<BuildSigningException>(() => Verify()).Code);
    }

    [Fact]
    public void A_part_bundle_copied_over_another_part_is_BS3008()
    {
        CreateManyFiles(2500);
        Sign();
        File.Copy(Path.Combine(AttestationDirectory, "files.1.sigstore.json"), Path.Combine(AttestationDirectory, "files.2.sigstore.json"), overwrite: true);

        Assert.Equal("BS3008", Assert.Throws<BuildSigningException>(() => Verify()).Code);
    }

    [Fact]
    public void Shrinking_below_1024_files_replaces_the_parts_with_a_single_bundle()
    {
        CreateManyFiles(1500);
        Sign();
        foreach (string dir in Directory.GetDirectories(Root).Where(d => !d.EndsWith(".buildsigning", StringComparison.Ordinal) && !d.EndsWith("d0", StringComparison.Ordinal)))
        {
            Directory.Delete(dir, recursive: true);
        }

        var result = Sign();

        Assert.Equal(SingleBundle, Assert.Single(result.BundlesWritten));
        Assert.Equal(["files.sha256", "files.sigstore.json"], Directory.GetFiles(AttestationDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(Verify().Succeeded);
    }

    [Fact]
    public void Exactly_1024_files_fit_in_one_bundle_and_1025_need_two()
    {
        CreateManyFiles(1024);
        Assert.Equal(SingleBundle, Assert.Single(Sign().BundlesWritten));

        File.WriteAllText(Path.Combine(Root, "one-more.txt"), "x");
        var result = Sign();

        Assert.Equal(2, result.BundlesWritten.Count);
        Assert.False(File.Exists(SingleBundle));
        var report = Verify();
        Assert.True(report.Succeeded);
        Assert.Equal([1024, 1], report.FileStatements.Select(s => s.Statement.Subjects.Count));
    }

    // ---- the sha256sum manifest ----

    [Fact]
    public void Manifest_is_accepted_by_coreutils_sha256sum_check()
    {
        CreateOutput();
        Write("weird/back\\slash.txt", "backslash");
        Write("weird/new\nline.txt", "newline");
        Write("weird/ünïcödé €.txt", "unicode");
        Write("empty.txt", "");

        var result = Sign();
        var check = ProcessRunner.Run("sha256sum", ["--strict", "-c", ".buildsigning/files.sha256"], Root);

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal(result.FileCount, check.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.EndsWith(": OK", StringComparison.Ordinal)));
        Assert.Equal(9, result.FileCount);
        Assert.True(Verify().Succeeded);
    }

    [Fact]
    public void Manifest_check_by_sha256sum_fails_after_a_change()
    {
        CreateOutput();
        Sign();
        Write("App.pdb", "changed");

        var check = ProcessRunner.Run("sha256sum", ["-c", ".buildsigning/files.sha256"], Root);

        Assert.NotEqual(0, check.ExitCode);
        Assert.Contains("App.pdb: FAILED", check.StandardOutput);
    }

    [Fact]
    public void Manifest_digest_is_signed_in_the_predicate()
    {
        CreateOutput();
        var result = Sign();

        var predicate = Verify().Predicate;

        Assert.Equal(Hex.Lower(SHA256.HashData(File.ReadAllBytes(result.ManifestPath))), (string?)predicate["manifest"]!["digest"]!["sha256"]);
        Assert.Equal(5, (int)predicate["manifest"]!["files"]!);
    }

    // ---- exclusions ----

    [Theory]
    [InlineData("publish")]
    [InlineData("publish/")]
    public void Excluded_directories_are_not_covered(string excluded)
    {
        CreateOutput();
        Write("publish/App.dll", "published");
        Write("publish/sub/more.dll", "published too");

        var result = Sign(excluded: [Path.Combine(Root, excluded)]);

        Assert.Equal(5, result.FileCount);
        string manifest = File.ReadAllText(result.ManifestPath);
        Assert.DoesNotContain("publish/", manifest);
        var statement = BundleVerifier.VerifyStatement(SingleBundle, [_key.PublicKey]).Statement;
        Assert.DoesNotContain(statement.Subjects, s => s.Name.StartsWith("publish", StringComparison.Ordinal));
    }

    [Fact]
    public void An_excluded_folder_signed_on_its_own_is_verified_in_turn()
    {
        // The default publish folder lives inside the build output; it is signed on its own.
        CreateOutput();
        Write("publish/App.dll", "published");
        OutputSigner.Sign(new OutputSigningRequest(Path.Combine(Root, "publish"), new OutputDescription(OutputDescription.PublishKind, "App.csproj")), _key);
        Sign(excluded: [Path.Combine(Root, "publish") + "/"]);

        var report = Verify();

        Assert.True(report.Succeeded, string.Join("\n", report.Problems));
        Assert.Equal(Path.Combine(Root, "publish"), Assert.Single(report.SignedDirectories).Directory);

        Write("publish/App.dll", "changed after signing");
        report = Verify();
        Assert.False(report.Succeeded);
        Assert.Empty(report.Problems);
        var nested = Assert.Single(Assert.Single(report.SignedDirectories).Problems);
        Assert.Equal(("App.dll", FileProblemKind.Modified), (nested.Name, nested.Kind));
    }

    [Fact]
    public void An_excluded_folder_without_a_signature_of_its_own_fails_when_present_and_is_fine_when_absent()
    {
        CreateOutput();
        Sign(excluded: [Path.Combine(Root, "publish")]);
        Assert.True(Verify().Succeeded);

        Write("publish/App.dll", "published but never signed");
        var problem = Assert.Single(Verify().Problems);

        Assert.Equal(("publish/", FileProblemKind.SignedDirectory), (problem.Name, problem.Kind));
        Assert.Equal("BS3018", problem.Diagnostic.Code);
        Assert.Contains("BS3004", problem.Diagnostic.Text);
    }

    [Fact]
    public void Excluding_the_root_itself_or_an_outside_folder_changes_nothing()
    {
        CreateOutput();
        var result = Sign(excluded: [Root, Root + "/", _temp.Combine("elsewhere"), ""]);
        Assert.Equal(5, result.FileCount);
    }

    // ---- concurrency ----

    [Fact]
    public async Task Concurrent_signers_of_one_directory_leave_a_valid_signature()
    {
        CreateManyFiles(300);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Sign())));

        Assert.True(Verify().Succeeded);
        Assert.Empty(Directory.GetFiles(AttestationDirectory, "*.tmp"));
    }

    [Fact]
    public void Empty_output_directory_gets_an_empty_manifest_and_no_statement()
    {
        Directory.CreateDirectory(Root);

        var result = Sign();

        Assert.Equal(0, result.FileCount);
        Assert.Empty(File.ReadAllBytes(result.ManifestPath));
        Assert.Empty(result.BundlesWritten);
        Assert.Empty(Directory.GetFiles(AttestationDirectory, "*.sigstore.json"));
        Assert.Equal("BS3004", Assert.Throws<BuildSigningException>(() => Verify()).Code);
    }

    [Fact]
    public void A_linked_directory_is_refused_when_signing_and_reported_when_added_after_signing()
    {
        CreateOutput();
        string elsewhere = _temp.WriteFile("elsewhere/plugin.dll", "loaded at run time");
        Sign();
        Directory.CreateSymbolicLink(Path.Combine(Root, "plugins"), Path.GetDirectoryName(elsewhere)!);

        var report = Verify();
        var problem = Assert.Single(report.Problems);
        Assert.Equal(FileProblemKind.Unexpected, problem.Kind);
        Assert.Equal("plugins/", problem.Name);

        Assert.Equal("BS2004", Assert.Throws<BuildSigningException>(() => Sign()).Code);
    }

    [Fact]
    public void Signing_a_folder_another_project_signed_names_that_project()
    {
        CreateOutput();
        Assert.Null(Sign(description: new OutputDescription("publish", "A.csproj")).PreviousProject);
        Assert.Null(Sign(description: new OutputDescription("publish", "A.csproj")).PreviousProject);

        Assert.Equal("A.csproj", Sign(description: new OutputDescription("publish", "B.csproj")).PreviousProject);
    }
}
