using System.CommandLine;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Cli;

/// <summary>The command tree of the buildsign tool.</summary>
public static class BuildSignCommand
{
    public static RootCommand Create(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("buildsign: keys, inspection and verification of BuildSigning attestations.");
        root.Subcommands.Add(KeygenCommand.Create(output, error));
        root.Subcommands.Add(VerifyCommand.Create(output, error));
        root.Subcommands.Add(InspectCommand.Create(output, error));
        root.Subcommands.Add(InitCommand.Create(output, error));
        root.Subcommands.Add(TrustCommand.Create(output, error));
        return root;
    }

    /// <summary>Runs a command body; a BSnnnn failure becomes its message on stderr and exit code 2.</summary>
    internal static int Run(TextWriter error, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (BuildSigningException e)
        {
            error.WriteLine($"error {e.Message}");
            return ExitCodes.Error;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is BuildSigningException))
        {
            foreach (var inner in e.InnerExceptions) error.WriteLine($"error {inner.Message}");
            return ExitCodes.Error;
        }
    }
}
