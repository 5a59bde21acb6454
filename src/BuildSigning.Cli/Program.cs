using BuildSigning.Cli;

SdkAssemblyResolver.Register();
return BuildSignCommand.Create(Console.Out, Console.Error).Parse(args).Invoke();
