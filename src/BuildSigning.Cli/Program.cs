using BuildSigning.Cli;

return BuildSignCommand.Invoke(args, Console.Out, Console.Error);
