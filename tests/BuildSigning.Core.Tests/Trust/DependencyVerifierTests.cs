using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Trust;

/// <summary>Dependency verification of a real restore: real nuget.org packages and locally packed (and signed) ones.</summary>
[Collection(TrustRestoreCollection.Name)]
public sealed class DependencyVerifierTests(TrustRestoreFixture fixture) : IDisposable
{
    private const string NuGetOrg2024 = "1F4B311D9ACC115C8DC8018B5A49E00FCE6DA8E2855F9F014CA6F34570BC482D";
    private readonly TempDirectory _temp = new("bs-trustverify");

    public void Dispose() => _temp.Dispose();

    private DependencyVerificationResult Verify(TrustPolicy policy, string? assets = null, string? cache = null, DateTimeOffset? now = null)
    {
        PackageSignatureInspector.InitializeTrustStore();
        return DependencyVerifier.Verify(new DependencyVerificationRequest(assets ?? fixture.AssetsPath, policy, cache)
        {
            Now = now,
            CacheKeyDirectory = _temp.Combine("buildsigning-home"),
        });
    }

    private static PackageTrustResult Get(DependencyVerificationResult result, string id) =>
        Assert.Single(result.Packages, p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase));

    private static TrustPolicy Policy(string json) =>
        TrustPolicyReader.Read(Encoding.UTF8.GetBytes(json), "/repo/buildsigning.trust.json").GetPolicyOrThrow();

    private string ContosoSigner(bool allowUntrustedRoot = true, string extra = "") => $$"""
        { "name": "contoso", "kind": "author", "certificates": [ { "fingerprint": "{{fixture.ContosoFingerprint}}", "allowUntrustedRoot": {{(allowUntrustedRoot ? "true" : "false")}} {{extra}} } ] }
        """;

    [Fact]
    public void The_default_policy_allows_every_nuget_org_package_of_every_target_and_denies_the_local_ones_by_name()
    {
        var result = Verify(TrustPolicy.Default);

        var nugetOrg = result.Packages.Where(p => !p.Id.StartsWith("Contoso.", StringComparison.Ordinal)).ToList();
        Assert.True(nugetOrg.Count >= 15, $"only {nugetOrg.Count} packages restored");
        Assert.All(nugetOrg, p =>
        {
            Assert.True(p.Verdict == TrustVerdict.Allowed, $"{p.Id} {p.Version}: {p.Diagnostic}");
            Assert.Equal("signer 'nuget.org' (" + (p.TrustedBy!.Contains("countersignature") ? "repository countersignature" : "repository signature") + ")", p.TrustedBy);
        });
        // Packages of both targets, repository-signed with each of the three nuget.org certificates.
        foreach (string id in new[] { "NETStandard.Library", "Serilog", "Castle.Core", "Newtonsoft.Json", "Polly", "Polly.Core", "System.CommandLine" })
        {
            Assert.Contains(result.Packages, p => p.Id == id);
        }

        var unsigned = Get(result, TrustRestoreFixture.UnsignedId);
        Assert.Equal(TrustVerdict.Denied, unsigned.Verdict);
        Assert.Equal("BS4010", unsigned.Diagnostic!.Code);
        Assert.StartsWith("Package 'Contoso.Unsigned 1.0.0' is unsigned; no rule in the built-in trust policy allows it.", unsigned.Diagnostic.Text);

        var signed = Get(result, TrustRestoreFixture.SignedId);
        Assert.Equal("BS4012", signed.Diagnostic!.Code);
        Assert.Contains("Package 'Contoso.Signed 1.0.0' is signed, but by no signer", signed.Diagnostic.Text);
        Assert.Contains($"author signature by 'CN=Contoso Test Signing, O=Contoso' (SHA256 {fixture.ContosoFingerprint})", signed.Diagnostic.Text);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Errors.Count);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void An_exception_allows_an_unsigned_package_until_it_expires_and_then_the_error_says_it_expired()
    {
        var policy = Policy("""
            { "version": 1, "unsignedExceptions": [
              { "id": "Contoso.Unsigned", "versions": "[1.0.0,2.0.0)", "reason": "built by the platform team", "expires": "2030-01-01" },
              { "id": "Contoso.*", "reason": "signing starts in Q3", "expires": "2025-07-01" } ] }
            """);

        var before = Verify(policy, now: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var allowed = Get(before, TrustRestoreFixture.UnsignedId);
        Assert.Equal(TrustVerdict.AllowedByException, allowed.Verdict);
        Assert.Contains("built by the platform team", allowed.TrustedBy);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), allowed.ValidUntil);

        // Contoso.Signed only matches the expired exception.
        var expired = Get(before, TrustRestoreFixture.SignedId);
        Assert.Equal(TrustVerdict.Denied, expired.Verdict);
        Assert.Equal("BS4011", expired.Diagnostic!.Code);
        Assert.Contains("its exception 'Contoso.*' in /repo/buildsigning.trust.json expired on 2025-07-01 (reason given: signing starts in Q3)", expired.Diagnostic.Text);

        var later = Get(Verify(policy, now: new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero)), TrustRestoreFixture.UnsignedId);
        Assert.Equal("BS4011", later.Diagnostic!.Code);
        Assert.Contains("expired on 2030-01-01", later.Diagnostic.Text);
    }

    [Fact]
    public void A_self_signed_author_is_trusted_by_fingerprint_only_with_allowUntrustedRoot()
    {
        var trusted = Get(Verify(Policy($$"""{ "version": 1, "trustedSigners": [ {{ContosoSigner()}} ] }""")), TrustRestoreFixture.SignedId);
        Assert.Equal(TrustVerdict.Allowed, trusted.Verdict);
        Assert.Equal("signer 'contoso' (author signature)", trusted.TrustedBy);
        // No timestamp: the verdict holds only while the certificate is valid.
        Assert.NotNull(trusted.ValidUntil);

        var rootNotTrusted = Get(Verify(Policy($$"""{ "version": 1, "trustedSigners": [ {{ContosoSigner(allowUntrustedRoot: false)}} ] }""")), TrustRestoreFixture.SignedId);
        Assert.Equal("BS4022", rootNotTrusted.Diagnostic!.Code);
        Assert.Contains("set allowUntrustedRoot to true for it", rootNotTrusted.Diagnostic.Text);

        var window = Get(Verify(Policy($$"""{ "version": 1, "trustedSigners": [ {{ContosoSigner(extra: ", \"notAfter\": \"2020-01-01\"")}} ] }""")), TrustRestoreFixture.SignedId);
        Assert.Equal("BS4021", window.Diagnostic!.Code);
        Assert.Contains("outside the period in which /repo/buildsigning.trust.json trusts that certificate (any time to 2020-01-01)", window.Diagnostic.Text);

        // The same signer given as an MSBuild item.
        var merged = TrustPolicyMerger.Merge(TrustPolicy.Default, new TrustPolicyItems
        {
            Signers = [new TrustedSignerItem("contoso", "author", fixture.ContosoFingerprint, AllowUntrustedRoot: "true")],
        }).Policy!;
        Assert.Equal(TrustVerdict.Allowed, Get(Verify(merged), TrustRestoreFixture.SignedId).Verdict);
    }

    [Fact]
    public void Revoked_certificates_deny_signatures_made_on_or_after_the_revocation_date()
    {
        var revoked = Verify(Policy($$"""
            { "version": 1, "trustedSigners": [ {{ContosoSigner()}} ], "revoked": [
              { "fingerprint": "{{NuGetOrg2024}}", "revokedOn": "2024-06-01", "reason": "test revocation" },
              { "fingerprint": "{{fixture.ContosoFingerprint}}", "revokedOn": "2031-01-01" } ] }
            """));

        // Polly 8.5.2 was countersigned by nuget.org's 2024 certificate in February 2025 (timestamped).
        var polly = Get(revoked, "Polly");
        Assert.Equal("BS4017", polly.Diagnostic!.Code);
        Assert.Contains($"repository countersignature by certificate SHA256 {NuGetOrg2024}", polly.Diagnostic.Text);
        Assert.Contains("revoked on 2024-06-01 (test revocation)", polly.Diagnostic.Text);
        // Newtonsoft.Json 13.0.3 carries the 2021 certificate: unaffected.
        Assert.Equal(TrustVerdict.Allowed, Get(revoked, "Newtonsoft.Json").Verdict);
        // Without a timestamp there is no proof the signature predates the revocation, whatever its date.
        var contoso = Get(revoked, TrustRestoreFixture.SignedId);
        Assert.Equal("BS4017", contoso.Diagnostic!.Code);
        Assert.Contains("2031-01-01", contoso.Diagnostic.Text);

        var later = Verify(Policy($$"""{ "version": 1, "revoked": [ { "fingerprint": "{{NuGetOrg2024}}", "revokedOn": "2030-01-01" } ] }"""));
        Assert.Equal(TrustVerdict.Allowed, Get(later, "Polly").Verdict);
    }

    [Fact]
    public void Package_rules_restrict_which_signers_count()
    {
        var result = Verify(Policy($$"""
            { "version": 1,
              "trustedSigners": [ {{ContosoSigner()}},
                { "name": "json.net", "kind": "author", "certificates": [ { "fingerprint": "{{TrustRestoreFixture.NewtonsoftAuthorFingerprint}}" } ] } ],
              "packages": [
                { "id": "Contoso.*", "signers": ["contoso"], "reason": "our packages are author-signed" },
                { "id": "Newtonsoft.*", "signers": ["json.net"] },
                { "id": "Serilog", "signers": ["contoso"] },
                { "id": "Serilog.*", "signers": ["nuget.org"] } ] }
            """));

        Assert.Equal(TrustVerdict.Allowed, Get(result, TrustRestoreFixture.SignedId).Verdict);
        Assert.Equal("BS4010", Get(result, TrustRestoreFixture.UnsignedId).Diagnostic!.Code);
        Assert.Equal("signer 'json.net' (author signature)", Get(result, "Newtonsoft.Json").TrustedBy);
        // The exact-id rule beats the prefix rule: Serilog must be signed by contoso, and is not.
        var serilog = Get(result, "Serilog");
        Assert.Equal("BS4013", serilog.Diagnostic!.Code);
        Assert.Contains("falls under the rule for 'Serilog' in /repo/buildsigning.trust.json, which accepts only signatures by 'contoso'", serilog.Diagnostic.Text);
        Assert.Contains("repository signature by 'CN=NuGet.org Repository by Microsoft", serilog.Diagnostic.Text);
        Assert.Equal(TrustVerdict.Allowed, Get(result, "Polly").Verdict);
    }

    [Fact]
    public void Repository_owners_restrict_a_repository_signer()
    {
        var result = Verify(Policy($$"""
            { "version": 1, "trustedSigners": [ { "name": "nuget.org", "kind": "repository", "owners": ["JamesNK", "Microsoft"],
              "certificates": [ { "fingerprint": "{{NuGetOrg2024}}" }, { "fingerprint": "5A2901D6ADA3D18260B9C6DFE2133C95D74B9EEF6AE0E5DC334C8454D1477DF4" },
                                { "fingerprint": "0E5F38F57DC1BCC806D8494F4F90FBCEDD988B46760709CBEEC6F4219AA6157D" } ] } ] }
            """));
        Assert.Equal(TrustVerdict.Allowed, Get(result, "Newtonsoft.Json").Verdict);
        Assert.Equal(TrustVerdict.Allowed, Get(result, "System.CommandLine").Verdict);
        var serilog = Get(result, "Serilog");
        Assert.Equal("BS4014", serilog.Diagnostic!.Code);
        Assert.Contains("its owners (serilog) are none of the owners", serilog.Diagnostic.Text);
    }

    [Fact]
    public void Audit_mode_turns_denials_into_warnings()
    {
        var result = Verify(TrustPolicy.Default.With(mode: TrustMode.Audit));
        Assert.True(result.Succeeded);
        Assert.Empty(result.Errors);
        Assert.Equal(["BS4010", "BS4012"], result.Warnings.Select(w => w.Code).Order());
        Assert.Equal(TrustVerdict.AuditWarning, Get(result, TrustRestoreFixture.UnsignedId).Verdict);
    }

    [Fact]
    public void A_second_run_takes_verdicts_from_the_cache_and_a_new_policy_does_not()
    {
        string cache = _temp.Combine("obj", "trust.cache");
        var first = Verify(TrustPolicy.Default, cache: cache);
        Assert.Equal(0, first.CacheHits);
        Assert.All(first.Packages, p => Assert.False(p.FromCache));
        Assert.True(File.Exists(cache));

        var second = Verify(TrustPolicy.Default, cache: cache);
        int allowed = second.Packages.Count(p => p.IsAllowed);
        Assert.Equal(first.Packages.Count(p => p.IsAllowed), allowed);
        Assert.Equal(allowed, second.CacheHits);
        Assert.All(second.Packages.Where(p => p.IsAllowed), p => Assert.True(p.FromCache, p.Id));
        // Denials are checked again every time, with a full message.
        Assert.All(second.Packages.Where(p => !p.IsAllowed), p => { Assert.False(p.FromCache); Assert.NotNull(p.Diagnostic); });
        Assert.Equal(first.Packages.Select(p => (p.Id, p.Verdict, p.TrustedBy)), second.Packages.Select(p => (p.Id, p.Verdict, p.TrustedBy)));

        var other = Verify(TrustPolicy.Default.With(mode: TrustMode.Audit), cache: cache);
        Assert.Equal(0, other.CacheHits);
    }

    [Fact]
    public void A_nupkg_changed_after_extraction_is_caught_even_on_a_warm_run_with_its_size_and_time_restored()
    {
        string assets = fixture.CopyRestore(_temp);
        string cache = _temp.Combine("obj", "trust.cache");
        Assert.Equal(TrustVerdict.Allowed, Get(Verify(TrustPolicy.Default, assets, cache), "Newtonsoft.Json").Verdict);

        string nupkg = _temp.Combine("nuget-packages", "newtonsoft.json", "13.0.3", "newtonsoft.json.13.0.3.nupkg");
        var modified = File.GetLastWriteTimeUtc(nupkg);
        using (var stream = new FileStream(nupkg, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = stream.Length / 2;
            int b = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(b ^ 0xFF));
        }
        File.SetLastWriteTimeUtc(nupkg, modified);

        var result = Get(Verify(TrustPolicy.Default, assets, cache), "Newtonsoft.Json");
        Assert.Equal(TrustVerdict.Denied, result.Verdict);
        Assert.False(result.FromCache);
        Assert.Equal("BS4019", result.Diagnostic!.Code);
        Assert.Contains("The .nupkg of package 'Newtonsoft.Json 13.0.3'", result.Diagnostic.Text);
        Assert.Contains("changed after restore extracted it", result.Diagnostic.Text);
    }

    [Fact]
    public void A_signed_nupkg_modified_with_its_recorded_hashes_fails_the_signature_integrity_check()
    {
        string assets = fixture.CopyRestore(_temp);
        string folder = _temp.Combine("nuget-packages", "newtonsoft.json", "13.0.3");
        string nupkg = Path.Combine(folder, "newtonsoft.json.13.0.3.nupkg");
        // The first local file header's modification time: in the signed content, harmless to the zip itself.
        using (var stream = new FileStream(nupkg, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 10;
            int b = stream.ReadByte();
            stream.Position = 10;
            stream.WriteByte((byte)(b ^ 0x01));
        }
        // An attacker who also rewrites what restore recorded.
        string newHash = Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(nupkg)));
        string oldHash = File.ReadAllText(Path.Combine(folder, "newtonsoft.json.13.0.3.nupkg.sha512")).Trim();
        File.WriteAllText(Path.Combine(folder, "newtonsoft.json.13.0.3.nupkg.sha512"), newHash);
        File.WriteAllText(assets, File.ReadAllText(assets).Replace(oldHash, newHash, StringComparison.Ordinal));

        var result = Get(Verify(TrustPolicy.Default, assets), "Newtonsoft.Json");
        Assert.Equal(TrustVerdict.Denied, result.Verdict);
        Assert.Equal("BS4015", result.Diagnostic!.Code);
        Assert.Contains("fails its integrity check", result.Diagnostic.Text);

        // No exception makes a tampered package acceptable.
        var excepted = Get(Verify(Policy("""{ "version": 1, "unsignedExceptions": [ { "id": "*", "reason": "all", "expires": "2099-01-01" } ] }"""), assets), "Newtonsoft.Json");
        Assert.Equal("BS4015", excepted.Diagnostic!.Code);
    }

    [Fact]
    public void An_unsigned_nupkg_changed_after_extraction_is_caught_even_without_its_sha512_file()
    {
        string assets = fixture.CopyRestore(_temp);
        string folder = _temp.Combine("nuget-packages", "contoso.unsigned", "1.0.0");
        string nupkg = Path.Combine(folder, "contoso.unsigned.1.0.0.nupkg");
        var policy = Policy("""{ "version": 1, "unsignedExceptions": [ { "id": "Contoso.Unsigned", "reason": "test", "expires": "2099-01-01" } ] }""");
        Assert.Equal(TrustVerdict.AllowedByException, Get(Verify(policy, assets), TrustRestoreFixture.UnsignedId).Verdict);

        File.Delete(nupkg + ".sha512");
        using (var zip = ZipFile.Open(nupkg, ZipArchiveMode.Update))
        {
            using var stream = zip.CreateEntry("lib/netstandard2.0/extra.txt").Open();
            stream.Write("added later"u8);
        }
        var result = Get(Verify(policy, assets), TrustRestoreFixture.UnsignedId);
        Assert.Equal("BS4019", result.Diagnostic!.Code);
    }

    [Fact]
    public void A_missing_nupkg_is_BS4020_unless_an_exception_covers_it()
    {
        string assets = fixture.CopyRestore(_temp);
        File.Delete(_temp.Combine("nuget-packages", "serilog", "2.7.1", "serilog.2.7.1.nupkg"));

        var missing = Get(Verify(TrustPolicy.Default, assets), "Serilog");
        Assert.Equal("BS4020", missing.Diagnostic!.Code);
        Assert.Contains("Package 'Serilog 2.7.1' has no .nupkg in", missing.Diagnostic.Text);

        var excepted = Get(Verify(Policy("""{ "version": 1, "unsignedExceptions": [ { "id": "Serilog", "versions": "[2.7.1]", "reason": "restored from an offline cache", "expires": "2099-01-01" } ] }"""), assets), "Serilog");
        Assert.Equal(TrustVerdict.AllowedByException, excepted.Verdict);
    }

    [Fact]
    public void A_package_carrying_a_BuildSigning_bundle_by_a_trusted_key_is_allowed_and_a_modified_one_is_denied()
    {
        string assets = fixture.CopyRestore(_temp);
        string folder = _temp.Combine("nuget-packages", "contoso.unsigned", "1.0.0");
        string nupkg = Path.Combine(folder, "contoso.unsigned.1.0.0.nupkg");
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = new SigningKey(ec, SignatureAlgorithms.ForKey(ec, out _)!.Value, "test key", null, false);

        // After pack: a statement over every entry of the package, added as .buildsigning/package.sigstore.json.
        var subjects = new List<Subject>();
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            foreach (var entry in zip.Entries.Where(e => !e.FullName.EndsWith('/')))
            {
                using var content = entry.Open();
                subjects.Add(new Subject(entry.FullName, Hex.Lower(SHA256.HashData(content))));
            }
        }
        var bundle = AttestationSigner.SignStatement(new InTotoStatement(subjects, "https://buildsigning.dev/attestation/package-files/v1", new JsonObject()), key);
        using (var zip = ZipFile.Open(nupkg, ZipArchiveMode.Update))
        {
            using var stream = zip.CreateEntry(".buildsigning/package.sigstore.json").Open();
            stream.Write(bundle.ToJsonBytes());
        }
        RecordHash(assets, folder, nupkg);

        string policy = $$"""{ "version": 1, "trustedKeys": [ { "name": "ci", "keyId": "{{key.Id.Hex}}" } ], "packages": [ { "id": "Contoso.Unsigned", "signers": ["ci"] } ] }""";
        // Key id only: the bundle carries no certificate, so the public key itself is needed.
        Assert.Equal("BS4023", Get(Verify(Policy(policy), assets), TrustRestoreFixture.UnsignedId).Diagnostic!.Code);
        string pem = key.PublicKey.ExportPem().Replace("\n", "\\n");
        policy = $$"""{ "version": 1, "trustedKeys": [ { "name": "ci", "publicKey": "{{pem}}" } ], "packages": [ { "id": "Contoso.Unsigned", "signers": ["ci"] } ] }""";
        var allowed = Get(Verify(Policy(policy), assets), TrustRestoreFixture.UnsignedId);
        Assert.Equal(TrustVerdict.Allowed, allowed.Verdict);
        Assert.Equal("key 'ci' (.buildsigning/package.sigstore.json)", allowed.TrustedBy);

        var revoked = Get(Verify(Policy(policy.TrimEnd('}') + $$""", "revoked": [ { "keyId": "{{key.Id.Hex}}", "revokedOn": "2026-01-01", "reason": "rotated" } ] }"""), assets), TrustRestoreFixture.UnsignedId);
        Assert.Equal("BS4018", revoked.Diagnostic!.Code);
        Assert.Contains("revoked on 2026-01-01 (rotated)", revoked.Diagnostic.Text);

        using (var zip = ZipFile.Open(nupkg, ZipArchiveMode.Update))
        {
            using var stream = zip.CreateEntry("lib/netstandard2.0/extra.txt").Open();
            stream.Write("added later"u8);
        }
        RecordHash(assets, folder, nupkg);
        var modified = Get(Verify(Policy(policy), assets), TrustRestoreFixture.UnsignedId);
        Assert.Equal("BS4023", modified.Diagnostic!.Code);
        Assert.Contains("'lib/netstandard2.0/extra.txt' is not covered by the bundle", modified.Diagnostic.Text);
    }

    [Fact]
    public void A_forged_allowed_verdict_in_the_cache_is_ignored_with_the_whole_cache()
    {
        string cache = _temp.Combine("obj", "trust.cache");
        Assert.Equal("BS4010", Get(Verify(TrustPolicy.Default, cache: cache), TrustRestoreFixture.UnsignedId).Diagnostic!.Code);

        // Every field of a verdict line is computable offline: the format and the policy hash from a genuine line.
        string[] lines = File.ReadAllLines(cache);
        string genuine = lines.First(l => l.StartsWith("V\tnewtonsoft.json\t", StringComparison.Ordinal));
        string nupkg = Path.Combine(fixture.PackagesFolder, "contoso.unsigned", "1.0.0", "contoso.unsigned.1.0.0.nupkg");
        string forged = string.Join('\t', "V", "contoso.unsigned", "1.0.0", Hex.Lower(SHA512.HashData(File.ReadAllBytes(nupkg))),
            genuine.Split('\t')[4], "Allowed", "-", "signer 'nuget.org' (repository signature)");
        File.WriteAllLines(cache, lines.SelectMany(l => l == genuine ? new[] { l, forged } : new[] { l }));

        var result = Verify(TrustPolicy.Default, cache: cache);
        var unsigned = Get(result, TrustRestoreFixture.UnsignedId);
        Assert.Equal(TrustVerdict.Denied, unsigned.Verdict);
        Assert.Equal("BS4010", unsigned.Diagnostic!.Code);
        Assert.Equal(0, result.CacheHits);

        // Written again by the verifier, the cache is used again (and holds no verdict for the unsigned package).
        Assert.True(Verify(TrustPolicy.Default, cache: cache).CacheHits > 0);
        Assert.DoesNotContain(File.ReadAllLines(cache), l => l.StartsWith("V\tcontoso.unsigned\t", StringComparison.Ordinal));
    }

    [Fact]
    public void A_signed_nupkg_copied_over_another_packages_file_is_denied_naming_the_package()
    {
        string assets = fixture.CopyRestore(_temp);
        string expected = _temp.Combine("nuget-packages", "contoso.unsigned", "1.0.0", "contoso.unsigned.1.0.0.nupkg");
        File.Copy(_temp.Combine("nuget-packages", "contoso.signed", "1.0.0", "contoso.signed.1.0.0.nupkg"), expected, overwrite: true);
        File.Copy(_temp.Combine("nuget-packages", "contoso.signed", "1.0.0", "contoso.signed.1.0.0.nupkg.sha512"), expected + ".sha512", overwrite: true);
        var trustingContoso = Policy($$"""{ "version": 1, "trustedSigners": [ {{ContosoSigner()}} ] }""");
        string cache = _temp.Combine("obj", "trust.cache");

        var result = Get(Verify(trustingContoso, assets, cache), TrustRestoreFixture.UnsignedId);
        Assert.Equal(TrustVerdict.Denied, result.Verdict);
        Assert.Equal("BS4027", result.Diagnostic!.Code);
        Assert.Contains($"Package 'Contoso.Unsigned 1.0.0': its .nupkg '{expected}' is package 'Contoso.Signed 1.0.0'", result.Diagnostic.Text);
        // Not cached by the content it carries: the genuine Contoso.Signed verdict does not help it either.
        Assert.Equal(TrustVerdict.Allowed, Get(Verify(trustingContoso, assets, cache), TrustRestoreFixture.SignedId).Verdict);
        Assert.Equal("BS4027", Get(Verify(trustingContoso, assets, cache), TrustRestoreFixture.UnsignedId).Diagnostic!.Code);

        // No exception makes it acceptable; audit mode reports it as a warning with the same code.
        var excepted = Policy("""{ "version": 1, "unsignedExceptions": [ { "id": "*", "reason": "all", "expires": "2099-01-01" } ] }""");
        Assert.Equal("BS4027", Get(Verify(excepted, assets), TrustRestoreFixture.UnsignedId).Diagnostic!.Code);
        var audit = Get(Verify(trustingContoso.With(mode: TrustMode.Audit), assets), TrustRestoreFixture.UnsignedId);
        Assert.Equal(TrustVerdict.AuditWarning, audit.Verdict);
        Assert.Equal("BS4027", audit.Diagnostic!.Code);
    }

    [Fact]
    public void Another_nupkg_in_the_folder_does_not_stand_in_for_the_missing_one()
    {
        string assets = fixture.CopyRestore(_temp);
        string folder = _temp.Combine("nuget-packages", "contoso.unsigned", "1.0.0");
        File.Delete(Path.Combine(folder, "contoso.unsigned.1.0.0.nupkg"));
        File.Copy(_temp.Combine("nuget-packages", "contoso.signed", "1.0.0", "contoso.signed.1.0.0.nupkg"), Path.Combine(folder, "contoso.signed.1.0.0.nupkg"));

        var policy = Policy($$"""{ "version": 1, "trustedSigners": [ {{ContosoSigner()}} ], "unsignedExceptions": [ { "id": "Contoso.Unsigned", "reason": "test", "expires": "2099-01-01" } ] }""");
        var result = Get(Verify(policy, assets), TrustRestoreFixture.UnsignedId);
        Assert.Equal(TrustVerdict.Denied, result.Verdict);
        Assert.Equal("BS4025", result.Diagnostic!.Code);
        Assert.Contains($"its folder '{folder}' has no 'contoso.unsigned.1.0.0.nupkg'", result.Diagnostic.Text);
        Assert.Contains("contoso.signed.1.0.0.nupkg", result.Diagnostic.Text);
    }

    [Fact]
    public void A_missing_or_mismatched_sha512_file_is_denied_even_when_the_verdict_is_cached()
    {
        string assets = fixture.CopyRestore(_temp);
        string cache = _temp.Combine("obj", "trust.cache");
        string nupkg = _temp.Combine("nuget-packages", "newtonsoft.json", "13.0.3", "newtonsoft.json.13.0.3.nupkg");
        string recorded = File.ReadAllText(nupkg + ".sha512");
        Assert.Equal(TrustVerdict.Allowed, Get(Verify(TrustPolicy.Default, assets, cache), "Newtonsoft.Json").Verdict);
        Assert.True(Get(Verify(TrustPolicy.Default, assets, cache), "Newtonsoft.Json").FromCache);

        File.WriteAllText(nupkg + ".sha512", Convert.ToBase64String(SHA512.HashData("another package"u8)));
        var mismatched = Get(Verify(TrustPolicy.Default, assets, cache), "Newtonsoft.Json");
        Assert.Equal(TrustVerdict.Denied, mismatched.Verdict);
        Assert.Equal("BS4019", mismatched.Diagnostic!.Code);

        File.Delete(nupkg + ".sha512");
        var missing = Get(Verify(TrustPolicy.Default, assets, cache), "Newtonsoft.Json");
        Assert.Equal(TrustVerdict.Denied, missing.Verdict);
        Assert.Equal("BS4026", missing.Diagnostic!.Code);
        Assert.Contains($"'{nupkg}.sha512', the SHA-512 restore records", missing.Diagnostic.Text);

        // Missing without a cache, too; and allowed again once NuGet's record is back.
        Assert.Equal("BS4026", Get(Verify(TrustPolicy.Default, assets), "Newtonsoft.Json").Diagnostic!.Code);
        File.WriteAllText(nupkg + ".sha512", recorded);
        Assert.Equal(TrustVerdict.Allowed, Get(Verify(TrustPolicy.Default, assets, cache), "Newtonsoft.Json").Verdict);
    }

    [Theory]
    [InlineData("Contoso.Core", "1.0.0", "contoso.core", "1.0.0", true)]
    [InlineData("Contoso.Core", "1.0.0", "Contoso.Core", "1.0", true)]
    [InlineData("Contoso.Core", "1.0.0-beta", "Contoso.Core", "1.0.0-BETA", true)]
    [InlineData("Contoso.Core", "1.0.0", "Contoso.Core", "1.0.0+build.5", true)]
    [InlineData("Contoso.Core", "1.0.0", "Contoso.Core", "1.0.1", false)]
    [InlineData("Contoso.Core", "1.0.0", "Contoso.Cor", "1.0.0", false)]
    [InlineData("Contoso.Core", "not a version", "Contoso.Core", "1.0.0", false)]
    public void A_nuspec_names_the_same_package_by_id_ignoring_case_and_by_normalized_version(string id, string version, string nuspecId, string nuspecVersion, bool same) =>
        Assert.Equal(same, DependencyVerifier.IsSamePackage(id, version, nuspecId, NuGet.Versioning.NuGetVersion.Parse(nuspecVersion)));

    [Theory]
    [InlineData("Contoso.Core", "1.0.0", "contoso.core.1.0.0.nupkg")]
    [InlineData("Contoso.Core", "1.0.0-Beta.1", "contoso.core.1.0.0-beta.1.nupkg")]
    [InlineData("Contoso.Core", "1.0.0.0", "contoso.core.1.0.0.nupkg")]
    public void The_expected_nupkg_is_NuGets_lower_case_file_name(string id, string version, string fileName) =>
        Assert.Equal(Path.Combine("/packages/x", fileName), DependencyVerifier.ExpectedNupkg("/packages/x", id, version));

    private static void RecordHash(string assets, string folder, string nupkg)
    {
        string hashFile = Directory.GetFiles(folder, "*.nupkg.sha512").Single();
        string oldHash = File.ReadAllText(hashFile).Trim();
        string newHash = Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(nupkg)));
        File.WriteAllText(hashFile, newHash);
        File.WriteAllText(assets, File.ReadAllText(assets).Replace(oldHash, newHash, StringComparison.Ordinal));
    }
}
