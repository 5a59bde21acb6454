using System.CommandLine;
using System.Globalization;
using BuildSigning.Core.Assets;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Trust;

namespace BuildSigning.Cli;

/// <summary>
/// `buildsign trust`: read and change the repository's trust policy (buildsigning.trust.json) the way `dotnet nuget trust`
/// manages nuget.config's trustedSigners. Edits are text edits that keep the file's comments and layout (TrustPolicyEditor).
/// </summary>
internal static class TrustCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var trust = new Command("trust", "Show, explain and change the trust policy that restore verifies packages against (buildsigning.trust.json).");
        trust.Subcommands.Add(List(output, error));
        trust.Subcommands.Add(Explain(output, error));
        trust.Subcommands.Add(AddSigner(output, error, SignerKind.Author));
        trust.Subcommands.Add(AddSigner(output, error, SignerKind.Repository));
        trust.Subcommands.Add(AllowUnsigned(output, error));
        trust.Subcommands.Add(Remove(output, error));
        return trust;
    }

    private static Option<string?> PolicyOption() => new("--policy")
    {
        Description = "The trust policy file (default: the nearest buildsigning.trust.json in the current folder or above).",
    };

    private static string PolicyPath(string? given)
    {
        if (!string.IsNullOrEmpty(given)) return Path.GetFullPath(given);
        return TrustPolicyFiles.FindPolicyFile(Directory.GetCurrentDirectory())
            ?? throw TrustEditErrors.TrustPolicyToEditNotFound(Path.Combine(Directory.GetCurrentDirectory(), TrustPolicy.DefaultFileName));
    }

    private static Command List(TextWriter output, TextWriter error)
    {
        var policyOption = PolicyOption();
        var command = new Command("list", "List the policy's signers, keys, package rules, unsigned exceptions and revocations.") { policyOption };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string? given = parse.GetValue(policyOption);
            var read = string.IsNullOrEmpty(given)
                ? TrustPolicyFiles.Resolve(null, Directory.GetCurrentDirectory())
                : TrustPolicyReader.ReadFile(given);
            if (!read.Succeeded)
            {
                foreach (var e in read.Errors) error.WriteLine($"error {e.Formatted}");
                return ExitCodes.Error;
            }
            Print(read.Policy!, output, DateTimeOffset.UtcNow);
            return ExitCodes.Success;
        }));
        return command;
    }

    internal static void Print(TrustPolicy policy, TextWriter output, DateTimeOffset now)
    {
        output.WriteLine($"policy: {policy.Source} (mode {policy.Mode.ToString().ToLowerInvariant()})");
        output.WriteLine($"trusted signers ({policy.Signers.Count}):");
        foreach (var signer in policy.Signers)
        {
            output.WriteLine($"  {signer.Name}: {signer.Kind.ToString().ToLowerInvariant()}" + (signer.Owners.Count > 0 ? $", owners {string.Join(", ", signer.Owners)}" : ""));
            foreach (var c in signer.Certificates)
            {
                output.WriteLine($"    {c.Fingerprint}" + (c.AllowUntrustedRoot ? " (untrusted root allowed)" : "")
                    + (c.NotBefore is { } nb ? $" from {Date(nb)}" : "") + (c.NotAfter is { } na ? $" until {Date(na)}" : "") + (c.Comment is { Length: > 0 } comment ? $"  // {comment}" : ""));
            }
        }
        output.WriteLine($"trusted keys ({policy.Keys.Count}):");
        foreach (var key in policy.Keys) output.WriteLine($"  {key.Name}: key id {key.KeyId.Hex}");
        output.WriteLine($"package rules ({policy.Rules.Count}):");
        foreach (var rule in policy.Rules) output.WriteLine($"  {rule.Id.Text}: only {string.Join(", ", rule.Signers)}" + (rule.Reason is { Length: > 0 } r ? $" ({r})" : ""));
        output.WriteLine($"unsigned exceptions ({policy.Exceptions.Count}):");
        foreach (var e in policy.Exceptions)
        {
            output.WriteLine($"  {e.Describe()}: {(e.Expires > now ? "until" : "EXPIRED on")} {Date(e.Expires)} ({e.Reason})");
        }
        output.WriteLine($"revoked ({policy.Revocations.Count}):");
        foreach (var r in policy.Revocations) output.WriteLine($"  {r.Subject} from {Date(r.RevokedOn)}" + (r.Reason is { Length: > 0 } why ? $" ({why})" : ""));
    }

    private static string Date(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static Command Explain(TextWriter output, TextWriter error)
    {
        var idArgument = new Argument<string>("id") { Description = "The package id." };
        var versionArgument = new Argument<string?>("version") { Description = "The version (default: every restored version).", Arity = ArgumentArity.ZeroOrOne };
        var projectOption = new Option<string>("--project")
        {
            Description = "Where the restored projects are (searched for obj/project.assets.json; default: the current folder).",
            DefaultValueFactory = _ => ".",
        };
        var policyOption = PolicyOption();
        var command = new Command("explain", "Say which rule of the policy allows or rejects a restored package, and why.") { idArgument, versionArgument, projectOption, policyOption };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            string id = parse.GetValue(idArgument)!;
            string? version = parse.GetValue(versionArgument);
            string root = Path.GetFullPath(parse.GetValue(projectOption)!);
            string? policyFile = parse.GetValue(policyOption);
            NuGetTrustedRoots.Require();
            int found = 0, rejected = 0;
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (string assetsPath in TrustOnFirstUse.FindAssetsFiles(root))
            {
                var assets = ProjectAssetsFile.Load(assetsPath);
                if (!assets.Libraries.Any(l => l.IsPackage && Matches(l.Name, l.Version, id, version))) continue;
                string projectDirectory = assets.Project.Path is { Length: > 0 } projectPath ? Path.GetDirectoryName(projectPath)! : Path.GetDirectoryName(Path.GetDirectoryName(assetsPath)!)!;
                var read = TrustPolicyFiles.Resolve(string.IsNullOrEmpty(policyFile) ? null : Path.GetFullPath(policyFile), projectDirectory);
                if (!read.Succeeded)
                {
                    foreach (var e in read.Errors) error.WriteLine($"error {e.Formatted}");
                    return ExitCodes.Error;
                }
                var policy = read.Policy!;
                var result = DependencyVerifier.Verify(assets, policy);
                foreach (var package in result.Packages.Where(p => Matches(p.Id, p.Version, id, version)))
                {
                    if (!seen.Add($"{package.Id}/{package.Version}/{policy.Source}")) continue;
                    found++;
                    output.WriteLine($"{package.Id} {package.Version} (restored by {Path.GetRelativePath(root, projectDirectory)}; policy {policy.Source}):");
                    if (package.IsAllowed)
                    {
                        output.WriteLine($"  allowed by {package.TrustedBy}");
                    }
                    else
                    {
                        rejected++;
                        output.WriteLine($"  {(package.IsWarning ? "audit warning" : "rejected")}: {package.Diagnostic!.Formatted}");
                    }
                    var rule = policy.FindRule(package.Id);
                    output.WriteLine(rule is null
                        ? $"  package rule: none governs {package.Id}, so any trusted signer counts"
                        : $"  package rule '{rule.Id.Text}' governs it: only {string.Join(", ", rule.Signers.Select(s => $"'{s}'"))} count" + (rule.Reason is { Length: > 0 } r ? $" ({r})" : ""));
                    if (package.NupkgPath is { } nupkg && File.Exists(nupkg))
                    {
                        using var inspected = PackageSignatureInspector.Open(nupkg);
                        var signatures = inspected.Signatures.Select(s => s.Describe()).ToList();
                        output.WriteLine(signatures.Count == 0 ? "  signatures: none (unsigned)" : $"  signatures: {string.Join("; ", signatures)}");
                    }
                    output.WriteLine("  (MSBuild items in the project file, such as BuildSigningTrustedSigner, are not included here.)");
                }
            }
            if (found == 0)
            {
                throw TrustEditErrors.TrustPackageNotFound(version is null ? id : $"{id} {version}", $"no project restored under '{root}' uses it");
            }
            return rejected == 0 ? ExitCodes.Success : ExitCodes.VerificationFailed;
        }));
        return command;
    }

    private static bool Matches(string packageId, string packageVersion, string id, string? version) =>
        string.Equals(packageId, id, StringComparison.OrdinalIgnoreCase)
        && (version is null || (NuGet.Versioning.NuGetVersion.TryParse(version, out var v) && DependencyVerifier.IsSamePackage(packageId, packageVersion, id, v)));

    private static Command AddSigner(TextWriter output, TextWriter error, SignerKind kind)
    {
        bool author = kind == SignerKind.Author;
        var packageArgument = new Argument<string>("package") { Description = "A .nupkg file, or a restored package as id/version (e.g. Acme.Widgets/2.0.0)." };
        var nameOption = new Option<string?>("--name") { Description = "The signer's name in the policy (default: from the certificate's subject). An existing signer of this name gets the certificate added." };
        var ownersOption = new Option<string[]>("--owners")
        {
            Description = "Repository signers: the package owners one of which must own a package (separated by ',' or repeated). Default: no owner restriction.",
            AllowMultipleArgumentsPerToken = true,
        };
        var policyOption = PolicyOption();
        var command = new Command(author ? "add-author" : "add-repository",
            author ? "Trust the author certificate that signed a package (pins its fingerprint)." : "Trust the repository certificate that signed or countersigned a package (pins its fingerprint, optionally with owners).")
        {
            packageArgument, nameOption, policyOption,
        };
        if (!author) command.Options.Add(ownersOption);
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            var editor = TrustPolicyEditor.Load(PolicyPath(parse.GetValue(policyOption)));
            string nupkg = TrustOnFirstUse.FindNupkg(parse.GetValue(packageArgument)!, Directory.GetCurrentDirectory());
            NuGetTrustedRoots.Require();
            using var package = PackageSignatureInspector.Open(nupkg);
            if (package.ReadError is not null) throw TrustEditErrors.TrustPackageNotFound(nupkg, package.ReadError);
            var signature = author
                ? (package.Primary is { Kind: SignerKind.Author } primary ? primary : null)
                : package.Countersignature ?? (package.Primary is { Kind: SignerKind.Repository } repository ? repository : null);
            if (signature is null)
            {
                string has = package.IsSigned ? string.Join("; ", package.Signatures.Select(s => s.Describe())) : "it is unsigned";
                throw TrustEditErrors.TrustPackageHasNoSignature(Path.GetFileName(nupkg), author ? "author signature" : "repository signature or countersignature", has);
            }
            string fingerprint = signature.Fingerprint();
            var already = editor.Policy.Signers.FirstOrDefault(s => s.Kind == kind && s.Certificates.Any(c => signature.Matches(c.Fingerprint)));
            if (already is not null)
            {
                output.WriteLine($"{signature.Describe()} is already trusted by signer '{already.Name}' in {editor.Policy.Source}; unchanged.");
                return ExitCodes.Success;
            }
            var owners = (parse.GetValue(ownersOption) ?? []).SelectMany(o => o.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var check = package.Verify(signature);
            var seen = new SeenSigner(kind, fingerprint, signature.Subject, check.OnlyUntrustedRoot, owners, [Path.GetFileName(nupkg)]);
            string name = parse.GetValue(nameOption) is { Length: > 0 } given ? given : seen.SuggestedName;
            var existing = editor.Policy.FindSigner(name);
            if (existing is not null && (existing.Kind != kind || TrustPolicy.NuGetOrgSignerName.Equals(name, StringComparison.OrdinalIgnoreCase) && !editor.Text.Contains("\"nuget.org\"", StringComparison.Ordinal)))
            {
                throw TrustEditErrors.TrustPolicyNameTaken(editor.Path, name);
            }
            if (existing is not null)
            {
                editor.AppendCertificate(name, TrustOnFirstUse.CertificateJson(seen));
                output.WriteLine($"added certificate SHA256 {fingerprint} ({signature.Subject}) to signer '{name}' in {editor.Path}");
            }
            else
            {
                editor.AppendToRootArray("trustedSigners", TrustOnFirstUse.SignerJson(name, seen));
                output.WriteLine($"added {(author ? "author" : "repository")} signer '{name}' (SHA256 {fingerprint}, {signature.Subject}"
                    + (owners.Count > 0 ? $", owners {string.Join(", ", owners)}" : "") + $") to {editor.Path}");
            }
            if (check.OnlyUntrustedRoot) output.WriteLine("  its certificate chains to a root the .NET SDK does not trust: allowUntrustedRoot is set, so this fingerprint alone is trusted.");
            else if (!check.Valid) output.WriteLine($"  note: NuGet does not accept this signature as it is: {check.IssuesText}");
            if (!author && owners.Count == 0 && signature.Owners.Count > 0) output.WriteLine($"  the package lists owners {string.Join(", ", signature.Owners)}; pass --owners to accept only packages they own.");
            editor.Save();
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command AllowUnsigned(TextWriter output, TextWriter error)
    {
        var idArgument = new Argument<string>("id") { Description = "The package id (or a prefix ending in '*')." };
        var versionsOption = new Option<string>("--versions") { Description = "NuGet version range, e.g. [1.0.0] or [1.0.0,2.0.0).", Required = true };
        var expiresOption = new Option<string>("--expires") { Description = "When the exception ends (2027-03-31).", Required = true };
        var reasonOption = new Option<string>("--reason") { Description = "Why the package may be used unsigned.", Required = true };
        var policyOption = PolicyOption();
        var command = new Command("allow-unsigned", "Let a package in without a trusted signature, with a reason, until a date.") { idArgument, versionsOption, expiresOption, reasonOption, policyOption };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            var editor = TrustPolicyEditor.Load(PolicyPath(parse.GetValue(policyOption)));
            string id = parse.GetValue(idArgument)!, versions = parse.GetValue(versionsOption)!, expires = parse.GetValue(expiresOption)!, reason = parse.GetValue(reasonOption)!;
            if (!DateTimeOffset.TryParse(expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expiry))
            {
                throw TrustEditErrors.TrustArgumentInvalid("expiry date", expires, "write it as 2027-03-31 or 2027-03-31T12:00:00Z");
            }
            if (expiry <= DateTimeOffset.UtcNow) throw TrustEditErrors.TrustArgumentInvalid("expiry date", expires, "it is not in the future, so the exception would allow nothing");
            if (string.IsNullOrWhiteSpace(reason)) throw TrustEditErrors.TrustArgumentInvalid("reason", reason, "say why the package may be used unsigned");
            editor.AppendToRootArray("unsignedExceptions", TrustOnFirstUse.ExceptionJson(id, versions, reason, expires));
            editor.Save();
            output.WriteLine($"added unsigned exception '{id} {versions}' until {expires} to {editor.Path}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Remove(TextWriter output, TextWriter error)
    {
        var nameArgument = new Argument<string>("name") { Description = "A signer or key name, or the id of unsigned exceptions, package rules (or a revoked fingerprint or key id)." };
        var policyOption = PolicyOption();
        var command = new Command("remove", "Remove a signer, key, unsigned exception, package rule or revocation from the policy.") { nameArgument, policyOption };
        command.SetAction(parse => BuildSignCommand.Run(error, () =>
        {
            var editor = TrustPolicyEditor.Load(PolicyPath(parse.GetValue(policyOption)));
            string name = parse.GetValue(nameArgument)!;
            var removed = editor.Remove(name);
            if (removed.Count == 0) throw TrustEditErrors.TrustPolicyEntryNotFound(editor.Path, name);
            editor.Save();
            foreach (string what in removed) output.WriteLine($"removed {what} from {editor.Path}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
