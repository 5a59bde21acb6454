using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Outputs;

/// <summary>
/// A signature leaves nothing out silently: subfolders left out must verify on their own, every attestation covers every
/// file and is bound to one signing, .buildsigning/ holds nothing unsigned, empty directories and links are signed as
/// such, and special files are refused without being opened.
/// </summary>
public sealed class OutputCompletenessTests : SignedOutputTestBase
{
    private const string TestPredicateType = "https://example.com/test-attestation/v1";

    private static AttestationFactory Attestation(string name = "sbom.test") => (names, digests) =>
        [new AttestationDocument(name, TestPredicateType, new JsonObject { ["files"] = names.Count, ["first"] = names[0] }, [], WriteDocument: true)];

    private OutputSigningResult SignAttested(int? fileCount = null, bool allowExternalLinks = false) =>
        OutputSigner.Sign(new OutputSigningRequest(Root, Description) { Attestations = Attestation(), AllowExternalLinks = allowExternalLinks }, _key);

    private static T Bounded<T>(Func<T> action)
    {
        var task = Task.Run(action);
        bool finished = Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30))).GetAwaiter().GetResult() == task;
        Assert.True(finished, "the call did not return: it opened something that blocks");
        return task.GetAwaiter().GetResult();
    }

    private static void MakeFifo(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var result = ProcessRunner.Run("mkfifo", [path]);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    // ---- subfolders signed on their own ----

    private void SignSubfolder(string name, SigningKey key) =>
        OutputSigner.Sign(new OutputSigningRequest(Path.Combine(Root, name), new OutputDescription(OutputDescription.BuildKind, "Other.csproj")), key);

    [Fact]
    public void A_subfolder_whose_signature_verifies_with_the_same_key_is_left_out_recorded_and_verified_in_turn()
    {
        CreateOutput();
        Write("linux-x64/App.dll", "rid-specific IL");
        SignSubfolder("linux-x64", _key);

        var result = Sign();

        Assert.Equal(5, result.FileCount);
        Assert.Equal(["linux-x64"], result.SignedDirectories);
        var report = Verify();
        Assert.True(report.Succeeded, string.Join("\n", report.Problems));
        Assert.Equal(["linux-x64"], report.Predicate[SignedScope.SignedDirectoriesField]!.AsArray().Select(n => (string)n!));
        Assert.Single(report.SignedDirectories);

        Write("linux-x64/App.dll", "changed");
        Assert.False(Verify().Succeeded);
    }

    [Fact]
    public void An_empty_buildsigning_folder_does_not_hide_a_subfolder()
    {
        CreateOutput();
        Write("plugins/evil.dll", "hidden?");
        Directory.CreateDirectory(Path.Combine(Root, "plugins", SignedOutputLayout.DirectoryName));

        var result = Sign();

        Assert.Equal(6, result.FileCount);
        Assert.Empty(result.SignedDirectories);
        Write("plugins/evil.dll", "changed after signing");
        var problem = Assert.Single(Verify().Problems);
        Assert.Equal(("plugins/evil.dll", FileProblemKind.Modified), (problem.Name, problem.Kind));
    }

    [Fact]
    public void A_buildsigning_folder_copied_from_elsewhere_does_not_hide_a_subfolder()
    {
        CreateOutput();
        Write("plugins/evil.dll", "what the attacker ships");
        Write("elsewhere/good.dll", "what was signed");
        SignSubfolder("elsewhere", _key);
        CopyDirectory(Path.Combine(Root, "elsewhere", SignedOutputLayout.DirectoryName), Path.Combine(Root, "plugins", SignedOutputLayout.DirectoryName));
        Directory.Delete(Path.Combine(Root, "elsewhere"), recursive: true);

        var result = Sign();

        Assert.Empty(result.SignedDirectories);
        Assert.Contains("plugins/evil.dll", File.ReadAllText(result.ManifestPath));
        Assert.True(Verify().Succeeded);
    }

    [Fact]
    public void A_subfolder_signed_with_another_key_is_covered_by_this_signature()
    {
        CreateOutput();
        Write("vendor/lib.dll", "signed by someone else");
        using var other = TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP384);
        SignSubfolder("vendor", other);

        var result = Sign();

        Assert.Empty(result.SignedDirectories);
        Assert.Contains("vendor/lib.dll", File.ReadAllText(result.ManifestPath));
    }

    [Fact]
    public void A_folder_added_after_signing_with_a_buildsigning_folder_of_its_own_is_not_skipped()
    {
        CreateOutput();
        Sign();
        Write("plugins/evil.dll", "unsigned");
        SignSubfolder("plugins", _key);

        var problems = Verify().Problems;

        Assert.Contains(problems, p => p is { Name: "plugins/evil.dll", Kind: FileProblemKind.Unexpected });
    }

    [Fact]
    public void A_subfolder_signed_on_its_own_that_is_removed_is_BS3019()
    {
        CreateOutput();
        Write("linux-x64/App.dll", "rid-specific IL");
        SignSubfolder("linux-x64", _key);
        Sign();

        Directory.Delete(Path.Combine(Root, "linux-x64"), recursive: true);
        var problem = Assert.Single(Verify().Problems);

        Assert.Equal(("linux-x64/", "BS3019"), (problem.Name, problem.Diagnostic.Code));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    // ---- attestations: one bundle each, bound to one signing, about every file ----

    [Fact]
    public void Up_to_1023_files_an_attestation_names_every_file_and_the_manifest()
    {
        CreateManyFiles(1023);

        SignAttested();
        var report = Verify();

        Assert.True(report.Succeeded, string.Join("\n", report.Problems.Take(5)));
        var attestation = Assert.Single(report.Attestations, a => a.Statement.PredicateType == TestPredicateType);
        Assert.Equal(1024, attestation.Statement.Subjects.Count);
        Assert.Equal(SignedOutputLayout.ManifestSubjectName, attestation.Statement.Subjects[^1].Name);
    }

    [Fact]
    public void With_more_than_1023_files_an_attestation_is_one_bundle_whose_subject_is_the_manifest()
    {
        CreateManyFiles(2500);

        SignAttested();
        var report = Verify();

        Assert.True(report.Succeeded, string.Join("\n", report.Problems.Take(5)));
        var attestation = Assert.Single(report.Attestations, a => a.Statement.PredicateType == TestPredicateType);
        var subject = Assert.Single(attestation.Statement.Subjects);
        Assert.Equal(SignedOutputLayout.ManifestSubjectName, subject.Name);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(AttestationDirectory, "files.sha256")))), subject.Sha256Hex);
        // One signed document, not one copy per 1023 files.
        Assert.Equal(["sbom.test.json", "sbom.test.sigstore.json"], Directory.GetFiles(AttestationDirectory, "sbom.test*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(AttestationDirectory, "sbom.test.json")));
    }

    [Fact]
    public void An_attestation_that_leaves_out_a_signed_file_is_BS3021()
    {
        CreateOutput();
        SignAttested();
        string bundle = Path.Combine(AttestationDirectory, "sbom.test.sigstore.json");
        var verified = BundleVerifier.VerifyStatement(bundle, [_key.PublicKey]);
        var statement = verified.Statement with { Subjects = verified.Statement.Subjects.Skip(1).ToArray() };
        File.WriteAllBytes(bundle, AttestationSigner.SignPayload(InTotoStatement.PayloadType, statement.ToJsonBytes(), _key).ToJsonBytes());

        var problem = Assert.Single(Verify().Problems);

        Assert.Equal((FileProblemKind.Attestation, "BS3021"), (problem.Kind, problem.Diagnostic.Code));
    }

    [Fact]
    public void A_part_of_an_attestation_in_the_older_split_layout_is_an_unexpected_file_BS3016()
    {
        CreateManyFiles(1500);
        SignAttested();
        File.Copy(Path.Combine(AttestationDirectory, "sbom.test.sigstore.json"), Path.Combine(AttestationDirectory, "sbom.test.2.sigstore.json"));

        var problem = Assert.Single(Verify().Problems);

        Assert.Equal((".buildsigning/sbom.test.2.sigstore.json", "BS3016"), (problem.Name, problem.Diagnostic.Code));
    }

    [Fact]
    public void A_document_beside_an_attestation_of_a_large_output_is_compared_with_the_signed_one()
    {
        CreateManyFiles(1500);
        SignAttested();
        File.WriteAllText(Path.Combine(AttestationDirectory, "sbom.test.json"), "{\"files\":1}");

        var problem = Assert.Single(Verify().Problems);

        Assert.Equal("BS3011", problem.Diagnostic.Code);
    }

    [Fact]
    public void A_document_beside_an_attestation_written_differently_with_the_same_content_still_verifies()
    {
        CreateOutput();
        SignAttested();
        string document = Path.Combine(AttestationDirectory, "sbom.test.json");
        var parsed = JsonNode.Parse(File.ReadAllText(document))!.AsObject();
        // Same JSON value, other bytes (properties in another order, no indentation): compared as JSON, not as tokens.
        var reordered = new JsonObject(parsed.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        File.WriteAllText(document, reordered.ToJsonString());

        var report = Verify();

        Assert.True(report.Succeeded, string.Join("\n", report.Problems));
    }

    [Fact]
    public void Deleting_every_attestation_the_signed_manifest_names_is_BS3014()
    {
        CreateOutput();
        SignAttested();
        foreach (string file in Directory.GetFiles(AttestationDirectory, "sbom.*")) File.Delete(file);

        var problem = Assert.Single(Verify().Problems);

        Assert.Equal((".buildsigning/sbom.test", "BS3014"), (problem.Name, problem.Diagnostic.Code));
    }

    [Fact]
    public void An_attestation_left_from_an_earlier_signing_is_BS3015()
    {
        CreateOutput();
        SignAttested();
        string bundle = Path.Combine(AttestationDirectory, "sbom.test.sigstore.json");
        string document = Path.Combine(AttestationDirectory, "sbom.test.json");
        byte[] oldBundle = File.ReadAllBytes(bundle), oldDocument = File.ReadAllBytes(document);
        Write("App.dll", "a new build");
        SignAttested();

        File.WriteAllBytes(bundle, oldBundle);
        File.WriteAllBytes(document, oldDocument);
        var problem = Assert.Single(Verify().Problems);

        Assert.Equal("BS3015", problem.Diagnostic.Code);
    }

    [Theory]
    [InlineData("notes.txt")]
    [InlineData("extra.sigstore.json")]
    [InlineData("files.sha256.orig")]
    public void Anything_unsigned_in_the_attestation_folder_is_BS3016(string name)
    {
        CreateOutput();
        SignAttested();
        File.WriteAllText(Path.Combine(AttestationDirectory, name), "planted");

        var problem = Assert.Single(Verify().Problems);

        Assert.Equal(($".buildsigning/{name}", "BS3016"), (problem.Name, problem.Diagnostic.Code));
        SignAttested();
        Assert.False(File.Exists(Path.Combine(AttestationDirectory, name)));
        Assert.True(Verify().Succeeded);
    }

    [Fact]
    public void A_directory_in_the_attestation_folder_is_BS3016()
    {
        CreateOutput();
        Sign();
        Directory.CreateDirectory(Path.Combine(AttestationDirectory, "more"));

        Assert.Equal("BS3016", Assert.Single(Verify().Problems).Diagnostic.Code);
    }

    [Theory]
    [InlineData("edit")]
    [InlineData("delete")]
    public void A_sha256sum_manifest_that_disagrees_with_the_signed_statement_is_BS3017(string damage)
    {
        CreateOutput();
        Sign();
        string manifest = Path.Combine(AttestationDirectory, "files.sha256");
        if (damage == "delete") File.Delete(manifest);
        else File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("App.pdb", "App.PDB"));

        var problem = Assert.Single(Verify().Problems);

        Assert.Equal("BS3017", problem.Diagnostic.Code);
    }

    // ---- empty directories ----

    [Fact]
    public void Empty_directories_are_signed_and_checked()
    {
        CreateOutput();
        Directory.CreateDirectory(Path.Combine(Root, "plugins"));
        Directory.CreateDirectory(Path.Combine(Root, "data", "cache"));
        Sign();
        Assert.True(Verify().Succeeded);
        Assert.Equal(["data/cache", "plugins"], Verify().Predicate[SignedScope.EmptyDirectoriesField]!.AsArray().Select(n => (string)n!));

        Directory.CreateDirectory(Path.Combine(Root, "evil.dll"));
        Directory.Delete(Path.Combine(Root, "plugins"));
        var problems = Verify().Problems;

        Assert.Equal([("evil.dll/", FileProblemKind.Unexpected), ("plugins/", FileProblemKind.Missing)], problems.Select(p => (p.Name, p.Kind)));
    }

    // ---- special files and links ----

    [Fact]
    public void A_fifo_in_the_output_is_refused_by_the_signer_and_reported_by_the_verifier_without_blocking()
    {
        CreateOutput();
        MakeFifo(Path.Combine(Root, "sub", "pipe"));

        var e = Assert.Throws<BuildSigningException>(() => Bounded(() => Sign()));
        Assert.Equal("BS2020", e.Code);
        Assert.Contains("sub/pipe", e.Message);

        File.Delete(Path.Combine(Root, "sub", "pipe"));
        Sign();
        MakeFifo(Path.Combine(Root, "sub", "pipe"));
        var problem = Assert.Single(Bounded(() => Verify()).Problems);
        Assert.Equal(("sub/pipe", FileProblemKind.Unsupported, "BS3012"), (problem.Name, problem.Kind, problem.Diagnostic.Code));
    }

    [Fact]
    public void A_link_to_a_device_is_refused_by_the_signer_and_reported_by_the_verifier_without_reading_it()
    {
        CreateOutput();
        File.CreateSymbolicLink(Path.Combine(Root, "zero.bin"), "/dev/zero");

        Assert.Equal("BS2020", Assert.Throws<BuildSigningException>(() => Bounded(() => Sign())).Code);

        File.Delete(Path.Combine(Root, "zero.bin"));
        Sign();
        File.CreateSymbolicLink(Path.Combine(Root, "App.dll.bak"), "/dev/zero");
        var problem = Assert.Single(Bounded(() => Verify()).Problems);
        Assert.Equal(("App.dll.bak", FileProblemKind.Unsupported), (problem.Name, problem.Kind));
    }

    [Fact]
    public void A_dangling_link_is_refused()
    {
        CreateOutput();
        File.CreateSymbolicLink(Path.Combine(Root, "gone.dll"), "nowhere.dll");

        var e = Assert.Throws<BuildSigningException>(() => Sign());

        Assert.Equal("BS2020", e.Code);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_link_to_a_file_outside_the_output_is_refused_unless_allowed_and_then_signed_as_a_link()
    {
        CreateOutput();
        string outside = _temp.WriteFile("shared/common.dll", "shared library");
        File.CreateSymbolicLink(Path.Combine(Root, "common.dll"), outside);

        var e = Assert.Throws<BuildSigningException>(() => Sign());
        Assert.Equal("BS2021", e.Code);
        Assert.Contains("common.dll", e.Message);

        SignAttested(allowExternalLinks: true);
        var report = Verify();
        Assert.True(report.Succeeded, string.Join("\n", report.Problems));
        var link = Assert.Single(report.Predicate[SignedScope.LinksField]!.AsArray());
        Assert.Equal(("common.dll", outside), ((string)link!["name"]!, (string)link["target"]!));

        File.WriteAllText(outside, "the shared library changed");
        Assert.Equal(FileProblemKind.Modified, Assert.Single(Verify().Problems).Kind);
    }

    [Fact]
    public void A_link_inside_the_output_is_signed_as_a_link_and_retargeting_or_replacing_it_is_BS3013()
    {
        CreateOutput();
        Write("App.copy.dll", "pretend this is IL");
        File.CreateSymbolicLink(Path.Combine(Root, "current.dll"), "App.dll");
        Sign();
        Assert.True(Verify().Succeeded);

        File.Delete(Path.Combine(Root, "current.dll"));
        File.CreateSymbolicLink(Path.Combine(Root, "current.dll"), "App.copy.dll");
        var retargeted = Assert.Single(Verify().Problems);
        Assert.Equal(("current.dll", "BS3013"), (retargeted.Name, retargeted.Diagnostic.Code));

        File.Delete(Path.Combine(Root, "current.dll"));
        Write("current.dll", "pretend this is IL");
        var replaced = Assert.Single(Verify().Problems);
        Assert.Equal(("current.dll", "BS3013"), (replaced.Name, replaced.Diagnostic.Code));
        Assert.Contains("a regular file", replaced.Diagnostic.Text);
    }
}
