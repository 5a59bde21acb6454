using BuildSigning.Core.Provenance;

namespace BuildSigning.Core.Tests.Provenance;

public sealed class BuilderIdentityTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void GitHubActions_HostedRunner()
    {
        var builder = BuilderIdentity.Detect(Env(("GITHUB_ACTIONS", "true"), ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "octo/app"), ("GITHUB_RUN_ID", "42"), ("GITHUB_RUN_ATTEMPT", "2"), ("RUNNER_ENVIRONMENT", "github-hosted")));
        Assert.Equal(new BuilderInfo("https://github.com/actions/runner/github-hosted", "github-actions",
            "https://github.com/octo/app/actions/runs/42/attempts/2"), builder);
    }

    [Fact]
    public void GitHubActions_SelfHostedRunner()
    {
        var builder = BuilderIdentity.Detect(Env(("GITHUB_ACTIONS", "true"), ("RUNNER_ENVIRONMENT", "self-hosted")));
        Assert.Equal("https://github.com/actions/runner/self-hosted", builder.Id);
        Assert.Null(builder.InvocationId);
    }

    [Fact]
    public void AzurePipelines()
    {
        var builder = BuilderIdentity.Detect(Env(("TF_BUILD", "True"), ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/contoso/"),
            ("SYSTEM_TEAMPROJECT", "My Project"), ("BUILD_BUILDID", "1234")));
        Assert.Equal(new BuilderInfo("https://dev.azure.com/contoso/", "azure-pipelines",
            "https://dev.azure.com/contoso/My%20Project/_build/results?buildId=1234"), builder);
    }

    [Fact]
    public void GitLabCi()
    {
        var builder = BuilderIdentity.Detect(Env(("GITLAB_CI", "true"), ("CI_SERVER_URL", "https://gitlab.example.com"),
            ("CI_PROJECT_PATH", "group/app"), ("CI_RUNNER_ID", "7"), ("CI_JOB_URL", "https://gitlab.example.com/group/app/-/jobs/99")));
        Assert.Equal(new BuilderInfo("https://gitlab.example.com/group/app/-/runners/7", "gitlab-ci",
            "https://gitlab.example.com/group/app/-/jobs/99"), builder);
    }

    [Fact]
    public void Jenkins()
    {
        var builder = BuilderIdentity.Detect(Env(("JENKINS_URL", "https://ci.example.com/"), ("BUILD_URL", "https://ci.example.com/job/app/5/")));
        Assert.Equal(new BuilderInfo("https://ci.example.com/", "jenkins", "https://ci.example.com/job/app/5/"), builder);
    }

    [Fact]
    public void Local()
    {
        Assert.Equal(new BuilderInfo(BuilderIdentity.LocalBuilderId, "local", null), BuilderIdentity.Detect(Env()));
        // GITHUB_ACTIONS must say true; a stray variable is not a CI.
        Assert.Equal("local", BuilderIdentity.Detect(Env(("GITHUB_ACTIONS", "false"), ("JENKINS_URL", "not a url"))).Platform);
    }

    [Fact]
    public void Resolve_UsesAConfiguredUri()
    {
        var builder = BuilderIdentity.Resolve("https://builders.example.com/linux", Env(("GITHUB_ACTIONS", "true")), out var warning);
        Assert.Null(warning);
        Assert.Equal("https://builders.example.com/linux", builder.Id);
        Assert.Equal("github-actions", builder.Platform);
    }

    [Fact]
    public void Resolve_RejectsAConfiguredNonUri_WithBS5012()
    {
        var builder = BuilderIdentity.Resolve("my laptop", Env(), out var warning);
        Assert.Equal("BS5012", warning!.Code);
        Assert.Equal(BuilderIdentity.LocalBuilderId, builder.Id);
    }

    [Fact]
    public void Resolve_LocalBuild_GetsAFreshInvocationId_UnlessReproducible()
    {
        var a = BuilderIdentity.Resolve(null, Env(), out _);
        var b = BuilderIdentity.Resolve(null, Env(), out _);
        Assert.StartsWith("urn:uuid:", a.InvocationId);
        Assert.NotEqual(a.InvocationId, b.InvocationId);
        Assert.Null(BuilderIdentity.Resolve(null, Env(("SOURCE_DATE_EPOCH", "1700000000")), out _).InvocationId);
    }

    [Theory]
    [InlineData("GITHUB_ACTIONS", "true", "GITHUB_ACTIONS=true")]
    [InlineData("TF_BUILD", "True", "TF_BUILD=true")]
    [InlineData("GITLAB_CI", "true", "GITLAB_CI=true")]
    [InlineData("JENKINS_URL", "https://jenkins.example.com/", "JENKINS_URL")]
    [InlineData("CI", "true", "CI=true")]
    [InlineData("CI", "1", "CI=1")]
    public void ContinuousIntegration_IsRecognizedFromTheSameVariablesAsTheBuilder(string name, string value, string named)
    {
        string? reason = BuilderIdentity.ContinuousIntegrationReason(Env((name, value)));
        Assert.NotNull(reason);
        Assert.Contains(named, reason);
    }

    [Theory]
    [InlineData("CI", "false")]
    [InlineData("CI", "")]
    [InlineData("GITHUB_ACTIONS", "false")]
    [InlineData("JENKINS_URL", "not a url")]
    [InlineData("HOME", "/root")]
    public void LocalBuilds_AreNotContinuousIntegration(string name, string value) =>
        Assert.Null(BuilderIdentity.ContinuousIntegrationReason(Env((name, value))));
}
