using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Core.Provenance;

/// <summary>Who ran the build: SLSA runDetails.builder.id, the CI platform's name, and the platform's id for this run.</summary>
public sealed record BuilderInfo(string Id, string Platform, string? InvocationId);

/// <summary>
/// Recognizes the CI platform from its environment variables (GitHub Actions, Azure Pipelines, GitLab CI, Jenkins;
/// anything else is a local build) and names the builder the way that platform's own provenance does where it has any.
/// </summary>
public static class BuilderIdentity
{
    public const string LocalBuilderId = "https://buildsigning.dev/builders/local";
    public const string GitHubActions = "github-actions";
    public const string AzurePipelines = "azure-pipelines";
    public const string GitLabCi = "gitlab-ci";
    public const string Jenkins = "jenkins";
    public const string Local = "local";

    /// <summary>
    /// The builder for this run: <paramref name="configuredId"/> (e.g. $(BuildSigningBuilderId)) when it is an absolute
    /// URI, else the detected one (BS5012 when a configured value is not a URI). For a local build the invocation id
    /// is a fresh urn:uuid, or none when SOURCE_DATE_EPOCH asks for reproducible output.
    /// </summary>
    public static BuilderInfo Resolve(string? configuredId, Func<string, string?> environment, out Diagnostic? warning)
    {
        warning = null;
        var detected = Detect(environment);
        if (detected.InvocationId is null && string.IsNullOrEmpty(environment(SourceDateEpoch.VariableName)))
        {
            detected = detected with { InvocationId = $"urn:uuid:{Guid.NewGuid()}" };
        }
        if (string.IsNullOrWhiteSpace(configuredId)) return detected;
        if (Uri.TryCreate(configuredId.Trim(), UriKind.Absolute, out _)) return detected with { Id = configuredId.Trim() };
        warning = Warnings.BuilderIdInvalid(configuredId, detected.Id);
        return detected;
    }

    /// <summary>The builder as the environment describes it; InvocationId is null for local builds.</summary>
    public static BuilderInfo Detect(Func<string, string?> environment)
    {
        string? Get(string name) => environment(name) is { Length: > 0 } value ? value.Trim() : null;

        if (string.Equals(Get("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase))
        {
            // As actions/attest-build-provenance: https://github.com/actions/runner/github-hosted or .../self-hosted.
            string runner = string.Equals(Get("RUNNER_ENVIRONMENT"), "self-hosted", StringComparison.OrdinalIgnoreCase) ? "self-hosted" : "github-hosted";
            string server = (Get("GITHUB_SERVER_URL") ?? "https://github.com").TrimEnd('/');
            string? invocation = Get("GITHUB_REPOSITORY") is { } repository && Get("GITHUB_RUN_ID") is { } runId
                ? $"{server}/{repository}/actions/runs/{runId}/attempts/{Get("GITHUB_RUN_ATTEMPT") ?? "1"}"
                : null;
            return new BuilderInfo($"https://github.com/actions/runner/{runner}", GitHubActions, invocation);
        }
        if (string.Equals(Get("TF_BUILD"), "true", StringComparison.OrdinalIgnoreCase))
        {
            // The organization (https://dev.azure.com/org/) is the build platform instance.
            string collection = Absolute(Get("SYSTEM_COLLECTIONURI")) ?? "https://dev.azure.com/";
            if (!collection.EndsWith('/')) collection += "/";
            string? invocation = Get("SYSTEM_TEAMPROJECT") is { } project && Get("BUILD_BUILDID") is { } buildId
                ? $"{collection}{Uri.EscapeDataString(project)}/_build/results?buildId={Uri.EscapeDataString(buildId)}"
                : null;
            return new BuilderInfo(collection, AzurePipelines, invocation);
        }
        if (string.Equals(Get("GITLAB_CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            // As GitLab's own artifact provenance: <server>/<project>/-/runners/<runner id>.
            string server = (Absolute(Get("CI_SERVER_URL")) ?? "https://gitlab.com").TrimEnd('/');
            string id = Get("CI_PROJECT_PATH") is { } path && Get("CI_RUNNER_ID") is { } runner
                ? $"{server}/{path}/-/runners/{runner}"
                : server;
            return new BuilderInfo(id, GitLabCi, Absolute(Get("CI_JOB_URL")));
        }
        if (Absolute(Get("JENKINS_URL")) is { } jenkins)
        {
            return new BuilderInfo(jenkins, Jenkins, Absolute(Get("BUILD_URL")));
        }
        return new BuilderInfo(LocalBuilderId, Local, null);
    }

    /// <summary>
    /// Why this is a CI build, or null for a local one: a platform <see cref="Detect"/> recognizes (the variable that
    /// said so), else the CI=true (or 1) that most other CI systems set. Decides BuildSigningRequireSigningKey's default.
    /// </summary>
    public static string? ContinuousIntegrationReason(Func<string, string?> environment)
    {
        string? variable = Detect(environment).Platform switch
        {
            GitHubActions => "GITHUB_ACTIONS=true",
            AzurePipelines => "TF_BUILD=true",
            GitLabCi => "GITLAB_CI=true",
            Jenkins => "JENKINS_URL",
            _ => environment("CI")?.Trim() is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1") ? "CI=" + ci : null,
        };
        return variable is null ? null : $"a CI build ({variable} in the environment)";
    }

    private static string? Absolute(string? text) => text is not null && Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri.AbsoluteUri : null;
}
