using System.Text.RegularExpressions;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Provenance;

/// <summary>Where the sources came from: repository URL (credentials removed), the commit, and the branch or tag when known.</summary>
public sealed record SourceRevision(string? RepositoryUrl, string Commit, string? Ref, string? WorkingDirectory)
{
    /// <summary>The SLSA/in-toto form of the location: "git+https://host/repo" plus "@refs/..." when the ref is known.</summary>
    public string? Uri => RepositoryUrl is null || !System.Uri.TryCreate(RepositoryUrl, UriKind.Absolute, out _) ? null
        : (RepositoryUrl.StartsWith("git+", StringComparison.OrdinalIgnoreCase) ? RepositoryUrl : "git+" + RepositoryUrl) + (Ref is null ? "" : "@" + Ref);
}

/// <summary>
/// Finds the source commit and repository without running git: explicit MSBuild inputs (SourceRevisionId,
/// RepositoryUrl, as SourceLink sets them) win; otherwise .git/HEAD, loose and packed refs, and the origin remote in
/// .git/config are read. Worktrees and submodules (a .git file with "gitdir:") are followed.
/// </summary>
public static partial class GitSource
{
    [GeneratedRegex("^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex CommitHash();

    [GeneratedRegex(@"^(?<user>[^@/\s]+@)?(?<host>[^:/\s]{2,}):(?!//)(?<path>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLikeUrl();

    public static bool IsCommitHash(string text) => CommitHash().IsMatch(text);

    /// <summary>
    /// The source revision for a build. <paramref name="sourceRevisionId"/> and <paramref name="repositoryUrl"/> are
    /// MSBuild's $(SourceRevisionId) and $(RepositoryUrl) (may be empty); <paramref name="startDirectory"/> is where to
    /// look for .git (the project directory). Null when no commit is known. Problems are added to <paramref name="warnings"/>.
    /// </summary>
    public static SourceRevision? Resolve(string? startDirectory, string? repositoryUrl, string? sourceRevisionId, ICollection<Diagnostic> warnings)
    {
        GitRepositoryState? discovered = null;
        if (!string.IsNullOrEmpty(startDirectory))
        {
            discovered = Discover(startDirectory, out var problem);
            if (problem is not null && string.IsNullOrWhiteSpace(sourceRevisionId)) warnings.Add(problem);
        }

        string? commit = null;
        if (!string.IsNullOrWhiteSpace(sourceRevisionId))
        {
            string value = sourceRevisionId.Trim();
            // Some tools append metadata ("<sha>+dirty", "<sha>-modified"); the hash is the first 40 or 64 characters.
            string candidate = value.Length > 64 && IsCommitHash(value[..64]) ? value[..64]
                : value.Length > 40 && IsCommitHash(value[..40]) && !char.IsAsciiHexDigit(value[40]) ? value[..40]
                : value;
            if (IsCommitHash(candidate)) commit = candidate.ToLowerInvariant();
            else warnings.Add(Warnings.SourceRevisionInvalid(value));
        }
        else
        {
            commit = discovered?.Commit;
        }
        if (commit is null) return null;

        string? url = !string.IsNullOrWhiteSpace(repositoryUrl) ? NormalizeUrl(repositoryUrl) : discovered?.RemoteUrl;
        // The branch is only meaningful when it is the commit we record.
        string? @ref = discovered is not null && discovered.Commit == commit ? discovered.Ref : null;
        return new SourceRevision(url, commit, @ref, discovered?.WorkingDirectory);
    }

    /// <summary>What a repository's files say about its checkout.</summary>
    public sealed record GitRepositoryState(string WorkingDirectory, string GitDirectory, string? Commit, string? Ref, string? RemoteUrl);

    /// <summary>Reads the repository that contains <paramref name="startDirectory"/>; null (and no problem) outside any repository.</summary>
    public static GitRepositoryState? Discover(string startDirectory, out Diagnostic? problem)
    {
        problem = null;
        string? workingDirectory = null;
        string? dotGit = null;
        for (var dir = new DirectoryInfo(Path.GetFullPath(startDirectory)); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, ".git");
            if (Directory.Exists(candidate) || File.Exists(candidate))
            {
                workingDirectory = dir.FullName;
                dotGit = candidate;
                break;
            }
        }
        if (dotGit is null || workingDirectory is null) return null;

        try
        {
            string gitDir = dotGit;
            if (File.Exists(dotGit))
            {
                string text = File.ReadAllText(dotGit).Trim();
                if (!text.StartsWith("gitdir:", StringComparison.Ordinal)) throw new InvalidDataException($"'{dotGit}' does not start with 'gitdir:'");
                gitDir = Path.GetFullPath(Path.Combine(workingDirectory, text["gitdir:".Length..].Trim()));
            }
            string commonDir = gitDir;
            string commonDirFile = Path.Combine(gitDir, "commondir");
            if (File.Exists(commonDirFile)) commonDir = Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(commonDirFile).Trim()));

            string head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
            string? commit = null, @ref = null;
            if (head.StartsWith("ref:", StringComparison.Ordinal))
            {
                @ref = head["ref:".Length..].Trim();
                if (Directory.Exists(Path.Combine(commonDir, "reftable")))
                {
                    throw new InvalidDataException("it uses the reftable ref format, which BuildSigning does not read");
                }
                commit = ResolveRef(gitDir, commonDir, @ref, depth: 0)
                    ?? throw new InvalidDataException($"HEAD points at '{@ref}', which has no commit yet");
            }
            else if (IsCommitHash(head))
            {
                commit = head;
            }
            else
            {
                throw new InvalidDataException("HEAD holds neither a ref nor a commit hash");
            }
            return new GitRepositoryState(workingDirectory, gitDir, commit.ToLowerInvariant(), @ref, ReadRemoteUrl(commonDir));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException)
        {
            problem = Warnings.GitRepositoryUnreadable(workingDirectory, e.Message);
            return null;
        }
    }

    private static string? ResolveRef(string gitDir, string commonDir, string refName, int depth)
    {
        if (depth > 5 || refName.Contains("..", StringComparison.Ordinal)) return null;
        foreach (string dir in new[] { gitDir, commonDir }.Distinct())
        {
            string loose = Path.Combine(dir, refName.Replace('/', Path.DirectorySeparatorChar));
            if (!File.Exists(loose)) continue;
            string value = File.ReadAllText(loose).Trim();
            if (value.StartsWith("ref:", StringComparison.Ordinal)) return ResolveRef(gitDir, commonDir, value["ref:".Length..].Trim(), depth + 1);
            if (IsCommitHash(value)) return value;
        }
        string packed = Path.Combine(commonDir, "packed-refs");
        if (File.Exists(packed))
        {
            foreach (string line in File.ReadLines(packed))
            {
                if (line.Length == 0 || line[0] is '#' or '^') continue;
                int space = line.IndexOf(' ');
                if (space > 0 && line[(space + 1)..].Trim() == refName && IsCommitHash(line[..space])) return line[..space];
            }
        }
        return null;
    }

    /// <summary>The url of remote "origin" (or else of the first remote by name) in .git/config.</summary>
    private static string? ReadRemoteUrl(string commonDir)
    {
        string config = Path.Combine(commonDir, "config");
        if (!File.Exists(config)) return null;
        var remotes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string? section = null;
        foreach (string raw in File.ReadLines(config))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[')
            {
                // [remote "origin"]
                var match = Regex.Match(line, "^\\[\\s*remote\\s+\"(?<name>[^\"]*)\"\\s*\\]$");
                section = match.Success ? match.Groups["name"].Value : null;
                continue;
            }
            if (section is null) continue;
            int equals = line.IndexOf('=');
            if (equals < 0 || !line[..equals].Trim().Equals("url", StringComparison.OrdinalIgnoreCase)) continue;
            string value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"') value = value[1..^1];
            remotes.TryAdd(section, value);
        }
        string? url = remotes.GetValueOrDefault("origin") ?? remotes.Values.FirstOrDefault();
        return url is null ? null : NormalizeUrl(url);
    }

    /// <summary>
    /// Removes credentials (https://user:token@host becomes https://host) and turns scp-like addresses
    /// (git@host:org/repo.git) into ssh:// URLs, and absolute local paths into file:// URLs.
    /// </summary>
    public static string NormalizeUrl(string url)
    {
        url = url.Trim();
        if (Path.IsPathFullyQualified(url)) return new Uri(url).AbsoluteUri;
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && !uri.IsFile && !string.IsNullOrEmpty(uri.Host))
        {
            var builder = new UriBuilder(uri) { Password = "" };
            // An https user name is often a token; an ssh user name ("git") is not a secret.
            if (uri.Scheme is "http" or "https" or "git+https" or "git+http") builder.UserName = "";
            return builder.Uri.AbsoluteUri;
        }
        var scp = ScpLikeUrl().Match(url);
        if (scp.Success && !Path.IsPathRooted(url))
        {
            return $"ssh://{scp.Groups["user"].Value}{scp.Groups["host"].Value}/{scp.Groups["path"].Value.TrimStart('/')}";
        }
        return url;
    }
}
