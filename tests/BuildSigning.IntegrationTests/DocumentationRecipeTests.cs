using System.Text.RegularExpressions;
using BuildSigning.TestSupport;
using Xunit.Abstractions;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Keeps the docs' recipes true: every ```bash block that README.md or a docs/ page marks with a preceding
/// <c>&lt;!-- runnable --&gt;</c> line runs, in document order, as one bash script with <c>set -euo pipefail</c>, in a
/// fresh folder and a fresh HOME whose <c>~/feeds/buildsigning</c> holds the packed packages, as a new user would run it.
/// </summary>
[Collection(PackagedPublishCollection.Name)]
public sealed class DocumentationRecipeTests(PackagedBuildSigning product, ITestOutputHelper output)
{
    private const string Marker = "<!-- runnable -->";
    private static readonly string Root = typeof(DocumentationRecipeTests).Assembly.GetCustomAttributes(typeof(RepositoryRootAttribute), false)
        .Cast<RepositoryRootAttribute>().Single().Path;

    public static TheoryData<string> DocumentsWithRecipes()
    {
        var data = new TheoryData<string>();
        foreach (string file in new[] { Path.Combine(Root, "README.md") }.Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories)).Order(StringComparer.Ordinal))
        {
            if (File.ReadAllText(file).Contains(Marker, StringComparison.Ordinal)) data.Add(Path.GetRelativePath(Root, file).Replace('\\', '/'));
        }
        return data;
    }

    [Fact]
    public void TheGettingStartedGuide_HasRunnableRecipes() =>
        Assert.True(RunnableBlocks(File.ReadAllText(Path.Combine(Root, "docs", "getting-started.md"))).Count >= 5);

    [Theory]
    [MemberData(nameof(DocumentsWithRecipes))]
    public void RunnableRecipes_RunAsWritten(string document)
    {
        var blocks = RunnableBlocks(File.ReadAllText(Path.Combine(Root, document)));
        Assert.NotEmpty(blocks);

        using var home = new TempDirectory("bsrecipe");
        string feed = Directory.CreateDirectory(home.Combine("feeds", "buildsigning")).FullName;
        foreach (string package in Directory.GetFiles(product.Feed, "*.nupkg")) File.Copy(package, Path.Combine(feed, Path.GetFileName(package)));
        // HOME moves, so NuGet's user-level configuration (the machine's default package source) moves with it.
        string userConfig = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "NuGet", "NuGet.Config");
        if (File.Exists(userConfig))
        {
            Directory.CreateDirectory(home.Combine(".nuget", "NuGet"));
            File.Copy(userConfig, home.Combine(".nuget", "NuGet", "NuGet.Config"));
        }
        string work = Directory.CreateDirectory(home.Combine("work")).FullName;
        string script = "set -euo pipefail\n" + string.Concat(blocks.Select((block, i) => $"echo '### {document}: runnable block {i + 1}'\n{block}\n"));
        File.WriteAllText(home.Combine("recipe.sh"), script);

        var environment = product.Environment(new Dictionary<string, string?>
        {
            ["HOME"] = home.Path,
            ["BUILDSIGNING_HOME"] = null,
            ["XDG_DATA_HOME"] = null,
            ["DOTNET_CLI_HOME"] = null,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        });
        var result = ProcessRunner.Run("bash", [home.Combine("recipe.sh")], work, environment, TimeSpan.FromMinutes(10));
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, $"A runnable recipe in {document} failed:\n{result}");
    }

    private static List<string> RunnableBlocks(string markdown)
    {
        var blocks = new List<string>();
        foreach (Match match in Regex.Matches(markdown.ReplaceLineEndings("\n"), @"^<!-- runnable -->\n```bash\n(.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline))
        {
            blocks.Add(match.Groups[1].Value);
        }
        return blocks;
    }
}
