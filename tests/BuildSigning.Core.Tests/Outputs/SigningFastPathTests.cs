using System.Text.Json.Nodes;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Outputs;

/// <summary>
/// The signer's no-op fast path (SigningState): an unchanged folder is recognised from one scan and the saved state, without
/// hashing a file, building a document or verifying a signature; every change that matters sends it down the full path.
/// </summary>
public sealed class SigningFastPathTests : SignedOutputTestBase
{
    private int _documentsBuilt;

    private string CacheFile => _temp.Combine("obj", "publish.digests");

    private string StateFile => CacheFile + ".state";

    /// <summary>One further attestation (a stand-in for an SBOM) with a volatile time, counted each time it is built.</summary>
    private AttestationFactory Documents() => (names, digests) =>
    {
        _documentsBuilt++;
        var predicate = new JsonObject
        {
            ["files"] = new JsonArray([.. names.Select(n => (JsonNode?)JsonValue.Create(n))]),
            ["created"] = DateTime.UtcNow.Ticks,
        };
        return [new AttestationDocument("sbom.test", "https://example.com/test-sbom", predicate, ["created"], WriteDocument: true)];
    };

    /// <summary>
    /// Signs as the publish task does: digest cache, attestations with their input fingerprint. The racy window is zero: the
    /// test files were all written before the scan starts, and these tests are about what changes, not about when.
    /// </summary>
    private OutputSigningResult SignFolder(SigningKey? key = null, string attestationInputs = "inputs-1", TimeSpan? racyWindow = null) =>
        OutputSigner.Sign(new OutputSigningRequest(Root, new OutputDescription(OutputDescription.PublishKind, "App.csproj"), null, CacheFile)
        {
            Attestations = Documents(),
            AttestationInputs = attestationInputs,
            RacyWindow = racyWindow ?? TimeSpan.Zero,
        }, key ?? _key);

    private void AssertVerifies(SigningKey? key = null)
    {
        var report = Verify(key);
        Assert.True(report.Succeeded, string.Join("\n", report.Problems));
        Assert.Single(report.Attestations.Select(a => a.Statement.PredicateType).Distinct());
    }

    private OutputSigningResult SignTwiceUnchanged()
    {
        CreateOutput();
        var first = SignFolder();
        Assert.False(first.UpToDate);
        Assert.True(File.Exists(StateFile));
        return first;
    }

    [Fact]
    public void Unchanged_folder_is_up_to_date_without_reading_a_file_or_building_a_document()
    {
        var first = SignTwiceUnchanged();
        var bundles = first.BundlesWritten.ToArray();
        var before = Directory.GetFiles(AttestationDirectory).ToDictionary(p => p, File.ReadAllBytes);

        var second = SignFolder();
        var third = SignFolder();

        Assert.Equal(1, _documentsBuilt);
        foreach (var result in new[] { second, third })
        {
            Assert.True(result.UpToDate);
            Assert.Equal(0, result.FilesRead);
            Assert.Equal(5, result.FileCount);
            Assert.Empty(result.BundlesWritten);
            Assert.Equal(bundles.Order(StringComparer.Ordinal), result.BundlesUnchanged.Order(StringComparer.Ordinal));
            Assert.Equal(first.Documents, result.Documents);
            Assert.Equal(first.ManifestPath, result.ManifestPath);
            Assert.Equal(first.AllFiles.Order(StringComparer.Ordinal), result.AllFiles.Order(StringComparer.Ordinal));
        }
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), Directory.GetFiles(AttestationDirectory).Order(StringComparer.Ordinal));
        foreach (var (path, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(path));
        AssertVerifies();
    }

    [Fact]
    public void A_file_edited_with_its_size_and_mtime_restored_is_read_and_signed_again()
    {
        SignTwiceUnchanged();
        string dll = Path.Combine(Root, "App.dll");
        var mtime = File.GetLastWriteTimeUtc(dll);
        File.WriteAllText(dll, "pretend this is IX"); // same length as before
        File.SetLastWriteTimeUtc(dll, mtime);

        var result = SignFolder();

        Assert.False(result.UpToDate);
        Assert.Equal(1, result.FilesRead);
        Assert.NotEmpty(result.BundlesWritten);
        Assert.Equal(2, _documentsBuilt);
        AssertVerifies();
        Assert.Contains($"{Sha256("pretend this is IX")}  App.dll\n", File.ReadAllText(result.ManifestPath));
    }

    [Fact]
    public void A_file_added_is_signed()
    {
        SignTwiceUnchanged();
        Write("added.txt", "new");

        var result = SignFolder();

        Assert.False(result.UpToDate);
        Assert.Equal(6, result.FileCount);
        Assert.NotEmpty(result.BundlesWritten);
        AssertVerifies();
        Assert.Contains("added.txt", Assert.Single(Verify().FileStatements).Statement.Subjects.Select(s => s.Name));
    }

    [Fact]
    public void A_file_removed_is_no_longer_signed()
    {
        SignTwiceUnchanged();
        File.Delete(Path.Combine(Root, "App.pdb"));

        var result = SignFolder();

        Assert.False(result.UpToDate);
        Assert.Equal(4, result.FileCount);
        AssertVerifies();
    }

    [Fact]
    public void A_bundle_changed_with_its_size_and_mtime_restored_is_replaced()
    {
        var first = SignTwiceUnchanged();
        string bundle = first.BundlesWritten.First(p => Path.GetFileName(p).StartsWith("files", StringComparison.Ordinal));
        var mtime = File.GetLastWriteTimeUtc(bundle);
        byte[] bytes = File.ReadAllBytes(bundle);
        int at = System.Text.Encoding.ASCII.GetString(bytes).IndexOf("\"sig\"", StringComparison.Ordinal) + 20; // inside the signature's base64
        bytes[at] = bytes[at] == (byte)'A' ? (byte)'B' : (byte)'A';
        File.WriteAllBytes(bundle, bytes);
        File.SetLastWriteTimeUtc(bundle, mtime);
        // An invalid signature (BS3002), or one that no longer decodes as DER (BS3001): either way the bundle is rejected.
        Assert.Contains(Assert.Throws<BuildSigningException>(() => Verify()).Code, new[] { "BS3001", "BS3002" });

        var result = SignFolder();

        Assert.False(result.UpToDate);
        Assert.Contains(bundle, result.BundlesWritten);
        AssertVerifies();
    }

    [Fact]
    public void A_document_changed_beside_its_signature_is_written_again()
    {
        var first = SignTwiceUnchanged();
        string document = Assert.Single(first.Documents);
        byte[] signed = File.ReadAllBytes(document);
        File.WriteAllText(document, "{}");

        var result = SignFolder();

        Assert.False(result.UpToDate);
        Assert.Equal(signed, File.ReadAllBytes(document));
        AssertVerifies();
    }

    [Fact]
    public void A_file_planted_in_the_signature_folder_is_removed()
    {
        SignTwiceUnchanged();
        string planted = Path.Combine(AttestationDirectory, "planted.sigstore.json");
        File.WriteAllText(planted, "{}");

        var result = SignFolder();

        Assert.False(result.UpToDate);
        Assert.False(File.Exists(planted));
        AssertVerifies();
    }

    [Fact]
    public void Another_key_signs_again()
    {
        SignTwiceUnchanged();
        using var otherEc = TestKeys.CreateOtherP256();
        using var other = TestKeys.Load(TestKeys.WritePrivateKeyPem(_temp.Combine("other.pem"), otherEc));

        var result = SignFolder(other);

        Assert.False(result.UpToDate);
        Assert.NotEmpty(result.BundlesWritten);
        AssertVerifies(other);
        Assert.Equal("BS3003", Assert.Throws<BuildSigningException>(() => Verify()).Code);
    }

    [Fact]
    public void Changed_attestation_inputs_build_the_documents_again()
    {
        SignTwiceUnchanged();

        var result = SignFolder(attestationInputs: "inputs-2");

        Assert.False(result.UpToDate);
        Assert.Equal(2, _documentsBuilt);
        AssertVerifies();
        Assert.True(SignFolder(attestationInputs: "inputs-2").UpToDate);
    }

    [Fact]
    public void Attestations_without_an_input_fingerprint_always_take_the_full_path()
    {
        CreateOutput();
        OutputSigningResult Sign() => OutputSigner.Sign(new OutputSigningRequest(Root, Description, null, CacheFile)
        {
            Attestations = Documents(),
            RacyWindow = TimeSpan.Zero,
        }, _key);
        Sign();

        var second = Sign();

        Assert.False(second.UpToDate);
        Assert.Equal(2, _documentsBuilt);
    }

    [Theory]
    [InlineData("")]
    [InlineData("buildsigning-signing-state v1\ninputs\tnot-a-digest\n")]
    [InlineData("a foreign file\n")]
    public void A_damaged_or_foreign_state_is_ignored_and_replaced(string content)
    {
        SignTwiceUnchanged();
        File.WriteAllText(StateFile, content);

        var result = SignFolder();

        Assert.False(result.UpToDate);
        AssertVerifies();
        Assert.True(SignFolder().UpToDate);
    }

    [Fact]
    public void A_state_naming_other_outputs_is_not_trusted()
    {
        SignTwiceUnchanged();
        // Same inputs, but the state claims a file .buildsigning/ does not hold: the folder does not match it.
        File.AppendAllText(StateFile, $"output\tBundle\t{new string('0', 64)}\t1:2:3:4\textra.sigstore.json\n");

        Assert.False(SignFolder().UpToDate);
        AssertVerifies();
    }

    [Fact]
    public void Files_changed_just_before_the_scan_are_not_trusted_to_keep_their_stamp()
    {
        CreateOutput(); // written just now: within the default racy window of the scans below
        SignFolder(racyWindow: SigningState.DefaultRacyWindow);

        var second = SignFolder(racyWindow: SigningState.DefaultRacyWindow);

        Assert.False(second.UpToDate);
        Assert.Equal(2, _documentsBuilt);
    }

    [Fact]
    public void Without_a_digest_cache_there_is_no_state()
    {
        CreateOutput();
        OutputSigningResult Sign() => OutputSigner.Sign(new OutputSigningRequest(Root, Description) { RacyWindow = TimeSpan.Zero }, _key);
        Sign();

        Assert.False(Sign().UpToDate);
        Assert.False(File.Exists(StateFile));
    }
}
