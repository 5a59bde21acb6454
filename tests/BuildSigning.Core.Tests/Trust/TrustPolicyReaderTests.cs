using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Trust;

public sealed class TrustPolicyReaderTests : IDisposable
{
    private const string Fp256 = "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899";
    private readonly TempDirectory _temp = new("bs-policy");

    public void Dispose() => _temp.Dispose();

    private static VerificationKey NewKey()
    {
        using var ec = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        return VerificationKey.FromSubjectPublicKeyInfo(ec.ExportSubjectPublicKeyInfo(), "test key");
    }

    private static TrustPolicyReadResult Read(string json) => TrustPolicyReader.Read(Encoding.UTF8.GetBytes(json), "policy.json");

    private static Diagnostic SingleError(string json)
    {
        var result = Read(json);
        Assert.Null(result.Policy);
        return Assert.Single(result.Errors);
    }

    [Fact]
    public void Reads_every_field_of_a_complete_policy()
    {
        var key = NewKey();
        string pem = key.ExportPem().Replace("\n", "\\n");
        var result = Read($$"""
            {
              "$schema": "https://example.invalid/trust-policy.schema.json",
              // comments are allowed
              "version": 1,
              "mode": "audit",
              "trustedSigners": [
                { "name": "contoso", "kind": "author", "certificates": [
                    { "fingerprint": "{{Fp256.ToLowerInvariant()}}", "allowUntrustedRoot": true, "notBefore": "2024-01-01", "notAfter": "2027-06-30T12:00:00Z", "comment": "2024 cert" },
                    { "fingerprint": "{{new string('1', 96)}}", "hashAlgorithm": "SHA384" } ] },
                { "name": "internal-feed", "kind": "repository", "owners": ["contoso", "build"], "certificates": [ { "fingerprint": "{{new string('2', 128)}}", "hashAlgorithm": "sha-512" } ] }
              ],
              "trustedKeys": [ { "name": "ci", "publicKey": "{{pem}}" }, { "name": "ci-old", "keyId": "{{new string('a', 64)}}" } ],
              "packages": [ { "id": "Contoso.*", "signers": ["contoso", "ci"], "reason": "ours" } ],
              "unsignedExceptions": [ { "id": "Legacy.Lib", "versions": "[1.0,2.0)", "reason": "vendor never signed it", "expires": "2027-01-31" } ],
              "revoked": [ { "fingerprint": "{{new string('3', 64)}}", "revokedOn": "2025-05-01", "reason": "key leaked" }, { "keyId": "{{new string('b', 64)}}", "revokedOn": "2025-06-01" } ],
            }
            """);

        Assert.Empty(result.Errors);
        var policy = result.Policy!;
        Assert.Equal(TrustMode.Audit, policy.Mode);
        Assert.Equal(["nuget.org", "contoso", "internal-feed"], policy.Signers.Select(s => s.Name));
        var contoso = policy.FindSigner("CONTOSO")!;
        Assert.Equal(SignerKind.Author, contoso.Kind);
        Assert.Equal(Fp256, contoso.Certificates[0].Fingerprint.Hex);
        Assert.True(contoso.Certificates[0].AllowUntrustedRoot);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), contoso.Certificates[0].NotBefore);
        Assert.Equal(new DateTimeOffset(2027, 6, 30, 12, 0, 0, TimeSpan.Zero), contoso.Certificates[0].NotAfter);
        Assert.Equal("SHA384", contoso.Certificates[1].Fingerprint.Algorithm.Name);
        Assert.Equal(["contoso", "build"], policy.FindSigner("internal-feed")!.Owners);
        Assert.Equal(key.Id, policy.Keys[0].KeyId);
        Assert.Null(policy.Keys[1].PublicKey);
        Assert.Equal("Contoso.*", policy.FindRule("contoso.web")!.Id.Text);
        Assert.Null(policy.FindRule("Newtonsoft.Json"));
        var exception = Assert.Single(policy.Exceptions);
        Assert.True(exception.Matches("legacy.lib", NuGet.Versioning.NuGetVersion.Parse("1.5.0")));
        Assert.False(exception.Matches("Legacy.Lib", NuGet.Versioning.NuGetVersion.Parse("2.0.0")));
        Assert.Equal(2, policy.Revocations.Count);
        Assert.Equal("policy.json", policy.Source);
        Assert.Matches("^[0-9a-f]{64}$", policy.Hash);
    }

    [Fact]
    public void Malformed_json_is_BS4003_with_line_and_column()
    {
        var error = SingleError("{\n  \"version\": 1,\n  \"mode\" \"audit\"\n}");
        Assert.Equal("BS4003", error.Code);
        Assert.StartsWith("policy.json(3,", error.Text);
        Assert.Contains("not valid JSON", error.Text);
    }

    [Fact]
    public void A_policy_saved_with_a_byte_order_mark_is_read()
    {
        // "UTF-8 with signature", as Visual Studio, Notepad and PowerShell 5 save it.
        byte[] json = [.. new UTF8Encoding(encoderShouldEmitUTF8Identifier: true).GetPreamble(), .. Encoding.UTF8.GetBytes("{\n  \"version\": 1,\n  \"mode\": \"audit\"\n}")];
        string path = _temp.WriteFile("buildsigning.trust.json", json);

        var result = TrustPolicyReader.ReadFile(path);

        Assert.Empty(result.Errors);
        Assert.Equal(TrustMode.Audit, result.Policy!.Mode);
    }

    [Fact]
    public void Positions_after_a_byte_order_mark_and_non_ascii_text_count_characters()
    {
        byte[] json = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\n  \"version\": 1, /* größe */ \"colour\": 1\n}")];

        var error = Assert.Single(TrustPolicyReader.Read(json, "policy.json").Errors);

        Assert.Equal("BS4004", error.Code);
        Assert.StartsWith("policy.json(2,29): unknown field 'colour'", error.Text);
    }

    // Inputs the fuzz tests (Fuzzing/TrustPolicyReaderFuzzTests) found throwing InvalidOperationException: System.Text.Json
    // checks a string's UTF-8 and escapes only when the string is read. '~' stands for the byte 0x93, not UTF-8 on its own.
    [Theory]
    [InlineData("\"../../etc~Passwd\"", "1,1")]
    [InlineData("{\n  \"versi~on\": 1\n}", "2,3")]
    [InlineData("{\n  \"version\": 1,\n  \"mode\": \"aud\\uDC00it\"\n}", "3,11")]
    [InlineData("{\n  \"version\": 1,\n  \"\\uD800\": 1\n}", "3,3")]
    public void Text_that_is_not_valid_UTF8_or_UTF16_is_BS4003_with_its_position(string json, string position)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json).Select(b => b == (byte)'~' ? (byte)0x93 : b).ToArray();

        var error = Assert.Single(TrustPolicyReader.Read(bytes, "policy.json").Errors);

        Assert.Equal("BS4003", error.Code);
        Assert.StartsWith($"policy.json({position}): the trust policy is not valid JSON: this string is not valid UTF-8", error.Text);
    }

    [Theory]
    [InlineData("\\u0000key.pem")]
    [InlineData("")]
    [InlineData("  ")]
    public void A_publicKeyFile_that_is_no_path_is_BS4005(string path)
    {
        // Found by the fuzz tests: a NUL in the path threw ArgumentException from Path.GetFullPath.
        var error = SingleError($$"""{ "version": 1, "trustedKeys": [ { "name": "ci", "publicKeyFile": "{{path}}" } ] }""");

        Assert.Equal("BS4005", error.Code);
        Assert.Contains("'publicKeyFile' must be the path of a PEM file", error.Text);
    }

    [Fact]
    public void Thousands_of_errors_in_a_large_policy_are_reported_in_linear_time()
    {
        // Each error's line and column used to be counted from the start of the file: quadratic in the policy's size.
        string rules = string.Join(",", Enumerable.Repeat("""{ "id": "A", "signers": ["nobody"], "padding": "{{new string('x', 40)}}" }""", 20_000));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var result = Read($$"""{ "version": 1, "packages": [{{rules}}] }""");

        Assert.True(result.Errors.Count >= 20_000);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Unknown_fields_are_BS4004_with_position_and_a_suggestion()
    {
        var result = Read("{\n  \"version\": 1,\n  \"trustedSigners\": [ { \"name\": \"a\", \"kind\": \"author\", \"Certificates\": [] } ],\n  \"colour\": 1\n}");
        Assert.Null(result.Policy);
        var unknown = result.Errors.Where(e => e.Code == "BS4004").ToList();
        Assert.Equal(2, unknown.Count);
        Assert.Contains(unknown, e => e.Text.StartsWith("policy.json(3,56): unknown field 'Certificates' in a trusted signer", StringComparison.Ordinal) && e.Text.Contains("did you mean 'certificates'?"));
        Assert.Contains(unknown, e => e.Text.StartsWith("policy.json(4,3): unknown field 'colour' in the policy", StringComparison.Ordinal));
    }

    [Fact]
    public void A_misspelt_field_gets_the_nearest_known_name_as_a_suggestion()
    {
        var result = Read("{\n  \"version\": 1,\n  \"mdoe\": \"audit\",\n  \"zebra\": 1\n}");
        var unknown = result.Errors.Where(e => e.Code == "BS4004").ToList();
        Assert.Contains(unknown, e => e.Text.Contains("unknown field 'mdoe'") && e.Text.Contains("did you mean 'mode'?"));
        Assert.Contains(unknown, e => e.Text.Contains("unknown field 'zebra'") && !e.Text.Contains("did you mean"));
    }

    [Theory]
    [InlineData("AABB", "SHA256", "has 4 hex digits")]
    [InlineData("ZZBBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899", "SHA256", "other than hexadecimal")]
    [InlineData("AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899", "SHA512", "a SHA512 fingerprint has 128")]
    public void Fingerprints_are_checked_by_length_per_algorithm_BS4006(string fingerprint, string algorithm, string expected)
    {
        var error = SingleError($$"""
            { "version": 1, "trustedSigners": [ { "name": "a", "kind": "author", "certificates": [
              { "fingerprint": "{{fingerprint}}", "hashAlgorithm": "{{algorithm}}" } ] } ] }
            """);
        Assert.Equal("BS4006", error.Code);
        Assert.StartsWith("policy.json(2,", error.Text);
        Assert.Contains(expected, error.Text);
    }

    [Fact]
    public void A_sha384_fingerprint_given_as_sha256_suggests_the_algorithm()
    {
        var error = SingleError($$"""{ "version": 1, "revoked": [ { "fingerprint": "{{new string('A', 96)}}", "revokedOn": "2025-01-01" } ] }""");
        Assert.Equal("BS4006", error.Code);
        Assert.Contains("set hashAlgorithm to SHA384", error.Text);
    }

    [Theory]
    [InlineData("Con*toso", "'*' may only stand at the end")]
    [InlineData("Contoso Core", "' ' cannot appear")]
    [InlineData("", "it is empty")]
    public void Invalid_id_patterns_are_BS4007(string pattern, string expected)
    {
        var error = SingleError($$"""{ "version": 1, "unsignedExceptions": [ { "id": "{{pattern}}", "reason": "r", "expires": "2030-01-01" } ] }""");
        Assert.Equal("BS4007", error.Code);
        Assert.Contains(expected, error.Text);
    }

    [Theory]
    [InlineData("[1.0,", "NuGet cannot parse it")]
    [InlineData("1.2.3", "write [1.2.3] for exactly this version")]
    public void Invalid_version_ranges_are_BS4008(string range, string expected)
    {
        var error = SingleError($$"""{ "version": 1, "unsignedExceptions": [ { "id": "A", "versions": "{{range}}", "reason": "r", "expires": "2030-01-01" } ] }""");
        Assert.Equal("BS4008", error.Code);
        Assert.StartsWith("policy.json(1,", error.Text);
        Assert.Contains(expected, error.Text);
    }

    [Theory]
    [InlineData("""{ "mode": "enforce" }""", "the field 'version' is required")]
    [InlineData("""{ "version": 2 }""", "policy version 2 is not supported")]
    [InlineData("""{ "version": "1" }""", "'version' must be the number 1")]
    [InlineData("""{ "version": 1, "mode": "strict" }""", "'mode' must be \"enforce\" or \"audit\"")]
    [InlineData("""{ "version": 1, "unsignedExceptions": [ { "id": "A", "reason": "r" } ] }""", "the field 'expires' is required")]
    [InlineData("""{ "version": 1, "unsignedExceptions": [ { "id": "A", "reason": "r", "expires": "next year" } ] }""", "not an ISO-8601 date")]
    [InlineData("""{ "version": 1, "unsignedExceptions": [ { "id": "A", "reason": " ", "expires": "2030-01-01" } ] }""", "'reason' is empty")]
    [InlineData("""{ "version": 1, "packages": [ { "id": "A.*", "signers": ["nobody"] } ] }""", "no trusted signer or key is named 'nobody'")]
    [InlineData("""{ "version": 1, "trustedSigners": [ { "name": "a", "kind": "author", "owners": ["x"], "certificates": [ { "fingerprint": "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899" } ] } ] }""", "'owners' applies to repository signers only")]
    [InlineData("""{ "version": 1, "trustedSigners": [ { "name": "a", "kind": "publisher", "certificates": [ { "fingerprint": "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899" } ] } ] }""", "'kind' must be \"author\" or \"repository\"")]
    [InlineData("""{ "version": 1, "revoked": [ { "fingerprint": "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899" } ] }""", "the field 'revokedOn' is required")]
    [InlineData("""{ "version": 1, "version": 1 }""", "the field 'version' appears twice")]
    [InlineData("""[ 1 ]""", "the policy must be a JSON object")]
    public void Invalid_values_are_BS4005_and_no_policy_is_returned(string json, string expected)
    {
        var error = SingleError(json);
        Assert.Equal("BS4005", error.Code);
        Assert.Matches(@"^policy\.json\(\d+,\d+\): ", error.Text);
        Assert.Contains(expected, error.Text);
    }

    [Fact]
    public void Reports_every_error_at_once()
    {
        var result = Read("""
            { "version": 1, "mode": "strict",
              "unsignedExceptions": [ { "id": "A*B", "reason": "r", "expires": "2030-01-01" } ],
              "revoked": [ { "keyId": "nope", "revokedOn": "2025-01-01" } ] }
            """);
        Assert.Null(result.Policy);
        Assert.Equal(["BS4005", "BS4007", "BS4005"], result.Errors.Select(e => e.Code));
        Assert.Throws<BuildSigningException>(result.GetPolicyOrThrow);
    }

    [Fact]
    public void A_missing_policy_named_explicitly_is_BS4001_and_a_missing_default_means_the_built_in_policy()
    {
        var missing = TrustPolicyFiles.Resolve("does-not-exist.json", _temp.Path);
        Assert.Null(missing.Policy);
        Assert.Equal("BS4001", Assert.Single(missing.Errors).Code);
        Assert.Contains(_temp.Combine("does-not-exist.json"), missing.Errors[0].Text);

        var builtIn = TrustPolicyFiles.Resolve(null, _temp.Combine("no", "policy", "here"));
        Assert.Same(TrustPolicy.Default, builtIn.Policy);
    }

    [Fact]
    public void The_policy_file_is_found_by_walking_up_from_the_project()
    {
        string policy = _temp.WriteFile(TrustPolicy.DefaultFileName, """{ "version": 1, "mode": "audit" }""");
        string project = _temp.Combine("src", "App");
        Directory.CreateDirectory(project);

        Assert.Equal(policy, TrustPolicyFiles.FindPolicyFile(project));
        var resolved = TrustPolicyFiles.Resolve(null, project);
        Assert.Equal(TrustMode.Audit, resolved.Policy!.Mode);
        Assert.Equal(policy, resolved.Policy.Source);

        _temp.WriteFile("src/App/" + TrustPolicy.DefaultFileName, """{ "version": 1 """);
        var broken = TrustPolicyFiles.Resolve(null, project);
        Assert.Null(broken.Policy);
        Assert.Equal("BS4003", broken.Errors[0].Code);
    }

    [Fact]
    public void Public_key_files_resolve_against_the_policy_file()
    {
        var key = NewKey();
        _temp.WriteFile("keys/ci.pem", key.ExportPem());
        string path = _temp.WriteFile("policy/" + TrustPolicy.DefaultFileName, """{ "version": 1, "trustedKeys": [ { "name": "ci", "publicKeyFile": "../keys/ci.pem" } ] }""");
        var policy = TrustPolicyReader.ReadFile(path).GetPolicyOrThrow();
        Assert.Equal(key.Id, policy.Keys[0].KeyId);

        string bad = _temp.WriteFile("policy2/" + TrustPolicy.DefaultFileName, """{ "version": 1, "trustedKeys": [ { "name": "ci", "publicKeyFile": "missing.pem" } ] }""");
        Assert.Equal("BS4005", TrustPolicyReader.ReadFile(bad).Errors[0].Code);
    }

    [Fact]
    public void The_default_policy_trusts_the_three_nuget_org_repository_certificates()
    {
        var signer = Assert.Single(TrustPolicy.Default.Signers);
        Assert.Equal(SignerKind.Repository, signer.Kind);
        Assert.Empty(signer.Owners);
        Assert.Equal(
            ["1F4B311D9ACC115C8DC8018B5A49E00FCE6DA8E2855F9F014CA6F34570BC482D", "5A2901D6ADA3D18260B9C6DFE2133C95D74B9EEF6AE0E5DC334C8454D1477DF4", "0E5F38F57DC1BCC806D8494F4F90FBCEDD988B46760709CBEEC6F4219AA6157D"],
            signer.Certificates.Select(c => c.Fingerprint.Hex));
        Assert.Equal(TrustMode.Enforce, TrustPolicy.Default.Mode);

        // A file keeps the built-in signer unless it opts out or defines its own "nuget.org".
        Assert.Contains(Read("""{ "version": 1 }""").Policy!.Signers, s => s.Name == "nuget.org");
        Assert.Empty(Read("""{ "version": 1, "includeDefaultSigners": false }""").Policy!.Signers);
        var own = Read("""{ "version": 1, "trustedSigners": [ { "name": "nuget.org", "kind": "repository", "owners": ["jamesnk"], "certificates": [ { "fingerprint": "1F4B311D9ACC115C8DC8018B5A49E00FCE6DA8E2855F9F014CA6F34570BC482D" } ] } ] }""").Policy!;
        Assert.Equal(["jamesnk"], Assert.Single(own.Signers).Owners);
    }

    [Fact]
    public void The_policy_hash_is_canonical()
    {
        string a = Read("""{ "version": 1, "unsignedExceptions": [ { "id": "A", "reason": "r", "expires": "2030-01-01" }, { "id": "B", "reason": "r", "expires": "2030-01-01" } ] }""").Policy!.Hash;
        string b = Read("""
            {
              "unsignedExceptions": [ { "expires": "2030-01-01T00:00:00Z", "reason": "r", "id": "b" }, { "id": "A", "reason": "r", "expires": "2030-01-01" } ],
              "version": 1
            }
            """).Policy!.Hash;
        string c = Read("""{ "version": 1, "unsignedExceptions": [ { "id": "A", "reason": "r", "expires": "2030-01-02" }, { "id": "B", "reason": "r", "expires": "2030-01-01" } ] }""").Policy!.Hash;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, TrustPolicy.Default.Hash);
    }

    [Fact]
    public void Items_merge_into_the_policy_and_invalid_items_are_BS4009()
    {
        var merged = TrustPolicyMerger.Merge(TrustPolicy.Default, new TrustPolicyItems
        {
            Mode = "audit",
            Signers =
            [
                new TrustedSignerItem("contoso", "author", Fp256, AllowUntrustedRoot: "true"),
                new TrustedSignerItem("nuget.org", "repository", new string('C', 64), Owners: ["jamesnk"]),
            ],
            Exceptions = [new UnsignedExceptionItem("Legacy.*", "[1.0,)", "vendor", "2030-01-01")],
            Revocations = [new RevocationItem(new string('D', 64), null, "2025-01-01", "leaked")],
        });
        Assert.Empty(merged.Errors);
        var policy = merged.Policy!;
        Assert.Equal(TrustMode.Audit, policy.Mode);
        Assert.True(policy.FindSigner("contoso")!.Certificates[0].AllowUntrustedRoot);
        Assert.Equal(4, policy.FindSigner("nuget.org")!.Certificates.Count);
        Assert.Equal(["jamesnk"], policy.FindSigner("nuget.org")!.Owners);
        Assert.Single(policy.Exceptions);
        Assert.Single(policy.Revocations);
        Assert.NotEqual(TrustPolicy.Default.Hash, policy.Hash);

        var bad = TrustPolicyMerger.Merge(TrustPolicy.Default, new TrustPolicyItems
        {
            Signers = [new TrustedSignerItem("x", "author", "AABB"), new TrustedSignerItem("nuget.org", "author", Fp256)],
            Exceptions = [new UnsignedExceptionItem("Legacy.*", null, "vendor", null), new UnsignedExceptionItem("A", "1.0", "r", "2030-01-01")],
        });
        Assert.Null(bad.Policy);
        Assert.Equal(4, bad.Errors.Count);
        Assert.All(bad.Errors, e => Assert.Equal("BS4009", e.Code));
        Assert.Contains(bad.Errors, e => e.Text.Contains("BuildSigningTrustedSigner item 'x'") && e.Text.Contains("has 4 hex digits"));
        Assert.Contains(bad.Errors, e => e.Text.Contains("BuildSigningAllowUnsigned item 'Legacy.*'") && e.Text.Contains("Expires is required"));
    }
}
