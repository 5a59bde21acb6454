using BuildSigning.TestSupport;
using Microsoft.Build.Utilities;

namespace BuildSigning.Tasks.Tests;

/// <summary>
/// The restore-time check in process: a synthetic assets file whose package folder holds unsigned (real zip) packages,
/// verified against a policy file, MSBuild items and the built-in policy.
/// </summary>
public sealed class VerifyDependenciesTests : IDisposable
{
    private const string Unsigned = "Contoso.Widgets";
    private const string Other = "Fabrikam.Json";

    private readonly TempDirectory _temp = new("bs-task-verify");
    private readonly MockBuildEngine _engine = new();
    private readonly SyntheticRestore _restore;

    public VerifyDependenciesTests()
    {
        _restore = new SyntheticRestore(_temp).Package(Unsigned, "1.2.0", $"{Other}/2.0.0").Package(Other, "2.0.0");
        _restore.Write();
    }

    public void Dispose()
    {
        _engine.EndBuild();
        _temp.Dispose();
    }

    private string PolicyPath => _temp.Combine("repo", "buildsigning.trust.json");

    private string WritePolicy(string json) => _temp.WriteFile("repo/buildsigning.trust.json", json);

    private VerifyDependencies NewTask(string? policy = null) => new()
    {
        BuildEngine = _engine,
        AssetsFile = _restore.AssetsPath,
        ProjectDirectory = _restore.ProjectDirectory,
        TrustPolicyFile = policy,
    };

    [Fact]
    public void Unsigned_packages_fail_with_BS4010_naming_each_package_and_the_policy()
    {
        WritePolicy("""{ "version": 1 }""");

        Assert.False(NewTask(PolicyPath).Execute());

        Assert.Equal(["BS4010", "BS4010"], _engine.ErrorCodes);
        Assert.Contains(_engine.Errors, e => e.Message!.Contains($"'{Unsigned} 1.2.0' is unsigned", StringComparison.Ordinal));
        Assert.Contains(_engine.Errors, e => e.Message!.Contains($"'{Other} 2.0.0' is unsigned", StringComparison.Ordinal));
        Assert.All(_engine.Errors, e => Assert.Contains(PolicyPath, e.Message));
        Assert.Empty(_engine.Warnings);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("0 allowed, 2 rejected", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_policy_file_the_built_in_policy_rejects_unsigned_packages()
    {
        Assert.False(NewTask().Execute());

        Assert.Equal(["BS4010", "BS4010"], _engine.ErrorCodes);
        Assert.All(_engine.Errors, e => Assert.Contains("built-in trust policy", e.Message));
    }

    [Fact]
    public void An_unsigned_exception_in_the_policy_file_allows_the_package_it_names()
    {
        WritePolicy($$"""
            { "version": 1, "unsignedExceptions": [
              { "id": "{{Unsigned}}", "versions": "[1.0.0,2.0.0)", "reason": "vendor does not sign; ticket OPS-12", "expires": "2099-01-01" } ] }
            """);

        Assert.False(NewTask(PolicyPath).Execute());

        // Only the package the exception does not name is still rejected.
        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS4010", error.Code);
        Assert.Contains($"'{Other} 2.0.0'", error.Message);
        Assert.DoesNotContain(_engine.Errors, e => e.Message!.Contains(Unsigned, StringComparison.Ordinal));
    }

    [Fact]
    public void Exceptions_covering_every_package_pass_without_warnings()
    {
        WritePolicy("""
            { "version": 1, "unsignedExceptions": [
              { "id": "Contoso.*", "reason": "ours", "expires": "2099-01-01" },
              { "id": "Fabrikam.Json", "reason": "vendor", "expires": "2099-01-01" } ] }
            """);

        Assert.True(NewTask(PolicyPath).Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        Assert.Empty(_engine.Warnings);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("verified 2 packages", StringComparison.Ordinal)
            && m.Message.Contains("2 allowed, 0 rejected", StringComparison.Ordinal));
    }

    [Fact]
    public void An_AllowUnsigned_item_allows_the_package_like_a_policy_exception()
    {
        var task = NewTask();
        task.AllowUnsigned =
        [
            new TaskItem("Contoso.*", new Dictionary<string, string> { ["Reason"] = "ours", ["Expires"] = "2099-01-01" }),
            new TaskItem(Other, new Dictionary<string, string> { ["Reason"] = "vendor", ["Expires"] = "2099-01-01" }),
        ];

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        Assert.Empty(_engine.Warnings);
    }

    [Fact]
    public void An_expired_exception_does_not_allow_the_package()
    {
        WritePolicy($$"""
            { "version": 1, "unsignedExceptions": [ { "id": "{{Unsigned}}", "reason": "vendor", "expires": "2020-01-01" } ] }
            """);

        Assert.False(NewTask(PolicyPath).Execute());

        Assert.Contains(_engine.Errors, e => e.Message!.Contains(Unsigned, StringComparison.Ordinal) && e.Message.Contains("expired on 2020-01-01", StringComparison.Ordinal));
    }

    [Fact]
    public void Audit_mode_logs_warnings_instead_of_errors_and_succeeds()
    {
        WritePolicy("""{ "version": 1, "mode": "audit" }""");

        Assert.True(NewTask(PolicyPath).Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        Assert.Equal(["BS4010", "BS4010"], _engine.WarningCodes);
        Assert.Contains(_engine.Warnings, w => w.Message!.Contains($"'{Unsigned} 1.2.0' is unsigned", StringComparison.Ordinal));
    }

    [Fact]
    public void The_TrustMode_property_switches_to_audit_mode()
    {
        WritePolicy("""{ "version": 1 }""");
        var task = NewTask(PolicyPath);
        task.TrustMode = "audit";

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        Assert.Equal(["BS4010", "BS4010"], _engine.WarningCodes);
    }

    [Fact]
    public void A_malformed_policy_file_is_a_coded_error_located_in_the_policy_file_and_nothing_is_verified()
    {
        WritePolicy("{ \"version\": 1,\n  \"unsignedExceptions\": [ { \"id\": \"x\" ]\n}\n");

        Assert.False(NewTask(PolicyPath).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS4003", error.Code);
        Assert.Equal(PolicyPath, error.File);
        Assert.Equal(2, error.LineNumber);
        Assert.True(error.ColumnNumber > 0);
        // The location is the event's, not repeated in its text; the help link names the code's anchor in docs/errors.md.
        Assert.DoesNotContain(PolicyPath + "(", error.Message);
        Assert.Equal("docs/errors.md#bs4003", error.HelpLink);
        Assert.DoesNotContain(_engine.Messages, m => m.Message!.Contains("verified", StringComparison.Ordinal));
    }

    [Fact]
    public void A_policy_with_an_unknown_field_is_an_error_at_the_policy_file_not_at_the_targets()
    {
        WritePolicy("{ \"version\": 1,\n  \"unsignedExeptions\": []\n}\n");

        Assert.False(NewTask(PolicyPath).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.StartsWith("BS40", error.Code);
        Assert.Equal(PolicyPath, error.File);
        Assert.Equal(2, error.LineNumber);
        Assert.Contains("unsignedExeptions", error.Message);
    }

    [Fact]
    public void A_missing_policy_file_logs_BS4001()
    {
        Assert.False(NewTask(_temp.Combine("repo", "missing.trust.json")).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS4001", error.Code);
        Assert.Contains(_temp.Combine("repo", "missing.trust.json"), error.Message);
    }

    [Fact]
    public void A_package_changed_after_restore_is_rejected_even_when_an_exception_allows_it()
    {
        WritePolicy("""{ "version": 1, "unsignedExceptions": [ { "id": "*", "reason": "all", "expires": "2099-01-01" } ] }""");
        string nupkg = Path.Combine(_restore.PackagesFolder, "contoso.widgets", "1.2.0", "contoso.widgets.1.2.0.nupkg");
        File.Delete(nupkg);
        SyntheticRestore.WriteNupkg(nupkg, Unsigned, "1.2.0", [("lib/net10.0/Contoso.Widgets.dll", "tampered IL")]);

        Assert.False(NewTask(PolicyPath).Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.StartsWith("BS40", error.Code);
        Assert.Contains(Unsigned, error.Message);
    }

    [Fact]
    public void The_policy_is_read_once_per_build()
    {
        WritePolicy("""{ "version": 1, "mode": "audit" }""");

        Assert.True(NewTask(PolicyPath).Execute(), _engine.Log);
        Assert.True(NewTask(PolicyPath).Execute(), _engine.Log);

        Assert.Equal(1, _engine.RegisterCount);
        Assert.Equal(4, _engine.Warnings.Count);
    }

    [Fact]
    public void A_package_signed_by_SignPackages_with_a_trusted_key_is_allowed_and_another_key_is_not()
    {
        using var temp = new TempDirectory("bs-task-verify-key");
        string keyFile = TestKeys.WritePrivateKeyPem(temp.Combine("keys", "ci.pem"), TestKeyKind.EcdsaP256);
        string publicKey = TestKeys.WritePublicKeyPem(temp.Combine("keys", "ci.pub.pem"), TestKeyKind.EcdsaP256);
        var engine = new MockBuildEngine();
        // The author packed and signed Contoso.Signed by key only (BuildSigningSignPackage=false) before publishing it.
        var restore = new SyntheticRestore(temp).Package("Contoso.Signed", "1.0.0", nupkg =>
        {
            var sign = new SignPackages { BuildEngine = engine, Packages = [new TaskItem(nupkg)], KeyFile = keyFile, SignPackage = false };
            Assert.True(sign.Execute(), engine.Log);
        });
        restore.Write();
        temp.WriteFile("repo/buildsigning.trust.json", """
            { "version": 1, "trustedKeys": [ { "name": "our-ci", "publicKeyFile": "../keys/ci.pub.pem" } ] }
            """);
        var verify = new VerifyDependencies
        {
            BuildEngine = _engine,
            AssetsFile = restore.AssetsPath,
            ProjectDirectory = restore.ProjectDirectory,
            TrustPolicyFile = temp.Combine("repo", "buildsigning.trust.json"),
        };

        Assert.True(verify.Execute(), _engine.Log);
        Assert.Empty(_engine.Errors);
        Assert.Empty(_engine.Warnings);

        // The same package against a policy that trusts another key only.
        using var other = TestKeys.CreateOtherP256();
        TestKeys.WritePublicKeyPem(temp.Combine("keys", "other.pub.pem"), other);
        temp.WriteFile("repo/other.trust.json", """
            { "version": 1, "trustedKeys": [ { "name": "someone-else", "publicKeyFile": "../keys/other.pub.pem" } ] }
            """);
        var rejected = new MockBuildEngine();
        verify.BuildEngine = rejected;
        verify.TrustPolicyFile = temp.Combine("repo", "other.trust.json");

        Assert.False(verify.Execute());
        var error = Assert.Single(rejected.Errors);
        Assert.StartsWith("BS40", error.Code);
        Assert.Contains("Contoso.Signed 1.0.0", error.Message);
    }
}

/// <summary>The verdict cache, whose authenticating key lives in the per-user folder (BUILDSIGNING_HOME).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class VerifyDependenciesCacheTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-task-verify-cache");
    private readonly MockBuildEngine _engine = new();

    public void Dispose()
    {
        _engine.EndBuild();
        _temp.Dispose();
    }

    [Fact]
    public void A_second_verification_takes_allowed_verdicts_from_the_cache_and_a_changed_package_is_checked_again()
    {
        using var home = new EnvironmentVariableScope(BuildSigning.Core.Keys.DevelopmentKey.HomeVariable, _temp.Combine("home"));
        var restore = new SyntheticRestore(_temp).Package("Contoso.Widgets", "1.2.0").Package("Fabrikam.Json", "2.0.0");
        restore.Write();
        var items = new[] { new TaskItem("*", new Dictionary<string, string> { ["Reason"] = "synthetic", ["Expires"] = "2099-01-01" }) };
        VerifyDependencies NewTask() => new()
        {
            BuildEngine = _engine,
            AssetsFile = restore.AssetsPath,
            ProjectDirectory = restore.ProjectDirectory,
            CacheFile = Path.Combine(restore.ProjectDirectory, "obj", "buildsigning.trust.cache"),
            AllowUnsigned = items,
        };

        Assert.True(NewTask().Execute(), _engine.Log);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("(0 from cache", StringComparison.Ordinal));
        _engine.Messages.Clear();
        Assert.True(NewTask().Execute(), _engine.Log);
        // In the same process the verdicts come from the earlier pass's memory (nothing changed), else from the cache file.
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("(2 from cache", StringComparison.Ordinal) || m.Message!.Contains("unchanged since", StringComparison.Ordinal));

        // A package replaced after restore is never allowed from the cache.
        string nupkg = Path.Combine(restore.PackagesFolder, "fabrikam.json", "2.0.0", "fabrikam.json.2.0.0.nupkg");
        File.Delete(nupkg);
        SyntheticRestore.WriteNupkg(nupkg, "Fabrikam.Json", "2.0.0", [("lib/net10.0/Fabrikam.Json.dll", "tampered")]);
        _engine.Messages.Clear();
        Assert.False(NewTask().Execute());
        var error = Assert.Single(_engine.Errors);
        Assert.Contains("Fabrikam.Json 2.0.0", error.Message);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("(1 from cache", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/p/buildsigning/1.0.0/tasks/net10.0/BuildSigning.Tasks.dll", "/p/buildsigning/1.0.0")]
    [InlineData("/p/buildsigning/1.0.0/tasks/net10.0/linux-x64/BuildSigning.Tasks.dll", "/p/buildsigning/1.0.0")]
    [InlineData("/repo/src/BuildSigning.Tasks/bin/Debug/net10.0/BuildSigning.Tasks.dll", "/repo/src/BuildSigning.Tasks/bin")]
    public void The_verifier_package_is_found_from_the_portable_and_the_ReadyToRun_task_folder(string assembly, string package) =>
        Assert.Equal(package, VerifyDependencies.PackageDirectoryOf(assembly));
}
