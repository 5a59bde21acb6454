using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace BuildSigning.IntegrationTests;

/// <summary>Keeps docs/ true to the code: every coded message and every public property is documented as it is.</summary>
public sealed class DocumentationTests
{
    private static readonly string Root = typeof(DocumentationTests).Assembly.GetCustomAttributes(typeof(RepositoryRootAttribute), false)
        .Cast<RepositoryRootAttribute>().Single().Path;

    [Fact]
    public void ErrorsDocument_ListsEveryCodedMessage_WithItsCurrentText()
    {
        string expected = ExpectedErrorTable();
        string document = File.ReadAllText(Path.Combine(Root, "docs", "errors.md")).ReplaceLineEndings("\n");
        Assert.True(document.Contains(expected, StringComparison.Ordinal),
            $"docs/errors.md is out of date. Its table must read:\n\n{expected}");
    }

    [Fact]
    public void EveryCodedMessage_HasItsOwnNameAndCode()
    {
        var values = XDocument.Load(Path.Combine(Root, "src", "BuildSigning.Core", "Messages.resx")).Root!.Elements("data")
            .Select(d => (Name: d.Attribute("name")!.Value, Value: d.Element("value")!.Value)).ToArray();
        Assert.Empty(values.GroupBy(v => v.Name).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.All(values, v => Assert.Matches(@"^BS\d{4}: \S", v.Value));
        Assert.Empty(values.GroupBy(v => v.Value[..6]).Where(g => g.Count() > 1).Select(g => g.Key));
    }

    [Fact]
    public void PropertiesDocument_DescribesEveryPublicProperty()
    {
        var props = XDocument.Load(Path.Combine(Root, "build", "BuildSigning.props"));
        var names = props.Descendants().Where(e => e.Parent?.Name.LocalName == "PropertyGroup")
            .Select(e => e.Name.LocalName).Where(n => !n.StartsWith('_')).Distinct().ToArray();
        Assert.NotEmpty(names);
        string document = File.ReadAllText(Path.Combine(Root, "docs", "properties.md"));
        Assert.All(names, name => Assert.Contains($"| `{name}` |", document));
    }

    [Fact]
    public void SamplesConsumeTheVersionThisRepositoryPacks()
    {
        string Version(string file, string property) =>
            Regex.Match(File.ReadAllText(Path.Combine(Root, file)), $"<{property}[^>]*>([^<]+)</{property}>").Groups[1].Value;
        Assert.Equal(Version("Directory.Build.props", "VersionPrefix"), Version("samples/Directory.Build.props", "BuildSigningVersion"));
    }

    private static string ExpectedErrorTable()
    {
        var resx = XDocument.Load(Path.Combine(Root, "src", "BuildSigning.Core", "Messages.resx"));
        var rows = resx.Root!.Elements("data")
            .Select(d => d.Element("value")!.Value)
            .Select(v => (Code: v[..v.IndexOf(':')], Text: v[(v.IndexOf(':') + 2)..]))
            .OrderBy(r => r.Code, StringComparer.Ordinal);
        var table = new StringBuilder("| code | message |\n| --- | --- |\n");
        // Each code has an anchor: the help link of its MSBuild error (Diagnostic.HelpLink) points at it.
        foreach (var (code, text) in rows) table.Append($"| <a id=\"{code.ToLowerInvariant()}\"></a>{code} | {text.Replace("|", "\\|")} |\n");
        return table.ToString();
    }
}
