using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Provenance;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Provenance;

/// <summary>Real repositories made with git; GitSource must read the same commit from the files that `git rev-parse` reports.</summary>
public sealed class GitSourceTests
{
    private static string Git(string directory, params string[] arguments)
    {
        var result = ProcessRunner.Run("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main",
            "-c", "commit.gpgsign=false", .. arguments], workingDirectory: directory, timeout: TimeSpan.FromMinutes(1));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StandardOutput.Trim();
    }

    private static TempDirectory Repository(string remote = "https://user:s3cret@github.com/octo/app.git")
    {
        var dir = new TempDirectory("bs-git");
        Git(dir.Path, "init", "-q");
        dir.WriteFile("src/App/App.csproj", "<Project />");
        Git(dir.Path, "add", ".");
        Git(dir.Path, "commit", "-q", "-m", "first");
        Git(dir.Path, "remote", "add", "origin", remote);
        return dir;
    }

    [Fact]
    public void ReadsTheBranchCommit_AndTheOriginWithoutCredentials()
    {
        using var repo = Repository();
        var warnings = new List<Diagnostic>();
        var source = GitSource.Resolve(repo.Combine("src", "App"), null, null, warnings);
        Assert.Empty(warnings);
        Assert.NotNull(source);
        Assert.Equal(Git(repo.Path, "rev-parse", "HEAD"), source.Commit);
        Assert.Equal("refs/heads/main", source.Ref);
        Assert.Equal("https://github.com/octo/app.git", source.RepositoryUrl);
        Assert.Equal("git+https://github.com/octo/app.git@refs/heads/main", source.Uri);
        Assert.Equal(Path.GetFullPath(repo.Path), source.WorkingDirectory);
    }

    [Fact]
    public void ReadsPackedRefs()
    {
        using var repo = Repository();
        Git(repo.Path, "pack-refs", "--all");
        Assert.False(File.Exists(repo.Combine(".git", "refs", "heads", "main")));
        var source = GitSource.Resolve(repo.Path, null, null, new List<Diagnostic>());
        Assert.Equal(Git(repo.Path, "rev-parse", "HEAD"), source!.Commit);
    }

    [Fact]
    public void ReadsADetachedHead()
    {
        using var repo = Repository();
        string first = Git(repo.Path, "rev-parse", "HEAD");
        repo.WriteFile("b.txt", "b");
        Git(repo.Path, "add", ".");
        Git(repo.Path, "commit", "-q", "-m", "second");
        Git(repo.Path, "checkout", "-q", "--detach", first);
        var source = GitSource.Resolve(repo.Path, null, null, new List<Diagnostic>());
        Assert.Equal(first, source!.Commit);
        Assert.Null(source.Ref);
        Assert.Equal("git+https://github.com/octo/app.git", source.Uri);
    }

    [Fact]
    public void FollowsAWorktree()
    {
        using var repo = Repository();
        using var other = new TempDirectory("bs-worktree");
        string worktree = Path.Combine(other.Path, "wt");
        Git(repo.Path, "worktree", "add", "-q", "-b", "feature", worktree);
        File.WriteAllText(Path.Combine(worktree, "c.txt"), "c");
        Git(worktree, "add", ".");
        Git(worktree, "commit", "-q", "-m", "feature");
        var source = GitSource.Resolve(worktree, null, null, new List<Diagnostic>());
        Assert.Equal(Git(worktree, "rev-parse", "HEAD"), source!.Commit);
        Assert.Equal("refs/heads/feature", source.Ref);
        Assert.Equal("https://github.com/octo/app.git", source.RepositoryUrl);
    }

    [Fact]
    public void ExplicitInputs_Win()
    {
        using var repo = Repository();
        string commit = new('a', 40);
        var source = GitSource.Resolve(repo.Path, "https://token@example.com/other.git", commit.ToUpperInvariant(), new List<Diagnostic>());
        Assert.Equal(commit, source!.Commit);
        Assert.Equal("https://example.com/other.git", source.RepositoryUrl);
        Assert.Null(source.Ref); // the checked-out branch is not this commit
    }

    [Fact]
    public void ExplicitInputs_WorkWithoutARepository()
    {
        using var dir = new TempDirectory();
        var warnings = new List<Diagnostic>();
        var source = GitSource.Resolve(dir.Path, "https://example.com/x", new string('b', 64), warnings);
        Assert.Equal(new string('b', 64), source!.Commit);
        Assert.Empty(warnings);
        Assert.Null(GitSource.Resolve(dir.Path, null, null, warnings));
        Assert.Empty(warnings);
    }

    [Fact]
    public void SourceRevisionWithSuffix_KeepsTheHash()
    {
        string commit = new('c', 40);
        var source = GitSource.Resolve(null, null, commit + "+dirty", new List<Diagnostic>());
        Assert.Equal(commit, source!.Commit);
    }

    [Fact]
    public void InvalidSourceRevision_IsBS5009()
    {
        var warnings = new List<Diagnostic>();
        Assert.Null(GitSource.Resolve(null, null, "v1.2.3", warnings));
        Assert.Equal("BS5009", Assert.Single(warnings).Code);
    }

    [Fact]
    public void RepositoryWithoutCommits_IsBS5010()
    {
        using var dir = new TempDirectory("bs-git");
        Git(dir.Path, "init", "-q");
        var warnings = new List<Diagnostic>();
        Assert.Null(GitSource.Resolve(dir.Path, null, null, warnings));
        var warning = Assert.Single(warnings);
        Assert.Equal("BS5010", warning.Code);
        Assert.Contains("refs/heads/main", warning.Text);
    }

    [Fact]
    public void BrokenHead_IsBS5010()
    {
        using var repo = Repository();
        File.WriteAllText(repo.Combine(".git", "HEAD"), "garbage\n");
        var warnings = new List<Diagnostic>();
        Assert.Null(GitSource.Resolve(repo.Path, null, null, warnings));
        Assert.Equal("BS5010", Assert.Single(warnings).Code);
    }

    [Theory]
    [InlineData("https://user:token@github.com/o/r.git", "https://github.com/o/r.git")]
    [InlineData("https://ghp_abc@github.com/o/r", "https://github.com/o/r")]
    [InlineData("git@github.com:o/r.git", "ssh://git@github.com/o/r.git")]
    [InlineData("ssh://git:pw@host.example/o/r.git", "ssh://git@host.example/o/r.git")]
    [InlineData("/srv/git/r.git", "file:///srv/git/r.git")]
    [InlineData("../sibling.git", "../sibling.git")]
    public void NormalizeUrl_RemovesCredentials(string url, string expected) => Assert.Equal(expected, GitSource.NormalizeUrl(url));

    [Fact]
    public void ARelativeRemote_GivesNoUri()
    {
        Assert.Null(new SourceRevision("../sibling.git", new string('a', 40), "refs/heads/main", null).Uri);
        Assert.Equal("git+file:///srv/r.git", new SourceRevision("file:///srv/r.git", new string('a', 40), null, null).Uri);
    }
}
