using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Keys;

public sealed class SigningKeyResolverTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-resolve");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void RequireSigningKey_without_a_key_is_BS1010_and_names_the_reason()
    {
        var configuration = new KeyConfiguration(null, null, null, RequireSigningKey: true, "a CI build (ContinuousIntegrationBuild=true)",
            DevelopmentKeyDirectory: _temp.Combine("dev"));

        var e = Assert.Throws<BuildSigningException>(() => SigningKeyResolver.Resolve(configuration, _ => null));

        Assert.Equal("BS1010", e.Code);
        Assert.Contains("a CI build (ContinuousIntegrationBuild=true)", e.Message);
        Assert.False(Directory.Exists(_temp.Combine("dev")), "the development key must not be created when a real key is required");
    }

    [Fact]
    public void RequireSigningKey_with_whitespace_key_file_is_BS1010()
    {
        var configuration = new KeyConfiguration("  ", null, null, RequireSigningKey: true, DevelopmentKeyDirectory: _temp.Combine("dev"));
        var e = Assert.Throws<BuildSigningException>(() => SigningKeyResolver.Resolve(configuration, _ => null));
        Assert.Equal("BS1010", e.Code);
        Assert.Contains("BuildSigningRequireSigningKey=true", e.Message);
    }

    [Fact]
    public void Configured_key_is_used_even_when_required()
    {
        string keyPath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256);
        var configuration = new KeyConfiguration(keyPath, "", "", RequireSigningKey: true, DevelopmentKeyDirectory: _temp.Combine("dev"));

        using var key = SigningKeyResolver.Resolve(configuration, _ => null);

        Assert.False(key.IsDevelopmentKey);
        using var expected = TestKeys.Load(keyPath);
        Assert.Equal(expected.Id, key.Id);
        Assert.False(Directory.Exists(_temp.Combine("dev")));
    }

    [Fact]
    public void RequireSigningKey_refuses_the_development_key_configured_as_key_file_even_copied_or_linked_with_BS1010()
    {
        string developmentDirectory = _temp.Combine("dev");
        DevelopmentKey.GetOrCreate(developmentDirectory).Dispose();
        string direct = DevelopmentKey.PrivateKeyPath(developmentDirectory);
        string copy = _temp.Combine("keys", "release.pem");
        Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
        File.Copy(direct, copy);
        string link = _temp.Combine("keys", "linked.pem");
        File.CreateSymbolicLink(link, direct);

        foreach (string keyFile in new[] { direct, copy, link })
        {
            var required = new KeyConfiguration(keyFile, null, null, RequireSigningKey: true, "a CI build (ContinuousIntegrationBuild=true)", developmentDirectory);
            var e = Assert.Throws<BuildSigningException>(() => SigningKeyResolver.Resolve(required, _ => null));
            Assert.Equal("BS1010", e.Code);
            Assert.Contains(keyFile, e.Message);
            Assert.Contains("development key", e.Message);

            using var allowed = SigningKeyResolver.Resolve(required with { RequireSigningKey = false }, _ => null);
        }
    }

    [Fact]
    public void RequireSigningKey_refuses_the_development_code_signing_key_as_key_file_with_BS1010()
    {
        string developmentDirectory = _temp.Combine("dev");
        DevelopmentCodeSigningCertificate.GetOrCreate(developmentDirectory).Dispose();
        var required = new KeyConfiguration(DevelopmentCodeSigningCertificate.PrivatePath(developmentDirectory), null, null,
            RequireSigningKey: true, DevelopmentKeyDirectory: developmentDirectory);

        Assert.Equal("BS1010", Assert.Throws<BuildSigningException>(() => SigningKeyResolver.Resolve(required, _ => null)).Code);
    }

    [Fact]
    public void Password_variable_is_looked_up_through_the_given_environment()
    {
        string keyPath = TestKeys.WriteEncryptedPrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256, "s3cret");
        var configuration = new KeyConfiguration(keyPath, "MY_PW", null, RequireSigningKey: false, DevelopmentKeyDirectory: _temp.Combine("dev"));

        using var key = SigningKeyResolver.Resolve(configuration, v => v == "MY_PW" ? "s3cret" : null);
        Assert.False(key.IsDevelopmentKey);

        var e = Assert.Throws<BuildSigningException>(() => SigningKeyResolver.Resolve(configuration, _ => null));
        Assert.Equal("BS1004", e.Code);
    }

    [Fact]
    public void Relative_key_file_is_resolved_against_the_current_directory()
    {
        string keyPath = TestKeys.WritePrivateKeyPem(_temp.Combine("k.pem"), TestKeyKind.EcdsaP256);
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, keyPath);

        using var key = SigningKeyResolver.Resolve(new KeyConfiguration(relative, null, null, false), _ => null);

        Assert.Equal(keyPath, key.Source);
    }

    [Fact]
    public void Missing_configured_key_is_BS1001_not_a_silent_development_key()
    {
        var configuration = new KeyConfiguration(_temp.Combine("missing.pem"), null, null, RequireSigningKey: false, DevelopmentKeyDirectory: _temp.Combine("dev"));
        var e = Assert.Throws<BuildSigningException>(() => SigningKeyResolver.Resolve(configuration, _ => null));
        Assert.Equal("BS1001", e.Code);
        Assert.False(Directory.Exists(_temp.Combine("dev")));
    }

    [Fact]
    public void Without_a_key_the_development_key_is_used_and_the_warning_is_BS1011()
    {
        string devDirectory = _temp.Combine("dev");
        var configuration = new KeyConfiguration(null, null, null, RequireSigningKey: false, DevelopmentKeyDirectory: devDirectory);

        using var key = SigningKeyResolver.Resolve(configuration, _ => null);
        var warning = SigningKeyResolver.DevelopmentKeyWarning("/out/dir", key);

        Assert.True(key.IsDevelopmentKey);
        Assert.Equal(DevelopmentKey.PrivateKeyPath(devDirectory), key.Source);
        Assert.Equal("BS1011", warning.Code);
        Assert.Contains("/out/dir", warning.Text);
        Assert.Contains(key.Id.Hex, warning.Text);
        Assert.Contains(DevelopmentKey.PublicKeyPath(devDirectory), warning.Text);
    }

    [Fact]
    public void Development_key_directory_defaults_to_BUILDSIGNING_HOME_from_the_given_environment()
    {
        string home = _temp.Combine("home");

        using var key = SigningKeyResolver.Resolve(new KeyConfiguration(null, null, null, false), v => v == DevelopmentKey.HomeVariable ? home : null);

        Assert.True(key.IsDevelopmentKey);
        Assert.True(File.Exists(DevelopmentKey.PrivateKeyPath(home)));
    }
}
