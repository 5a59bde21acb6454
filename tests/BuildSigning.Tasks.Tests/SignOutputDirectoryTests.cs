using BuildSigning.Core.Attestations;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.TestSupport;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSigning.Tasks.Tests;

/// <summary>Tests that change process-wide environment variables run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Process environment";
}

/// <summary>Sets an environment variable for the duration of a test and restores the old value.</summary>
internal sealed class EnvironmentVariableScope : IDisposable
{
    private readonly string _name;
    private readonly string? _old;

    public EnvironmentVariableScope(string name, string? value)
    {
        _name = name;
        _old = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose() => Environment.SetEnvironmentVariable(_name, _old);
}

public sealed class SignOutputDirectoryTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-task");
    private readonly MockBuildEngine _engine = new();

    public void Dispose()
    {
        _engine.EndBuild();
        _temp.Dispose();
    }

    private string Root => _temp.Combine("bin", "Release", "net10.0");
    private string Bundle => Path.Combine(Root, ".buildsigning", "files.sigstore.json");
    private string Manifest => Path.Combine(Root, ".buildsigning", "files.sha256");

    /// <summary>Output as a build left it a minute ago (older than the digest cache's racy window).</summary>
    private void CreateOutput()
    {
        foreach (var (path, content) in new[] { ("App.dll", "IL"), ("App.deps.json", "{}"), ("de/App.resources.dll", "resources") })
        {
            File.SetLastWriteTimeUtc(_temp.WriteFile("bin/Release/net10.0/" + path, content), DateTime.UtcNow.AddMinutes(-1));
        }
    }

    private string WriteKey(TestKeyKind kind = TestKeyKind.EcdsaP256) => TestKeys.WritePrivateKeyPem(_temp.Combine("keys", "signing.pem"), kind);

    private SignOutputDirectory NewTask(string? keyFile = null, MockBuildEngine? engine = null) => new()
    {
        BuildEngine = engine ?? _engine,
        Directory = Root + "/",
        Kind = "build",
        ProjectName = "App.csproj",
        Configuration = "Release",
        TargetFramework = "net10.0",
        KeyFile = keyFile,
        DigestCacheFile = _temp.Combine("obj", "buildsigning", "build.digests"),
    };

    private static VerificationKey PublicKeyOf(string keyFile)
    {
        using var key = TestKeys.Load(keyFile);
        return key.PublicKey;
    }

    [Fact]
    public void Signs_the_directory_with_the_configured_key_without_warnings()
    {
        CreateOutput();
        string keyFile = WriteKey();
        var task = NewTask(keyFile);

        bool ok = task.Execute();

        Assert.True(ok, _engine.Log);
        Assert.Empty(_engine.Errors);
        Assert.Empty(_engine.Warnings);
        var report = OutputVerifier.Verify(Root, [PublicKeyOf(keyFile)]);
        Assert.True(report.Succeeded);
        Assert.Equal(3, report.FilesChecked);
        Assert.Equal("build", (string?)report.Predicate["kind"]);
        Assert.Equal("App.csproj", (string?)report.Predicate["project"]);
        Assert.Equal("net10.0", (string?)report.Predicate["targetFramework"]);
        Assert.Contains(_engine.Messages, m => m.Importance == MessageImportance.Normal
            && m.Message!.Contains("signed 3 files", StringComparison.Ordinal) && m.Message.Contains(PublicKeyOf(keyFile).Id.Hex, StringComparison.Ordinal));
    }

    [Fact]
    public void A_canceled_task_fails_without_writing_a_signature()
    {
        CreateOutput();
        var task = NewTask(WriteKey());
        ((ICancelableTask)task).Cancel();

        Assert.False(task.Execute());
        Assert.Empty(_engine.Errors);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("canceled", StringComparison.Ordinal));
        Assert.False(File.Exists(Bundle));
    }

    [Fact]
    public void WrittenFiles_lists_the_bundle_and_the_manifest()
    {
        CreateOutput();
        var task = NewTask(WriteKey());

        Assert.True(task.Execute(), _engine.Log);

        Assert.Equal([Bundle, Manifest], task.WrittenFiles.Select(i => i.ItemSpec));
        Assert.All(task.WrittenFiles, i => Assert.True(File.Exists(i.ItemSpec)));
    }

    [Fact]
    public void WrittenFiles_lists_every_part_bundle_for_large_outputs()
    {
        for (int i = 0; i < 1100; i++) _temp.WriteFile($"bin/Release/net10.0/f{i}.txt", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var task = NewTask(WriteKey());

        Assert.True(task.Execute(), _engine.Log);

        Assert.Equal(
            [Path.Combine(Root, ".buildsigning", "files.1.sigstore.json"), Path.Combine(Root, ".buildsigning", "files.2.sigstore.json"), Manifest],
            task.WrittenFiles.Select(i => i.ItemSpec));
    }

    [Fact]
    public void Second_run_rewrites_nothing_still_reports_its_files_and_loads_the_key_once()
    {
        CreateOutput();
        string keyFile = WriteKey();
        Assert.True(NewTask(keyFile).Execute(), _engine.Log);
        byte[] bundle = File.ReadAllBytes(Bundle);
        var stamp = File.GetLastWriteTimeUtc(Bundle);
        _engine.Messages.Clear();

        var second = NewTask(keyFile);
        Assert.True(second.Execute(), _engine.Log);

        Assert.Equal(bundle, File.ReadAllBytes(Bundle));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Bundle));
        Assert.Equal([Bundle, Manifest], second.WrittenFiles.Select(i => i.ItemSpec));
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("unchanged", StringComparison.Ordinal) && m.Message.Contains("0 read", StringComparison.Ordinal));
        Assert.Equal(1, _engine.RegisterCount);
        Assert.IsType<SigningKey>(Assert.Single(_engine.RegisteredObjects));
    }

    [Fact]
    public void A_replaced_key_file_is_loaded_again()
    {
        CreateOutput();
        string keyFile = WriteKey(TestKeyKind.EcdsaP256);
        Assert.True(NewTask(keyFile).Execute(), _engine.Log);

        using (var other = TestKeys.CreateOtherP256()) TestKeys.WritePrivateKeyPem(keyFile, other);
        File.SetLastWriteTimeUtc(keyFile, DateTime.UtcNow.AddMinutes(1));
        Assert.True(NewTask(keyFile).Execute(), _engine.Log);

        Assert.True(OutputVerifier.Verify(Root, [PublicKeyOf(keyFile)]).Succeeded);
    }

    [Fact]
    public void Works_without_an_IBuildEngine4()
    {
        CreateOutput();
        string keyFile = WriteKey();
        var task = NewTask(keyFile);
        task.BuildEngine = new PlainEngine(_engine);

        Assert.True(task.Execute(), _engine.Log);
        Assert.True(OutputVerifier.Verify(Root, [PublicKeyOf(keyFile)]).Succeeded);
    }

    [Fact]
    public void Excluded_directories_from_items_are_not_signed()
    {
        CreateOutput();
        _temp.WriteFile("bin/Release/net10.0/publish/App.dll", "published");
        var task = NewTask(WriteKey());
        task.ExcludedDirectories = [new TaskItem(Path.Combine(Root, "publish") + "/")];

        Assert.True(task.Execute(), _engine.Log);

        string manifest = File.ReadAllText(Manifest);
        Assert.DoesNotContain("publish/", manifest);
        Assert.Contains("de/App.resources.dll", manifest);
    }

    [Fact]
    public void Missing_key_file_logs_BS1001_and_fails()
    {
        CreateOutput();
        string missing = _temp.Combine("keys", "missing.pem");
        var task = NewTask(missing);

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS1001", error.Code);
        Assert.Contains(missing, error.Message);
        Assert.False(File.Exists(Bundle));
        Assert.Empty(task.WrittenFiles);
    }

    [Fact]
    public void Missing_directory_logs_BS2002_and_fails()
    {
        var task = NewTask(WriteKey());

        Assert.False(task.Execute());

        Assert.Equal("BS2002", Assert.Single(_engine.Errors).Code);
        Assert.False(Directory.Exists(Root));
    }

    [Fact]
    public void Unsupported_key_logs_BS1006()
    {
        CreateOutput();
        Assert.False(NewTask(WriteKey(TestKeyKind.Rsa1024)).Execute());
        Assert.Equal(["BS1006"], _engine.ErrorCodes);
    }

    [Fact]
    public void Certificate_for_another_key_logs_BS1009()
    {
        CreateOutput();
        using var other = TestKeys.CreateOtherP256();
        using var certificate = TestKeys.CreateSelfSignedCertificate(other);
        var task = NewTask(WriteKey());
        task.CertificateFile = TestKeys.WriteCertificatePem(_temp.Combine("keys", "cert.pem"), certificate);

        Assert.False(task.Execute());

        Assert.Equal(["BS1009"], _engine.ErrorCodes);
    }

    [Fact]
    public void Every_entry_that_cannot_be_signed_is_logged_as_BS2020()
    {
        CreateOutput();
        File.CreateSymbolicLink(Path.Combine(Root, "dangling1.dll"), _temp.Combine("nowhere1"));
        File.CreateSymbolicLink(Path.Combine(Root, "dangling2.dll"), _temp.Combine("nowhere2"));

        Assert.False(NewTask(WriteKey()).Execute());

        Assert.Equal(["BS2020", "BS2020"], _engine.ErrorCodes);
        Assert.Contains(_engine.Errors, e => e.Message!.Contains("dangling1.dll", StringComparison.Ordinal));
        Assert.Contains(_engine.Errors, e => e.Message!.Contains("dangling2.dll", StringComparison.Ordinal));
    }

    [Fact]
    public void Braces_in_the_directory_name_are_logged_verbatim()
    {
        _temp.WriteFile("out {0} {x}/a.txt", "a");
        var task = NewTask(WriteKey());
        task.Directory = _temp.Combine("out {0} {x}");

        Assert.True(task.Execute(), _engine.Log);

        Assert.Contains(_engine.Messages, m => m.Message!.Contains("out {0} {x}", StringComparison.Ordinal));
    }

    /// <summary>Forwards logging only: the task must cope with engines that cannot cache objects.</summary>
    private sealed class PlainEngine(IBuildEngine inner) : IBuildEngine
    {
        public void LogErrorEvent(BuildErrorEventArgs e) => inner.LogErrorEvent(e);
        public void LogWarningEvent(BuildWarningEventArgs e) => inner.LogWarningEvent(e);
        public void LogMessageEvent(BuildMessageEventArgs e) => inner.LogMessageEvent(e);
        public void LogCustomEvent(CustomBuildEventArgs e) => inner.LogCustomEvent(e);
        public bool BuildProjectFile(string projectFileName, string[] targetNames, System.Collections.IDictionary globalProperties, System.Collections.IDictionary targetOutputs) => false;
        public bool ContinueOnError => false;
        public int LineNumberOfTaskNode => 0;
        public int ColumnNumberOfTaskNode => 0;
        public string ProjectFileOfTaskNode => "";
    }
}

/// <summary>Task runs that depend on environment variables (development key home, key passwords).</summary>
[Collection(EnvironmentCollection.Name)]
public sealed class SignOutputDirectoryEnvironmentTests : IDisposable
{
    private const string CorrectPassword = "Tr0ub4dor&3-correct-password-value";
    private const string WrongPassword = "hunter2-wrong-password-value";

    private readonly TempDirectory _temp = new("bs-task-env");
    private readonly MockBuildEngine _engine = new();
    private readonly string _passwordVariable = "BS_TEST_PW_" + Guid.NewGuid().ToString("N");

    public void Dispose()
    {
        _engine.EndBuild();
        Environment.SetEnvironmentVariable(_passwordVariable, null);
        _temp.Dispose();
    }

    private string Root => _temp.Combine("out");
    private string Bundle => Path.Combine(Root, ".buildsigning", "files.sigstore.json");

    private SignOutputDirectory NewTask() => new()
    {
        BuildEngine = _engine,
        Directory = Root,
        Kind = "publish",
        ProjectName = "App.csproj",
    };

    private void CreateOutput() => _temp.WriteFile("out/App.dll", "IL");

    [Fact]
    public void Without_a_key_the_development_key_signs_and_BS1011_is_logged()
    {
        CreateOutput();
        string home = _temp.Combine("home");
        using var scope = new EnvironmentVariableScope(DevelopmentKey.HomeVariable, home);
        var task = NewTask();

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal("BS1011", warning.Code);
        Assert.Contains(DevelopmentKey.PublicKeyPath(home), warning.Message);
        var devPublic = VerificationKey.FromFile(DevelopmentKey.PublicKeyPath(home));
        Assert.Contains(devPublic.Id.Hex, warning.Message);
        Assert.Equal(UnixFile.OwnerReadWrite, UnixFile.GetMode(DevelopmentKey.PrivateKeyPath(home)));
        Assert.True(OutputVerifier.Verify(Root, [devPublic]).Succeeded);
    }

    [Fact]
    public void RequireSigningKey_without_a_key_logs_BS1010_and_fails_without_creating_a_development_key()
    {
        CreateOutput();
        string home = _temp.Combine("home");
        using var scope = new EnvironmentVariableScope(DevelopmentKey.HomeVariable, home);
        var task = NewTask();
        task.RequireSigningKey = true;
        task.RequireSigningKeyReason = "a CI build (ContinuousIntegrationBuild=true)";

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS1010", error.Code);
        Assert.Contains("a CI build (ContinuousIntegrationBuild=true)", error.Message);
        Assert.Empty(_engine.Warnings);
        Assert.False(File.Exists(Bundle));
        Assert.False(Directory.Exists(home));
    }

    [Fact]
    public void Encrypted_key_with_the_password_in_the_environment_signs_and_never_logs_it()
    {
        CreateOutput();
        string keyFile = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256, CorrectPassword);
        Environment.SetEnvironmentVariable(_passwordVariable, CorrectPassword);
        var task = NewTask();
        task.KeyFile = keyFile;
        task.KeyPasswordVariable = _passwordVariable;

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Warnings);
        Assert.DoesNotContain(CorrectPassword, _engine.Log);
        Assert.DoesNotContain(_engine.RegisteredKeys, k => k.ToString()!.Contains(CorrectPassword, StringComparison.Ordinal));
        Assert.DoesNotContain(CorrectPassword, File.ReadAllText(Bundle));
    }

    [Fact]
    public void With_every_environment_variable_logged_in_binlogs_a_password_variable_gets_BS1020_once_per_build()
    {
        CreateOutput();
        string keyFile = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256, CorrectPassword);
        Environment.SetEnvironmentVariable(_passwordVariable, CorrectPassword);
        using var logAll = new EnvironmentVariableScope("MSBUILDLOGALLENVIRONMENTVARIABLES", "1");

        foreach (string directory in new[] { "out-app", "out-lib" })
        {
            _temp.WriteFile(Path.Combine(directory, "App.dll"), "IL");
            var task = NewTask();
            task.Directory = _temp.Combine(directory);
            task.KeyFile = keyFile;
            task.KeyPasswordVariable = _passwordVariable;
            Assert.True(task.Execute(), _engine.Log);
        }

        var warning = Assert.Single(_engine.Warnings);
        Assert.Equal("BS1020", warning.Code);
        Assert.Contains(_passwordVariable, warning.Message);
        Assert.Contains("MSBUILDLOGALLENVIRONMENTVARIABLES", warning.Message);
        Assert.DoesNotContain(CorrectPassword, _engine.Log);
    }

    [Fact]
    public void Without_a_password_variable_logging_every_environment_variable_gets_no_warning()
    {
        CreateOutput();
        using var logAll = new EnvironmentVariableScope("MSBUILDLOGALLENVIRONMENTVARIABLES", "1");
        var task = NewTask();
        task.KeyFile = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256);

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Warnings);
    }

    [Fact]
    public void Wrong_password_logs_BS1003_naming_the_variable_but_never_the_password()
    {
        CreateOutput();
        string keyFile = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256, CorrectPassword);
        Environment.SetEnvironmentVariable(_passwordVariable, WrongPassword);
        var task = NewTask();
        task.KeyFile = keyFile;
        task.KeyPasswordVariable = _passwordVariable;

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS1003", error.Code);
        Assert.Contains(_passwordVariable, error.Message);
        Assert.DoesNotContain(WrongPassword, _engine.Log);
        Assert.DoesNotContain(CorrectPassword, _engine.Log);
        Assert.DoesNotContain("hunter2", _engine.Log);
    }

    [Fact]
    public void Wrong_pfx_password_logs_BS1003_but_never_the_password()
    {
        CreateOutput();
        string keyFile = TestKeys.WritePfx(_temp.Combine("k.pfx"), TestKeyKind.EcdsaP256, CorrectPassword);
        Environment.SetEnvironmentVariable(_passwordVariable, WrongPassword);
        var task = NewTask();
        task.KeyFile = keyFile;
        task.KeyPasswordVariable = _passwordVariable;

        Assert.False(task.Execute());

        Assert.Equal(["BS1003"], _engine.ErrorCodes);
        Assert.DoesNotContain(WrongPassword, _engine.Log);
        Assert.DoesNotContain(CorrectPassword, _engine.Log);
    }

    [Fact]
    public void Password_variable_not_set_logs_BS1004()
    {
        CreateOutput();
        string keyFile = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256, CorrectPassword);
        var task = NewTask();
        task.KeyFile = keyFile;
        task.KeyPasswordVariable = _passwordVariable;

        Assert.False(task.Execute());

        Assert.Equal(["BS1004"], _engine.ErrorCodes);
        Assert.Contains(_passwordVariable, _engine.Errors[0].Message);
    }

    [Fact]
    public void Encrypted_key_without_a_password_variable_logs_BS1005()
    {
        CreateOutput();
        var task = NewTask();
        task.KeyFile = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256, CorrectPassword);

        Assert.False(task.Execute());

        Assert.Equal(["BS1005"], _engine.ErrorCodes);
    }
}
