namespace BuildSigning.TestSupport;

/// <summary>
/// The package source this machine's NuGet configuration names (the registry its restores use), read at run time so no
/// registry address is written into the repository. For test nuget.config files that must &lt;clear /&gt; the sources.
/// </summary>
public static class MachinePackageSource
{
    private static readonly Lazy<string> s_url = new(Find);

    public static string Url => s_url.Value;

    private static string Find()
    {
        // Asked from the temp folder, so no repository nuget.config adds its local feeds.
        var result = ProcessRunner.Run("dotnet", ["nuget", "list", "source", "--format", "Short"], Path.GetTempPath());
        string? url = result.StandardOutput.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("E ", StringComparison.Ordinal))
            .Select(line => line[2..].Trim())
            .FirstOrDefault(source => source.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
        return url ?? throw new InvalidOperationException($"This machine's NuGet configuration names no enabled HTTP package source:\n{result}");
    }
}
