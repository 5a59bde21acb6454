using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Transparency;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Transparency;

public sealed class TransparencyLogTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-tlog");
    private readonly RekorTestLog _log = new();

    public void Dispose()
    {
        _log.Dispose();
        _temp.Dispose();
    }

    private static InTotoStatement Statement() =>
        new([new Subject("app.dll", new string('a', 64))], "https://example.com/p/v1", new JsonObject { ["k"] = "v" });

    private SigningKey Key() => TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP256);

    private SigstoreBundle SignLogged(SigningKey key, VerificationKey? logKey = null) =>
        AttestationSigner.SignStatement(Statement(), key, recorder: new SigningRecorder { TransparencyLogUrl = _log.Url, TransparencyLogKey = logKey });

    [Fact]
    public void Logged_bundle_carries_a_v03_entry_that_verifies_offline_with_the_log_key()
    {
        using var key = Key();
        SignLogged(key); // another entry first, so the proof has hashes
        var bundle = SignLogged(key, _log.PublicKey);

        var json = JsonNode.Parse(bundle.ToJsonBytes())!;
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        Assert.Equal("1", (string?)entry["logIndex"]);
        Assert.Equal(Convert.ToBase64String(_log.LogId), (string?)entry["logId"]!["keyId"]);
        Assert.Equal("dsse", (string?)entry["kindVersion"]!["kind"]);
        Assert.Equal("0.0.1", (string?)entry["kindVersion"]!["version"]);
        Assert.NotNull((string?)entry["integratedTime"]);
        Assert.NotNull((string?)entry["inclusionPromise"]!["signedEntryTimestamp"]);
        Assert.Equal("2", (string?)entry["inclusionProof"]!["treeSize"]);
        Assert.Single(entry["inclusionProof"]!["hashes"]!.AsArray());
        Assert.StartsWith(_log.Origin + "\n2\n", (string?)entry["inclusionProof"]!["checkpoint"]!["envelope"]);

        var parsed = SigstoreBundle.TryParse(bundle.ToJsonBytes(), out string reason);
        Assert.True(parsed is not null, reason);
        var verified = Assert.Single(TransparencyLogVerifier.Verify("b.sigstore.json", parsed!, key.PublicKey, [_log.PublicKey]));
        Assert.Equal(1, verified.LogIndex);
        Assert.InRange(verified.IntegratedTime, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    public static TheoryData<string, string> Alterations => new()
    {
        { "body", TransparencyLogVerifier.BodyCheck },
        { "logIndex", TransparencyLogVerifier.SetCheck },
        { "integratedTime", TransparencyLogVerifier.SetCheck },
        { "set", TransparencyLogVerifier.SetCheck },
        { "proofHash", TransparencyLogVerifier.ProofCheck },
        { "proofIndex", TransparencyLogVerifier.ProofCheck },
        { "checkpoint", TransparencyLogVerifier.CheckpointCheck },
    };

    [Theory]
    [MemberData(nameof(Alterations))]
    public void An_altered_entry_fails_naming_the_check(string alteration, string check)
    {
        using var key = Key();
        SignLogged(key);
        SignLogged(key);
        var json = JsonNode.Parse(SignLogged(key).ToJsonBytes())!;
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        switch (alteration)
        {
            case "body":
                var body = JsonNode.Parse(Convert.FromBase64String((string)entry["canonicalizedBody"]!))!;
                body["spec"]!["payloadHash"]!["value"] = new string('1', 64);
                entry["canonicalizedBody"] = Convert.ToBase64String(CanonicalJson.Serialize(body));
                break;
            case "logIndex": entry["logIndex"] = "0"; break;
            case "integratedTime": entry["integratedTime"] = "1000"; break;
            case "set":
                byte[] set = Convert.FromBase64String((string)entry["inclusionPromise"]!["signedEntryTimestamp"]!);
                set[^3] ^= 1;
                entry["inclusionPromise"]!["signedEntryTimestamp"] = Convert.ToBase64String(set);
                break;
            case "proofHash":
                byte[] hash = Convert.FromBase64String((string)entry["inclusionProof"]!["hashes"]![0]!);
                hash[0] ^= 1;
                entry["inclusionProof"]!["hashes"]![0] = Convert.ToBase64String(hash);
                break;
            case "proofIndex": entry["inclusionProof"]!["logIndex"] = "1"; break;
            case "checkpoint":
                string note = (string)entry["inclusionProof"]!["checkpoint"]!["envelope"]!;
                entry["inclusionProof"]!["checkpoint"]!["envelope"] = note.Replace("buildsigning.test - 1\n", "buildsigning.test - 2\n", StringComparison.Ordinal);
                break;
        }
        var bundle = SigstoreBundle.TryParse(Encoding.UTF8.GetBytes(json.ToJsonString()), out string reason);
        Assert.True(bundle is not null, reason);
        var e = Assert.Throws<BuildSigningException>(() => TransparencyLogVerifier.Verify("x.sigstore.json", bundle!, key.PublicKey, [_log.PublicKey]));
        Assert.Equal("BS7006", e.Diagnostic.Code);
        Assert.Contains($"fails the {check} check", e.Message);
    }

    [Fact]
    public void A_bundle_without_entry_or_from_an_unknown_log_fails()
    {
        using var key = Key();
        var plain = AttestationSigner.SignStatement(Statement(), key);
        Assert.Equal("BS7007", Assert.Throws<BuildSigningException>(() => TransparencyLogVerifier.Verify("p", plain, key.PublicKey, [_log.PublicKey])).Diagnostic.Code);
        using var other = new RekorTestLog();
        var logged = SignLogged(key);
        Assert.Equal("BS7008", Assert.Throws<BuildSigningException>(() => TransparencyLogVerifier.Verify("p", logged, key.PublicKey, [other.PublicKey])).Diagnostic.Code);
    }

    [Theory]
    [InlineData(RekorTestLogMode.HttpServerError, "BS7003")]
    [InlineData(RekorTestLogMode.WrongBody, "BS7004")]
    [InlineData(RekorTestLogMode.BadProof, "BS7005")]
    public void A_failing_log_is_a_coded_error(RekorTestLogMode mode, string code)
    {
        using var key = Key();
        _log.Mode = mode;
        var e = Assert.Throws<BuildSigningException>(() => SignLogged(key));
        Assert.Equal(code, e.Diagnostic.Code);
    }

    [Fact]
    public void An_unreachable_log_is_BS7002()
    {
        using var key = Key();
        var recorder = new SigningRecorder { TransparencyLogUrl = TimestampAuthority.UnreachableUrl() };
        var e = Assert.Throws<BuildSigningException>(() => AttestationSigner.SignStatement(Statement(), key, recorder: recorder));
        Assert.Equal("BS7002", e.Diagnostic.Code);
    }

    [Fact]
    public void Inclusion_proofs_verify_for_every_leaf_of_every_size_up_to_17()
    {
        var leaves = Enumerable.Range(0, 17).Select(i => Merkle.LeafHash([(byte)i])).ToList();
        for (int size = 1; size <= leaves.Count; size++)
        {
            byte[] root = Merkle.Root(leaves, 0, size);
            for (int index = 0; index < size; index++)
            {
                var proof = Merkle.InclusionProof(leaves, index, size);
                Assert.Equal(root, Merkle.RootFromInclusionProof(index, size, leaves[index], proof));
                if (size > 1) Assert.NotEqual(root, Merkle.RootFromInclusionProof((index + 1) % size, size, leaves[index], proof));
            }
        }
    }

    [Fact]
    public void Rfc6962_test_vector_root_of_the_empty_and_one_leaf_tree()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(Merkle.Root([], 0, 0)));
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", Convert.ToHexStringLower(Merkle.LeafHash([])));
    }

    [Fact]
    public void Canonical_json_sorts_members_and_escapes_minimally()
    {
        var node = new JsonObject { ["logIndex"] = 3, ["logID"] = "ab", ["body"] = "a+/=", ["integratedTime"] = 5 };
        Assert.Equal("{\"body\":\"a+/=\",\"integratedTime\":5,\"logID\":\"ab\",\"logIndex\":3}", Encoding.UTF8.GetString(CanonicalJson.Serialize(node)));
    }
}
