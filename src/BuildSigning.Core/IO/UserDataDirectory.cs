namespace BuildSigning.Core.IO;

/// <summary>
/// BuildSigning's per-user folder: $BUILDSIGNING_HOME, else BuildSigning/ in the local application data folder
/// (~/.local/share on Linux, ~/Library/Application Support on macOS, %LOCALAPPDATA% on Windows). It holds the
/// development key and certificate, the verdict-cache secret and the lock files.
/// </summary>
public static class UserDataDirectory
{
    public const string HomeVariable = "BUILDSIGNING_HOME";

    public static string Resolve(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? home = environment(HomeVariable);
        if (!string.IsNullOrWhiteSpace(home)) return Path.GetFullPath(home);
        string appData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (string.IsNullOrEmpty(appData))
        {
            appData = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }
        return Path.Combine(appData, "BuildSigning");
    }
}
