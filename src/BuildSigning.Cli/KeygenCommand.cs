using System.CommandLine;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;

namespace BuildSigning.Cli;

internal static class KeygenCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var outOption = new Option<string>("--out", "-o")
        {
            Description = "Private key file to write (PKCS#8 PEM, mode 0600). The public key goes beside it as <name>.pub.pem.",
            DefaultValueFactory = _ => "signing-key.pem",
        };
        var typeOption = new Option<string>("--type", "-t")
        {
            Description = "Key type: ecdsa-p256 (default), ecdsa-p384, rsa-3072 or rsa-4096.",
            DefaultValueFactory = _ => "ecdsa-p256",
        };
        typeOption.AcceptOnlyFromAmong("ecdsa-p256", "ecdsa-p384", "rsa-3072", "rsa-4096");
        var passwordVariableOption = new Option<string?>("--password-variable")
        {
            Description = "Encrypt the private key with the password held in this environment variable.",
        };
        var forceOption = new Option<bool>("--force") { Description = "Overwrite existing key files." };

        var command = new Command("keygen", "Create a signing key pair (private PKCS#8 PEM and public PEM).")
        {
            outOption, typeOption, passwordVariableOption, forceOption,
        };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string privatePath = Path.GetFullPath(parse.GetValue(outOption)!);
            string publicPath = PublicKeyPathFor(privatePath);
            string? variable = parse.GetValue(passwordVariableOption);
            string? password = null;
            if (!string.IsNullOrEmpty(variable))
            {
                password = Environment.GetEnvironmentVariable(variable);
                if (password is null) throw Errors.KeygenPasswordVariableNotSet(variable);
                if (password.Length == 0) throw Errors.KeyPasswordVariableEmpty(variable, privatePath);
            }
            var kind = parse.GetValue(typeOption) switch
            {
                "ecdsa-p384" => KeyKind.EcdsaP384,
                "rsa-3072" => KeyKind.Rsa3072,
                "rsa-4096" => KeyKind.Rsa4096,
                _ => KeyKind.EcdsaP256,
            };
            var publicKey = KeyGenerator.WriteKeyPair(kind, privatePath, publicPath, password, parse.GetValue(forceOption));
            output.WriteLine($"private key: {privatePath}{(password is null ? "" : " (encrypted)")}");
            output.WriteLine($"public key:  {publicPath}");
            output.WriteLine($"key id:      {publicKey.Id.Hex}");
            return ExitCodes.Success;
        }));
        return command;
    }

    internal static string PublicKeyPathFor(string privatePath)
    {
        string directory = Path.GetDirectoryName(privatePath)!;
        string name = Path.GetFileName(privatePath);
        string stem = name.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
        return Path.Combine(directory, stem + ".pub.pem");
    }
}
