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
        root.Subcommands.Add(AuditCommand.Create(output, error));
        root.Subcommands.Add(ApproveCommand.Create(output, error));
        root.Subcommands.Add(InitCommand.Create(output, error));
        root.Subcommands.Add(TrustCommand.Create(output, error));
        return root;
    }

    /// <summary>
    /// Parses and runs a command line. Usage errors (no command, an unknown command or option, a missing argument, a bad
    /// option value) are BS3070 on stderr and exit code 2, like every other input the tool cannot use.
    /// </summary>
    public static int Invoke(string[] args, TextWriter output, TextWriter error)
    {
        var root = Create(output, error);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            string command = parse.CommandResult.Command == root ? "buildsign" : $"buildsign {parse.CommandResult.Command.Name}";
            foreach (var parseError in parse.Errors)
            {
                error.WriteLine($"error {Errors.UsageError(parseError.Message, command).Message}");
            }
            return ExitCodes.Error;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
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
