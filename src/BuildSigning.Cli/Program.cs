using BuildSigning.Cli;

return BuildSignCommand.Create(Console.Out, Console.Error).Parse(args).Invoke();
