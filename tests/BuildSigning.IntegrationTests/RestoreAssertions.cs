using System.Text.RegularExpressions;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>The consumer projects and log checks the restore-verification tests (restore, init and trust commands) share.</summary>
internal static class RestoreAssertions
{
    /// <summary>
    /// Writes src/&lt;name&gt;/&lt;name&gt;.csproj of a repository whose Directory.Build.props brings BuildSigning in: a library
    /// referencing <paramref name="packages"/>, plus any extra items.
    /// </summary>
    public static string WriteRepositoryProject(string repository, string name, IEnumerable<(string Id, string Version)> packages, string items = "")
    {
        string directory = Directory.CreateDirectory(Path.Combine(repository, "src", name)).FullName;
        File.WriteAllText(Path.Combine(directory, "Class1.cs"), $"namespace {name} {{ public static class Class1 {{ public static int One() => 1; }} }}\n");
        string references = string.Concat(packages.Select(p => $"""    <PackageReference Include="{p.Id}" Version="{p.Version}" />""" + "\n"));
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
            {references}  </ItemGroup>
              <ItemGroup>
                {items}
              </ItemGroup>
            </Project>
            """);
        return directory;
    }

    /// <summary>Succeeded, with no BuildSigning error, and the summary line says every package was allowed (of that assets file, when given).</summary>
    public static void AssertVerifiedAndAllowed(ProcessResult result, int packages, string? assetsFile = null)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("error BS", result.Output);
        string of = assetsFile is null ? @"\S+" : Regex.Escape(assetsFile);
        Assert.Matches($@"BuildSigning: verified {packages} packages of {of} against the trust policy \([^)]*\): {packages} allowed, 0 rejected, 0 audit warnings", result.Output);
    }

    /// <summary>Each distinct "error BSnnnn: …" line of the output.</summary>
    public static List<string> ErrorLines(ProcessResult result) =>
        Regex.Matches(result.Output, @"error BS\d{4}: [^\r\n]*").Select(m => m.Value.TrimEnd()).Distinct(StringComparer.Ordinal).ToList();
}
