using System.Security.Cryptography;
using System.Text.RegularExpressions;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Restore-time dependency verification (docs/restore.md, docs/trust-policy.md) through real `dotnet restore` and
/// `dotnet build` runs of temporary projects: real nuget.org packages under the built-in policy, and Acme.Widgets
/// (<see cref="LocalPackages"/>), packed and signed here, from a folder feed of its own.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class RestoreVerificationTests(PackagedBuildSigning product)
{
    private static readonly (string Id, string Version)[] NuGetOrgPackages =
        [("Newtonsoft.Json", "13.0.3"), ("Serilog", "3.1.1"), ("Polly", "8.5.2")];

    private readonly LocalPackages _local = LocalPackages.For(product);

    private static string Future => DateTime.UtcNow.AddYears(1).ToString("yyyy-MM-dd");
    private const string Past = "2024-01-31";

    [Fact]
    public void NuGetOrgPackages_PassUnderTheBuiltInPolicy_AndAnUnsignedLocalPackageFailsRestoreAndBuild()
    {
        string project = NewProject("restore-nugetorg", NuGetOrgPackages);
        // Newtonsoft.Json, Serilog, Polly and Polly.Core: all repository-signed by nuget.org, with its 2021 and 2024 certificates.
        RestoreAssertions.AssertVerifiedAndAllowed(Restore(project), packages: 4);

        WriteProject(project, [.. NuGetOrgPackages, (LocalPackages.Id, LocalPackages.Unsigned)]);
        var restore = Restore(project);
        AssertRejectedOnly(restore, "BS4010", $"Package 'Acme.Widgets {LocalPackages.Unsigned}' is unsigned; no rule in the built-in trust policy allows it");
        Assert.Contains("verified 5 packages", restore.Output);
        Assert.Contains("4 allowed, 1 rejected", restore.Output);

        // A build without restore does not get past the verification either.
        var build = Build(project, "--no-restore");
        AssertRejectedOnly(build, "BS4010", $"'Acme.Widgets {LocalPackages.Unsigned}'");
        AssertNotCompiled(project, build);
    }

    [Fact]
    public void UnsignedException_InThePolicyFileOrAsAnItem_AllowsThePackageUntilItExpires()
    {
        (string, string)[] packages = [("Newtonsoft.Json", "13.0.3"), (LocalPackages.Id, LocalPackages.Unsigned)];
        string project = NewProject("restore-exception", packages);
        string policy = Path.Combine(project, "buildsigning.trust.json");
        AssertRejectedOnly(Restore(project), "BS4010", $"'Acme.Widgets {LocalPackages.Unsigned}'");

        File.WriteAllText(policy, UnsignedExceptionPolicy(Future));
        RestoreAssertions.AssertVerifiedAndAllowed(Restore(project), packages: 2);

        // Found by walking up from the project, too.
        string parentPolicy = Path.Combine(Path.GetDirectoryName(project)!, "restore-exception-policy", "buildsigning.trust.json");
        string nested = NewProject(Path.Combine("restore-exception-policy", "app"), packages);
        File.Copy(policy, parentPolicy);
        RestoreAssertions.AssertVerifiedAndAllowed(Restore(nested), packages: 2);

        File.WriteAllText(policy, UnsignedExceptionPolicy(Past));
        var expired = Restore(project);
        AssertRejectedOnly(expired, "BS4011",
            $"Package 'Acme.Widgets {LocalPackages.Unsigned}' is not signed by a trusted signer, and its exception 'Acme.Widgets [1.0.0]' in {policy} expired on {Past} (reason given: the vendor does not sign yet; ticket OPS-12)");

        File.Delete(policy);
        static string Item(string expires) =>
            $"""<BuildSigningAllowUnsigned Include="Acme.Widgets" VersionRange="[1.0.0]" Reason="vendor does not sign; OPS-13" Expires="{expires}" />""";
        WriteProject(project, packages, Item(Future));
        RestoreAssertions.AssertVerifiedAndAllowed(Restore(project), packages: 2);

        WriteProject(project, packages, Item(Past));
        expired = Restore(project);
        AssertRejectedOnly(expired, "BS4011", $"Package 'Acme.Widgets {LocalPackages.Unsigned}' is not signed by a trusted signer, and its exception 'Acme.Widgets [1.0.0]'");
        Assert.Contains($"expired on {Past} (reason given: vendor does not sign; OPS-13)", expired.Output);
    }

    [Fact]
    public void PolicyFileSavedWithAByteOrderMark_IsHonoured()
    {
        // Visual Studio's "UTF-8 with signature", Notepad and PowerShell 5 start the file with EF BB BF.
        (string, string)[] packages = [("Newtonsoft.Json", "13.0.3"), (LocalPackages.Id, LocalPackages.Unsigned)];
        string project = NewProject("restore-bom-policy", packages);
        File.WriteAllText(Path.Combine(project, "buildsigning.trust.json"), UnsignedExceptionPolicy(Future), new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal([0xEF, 0xBB, 0xBF], File.ReadAllBytes(Path.Combine(project, "buildsigning.trust.json"))[..3]);

        RestoreAssertions.AssertVerifiedAndAllowed(Restore(project), packages: 2);
    }

    [Fact]
    public void AuthorSignedPackage_PassesWhenItsCertificateIsTrusted_AndFailsWhenSignedByAnotherCertificate()
    {
        string project = NewProject("restore-signed", [(LocalPackages.Id, LocalPackages.SignedByAcme)]);
        string policy = Path.Combine(project, "buildsigning.trust.json");
        var untrusted = Restore(project);
        AssertRejectedOnly(untrusted, "BS4012", $"Package 'Acme.Widgets {LocalPackages.SignedByAcme}' is signed, but by no signer the built-in trust policy trusts");
        Assert.Contains(_local.AcmeFingerprint, untrusted.Output);

        File.WriteAllText(policy, AuthorSignerPolicy(_local.AcmeFingerprint, allowUntrustedRoot: true));
        RestoreAssertions.AssertVerifiedAndAllowed(Restore(project), packages: 1);

        // The fingerprint alone is not enough for a self-signed certificate unless the policy says so.
        File.WriteAllText(policy, AuthorSignerPolicy(_local.AcmeFingerprint, allowUntrustedRoot: false));
        var untrustedRoot = Restore(project);
        AssertRejectedOnly(untrustedRoot, "BS4022", $"Package 'Acme.Widgets {LocalPackages.SignedByAcme}': the certificate of its author signature");
        Assert.Contains("set allowUntrustedRoot to true", untrustedRoot.Output);

        File.Delete(policy);
        string signerItem = $"""<BuildSigningTrustedSigner Include="acme" Kind="author" Fingerprint="{_local.AcmeFingerprint}" HashAlgorithm="SHA256" AllowUntrustedRoot="true" />""";
        WriteProject(project, [(LocalPackages.Id, LocalPackages.SignedByAcme)], signerItem);
        RestoreAssertions.AssertVerifiedAndAllowed(Restore(project), packages: 1);

        // Another certificate, with the same package id: not trusted.
        WriteProject(project, [(LocalPackages.Id, LocalPackages.SignedByMallory)], signerItem);
        var mallory = Restore(project);
        AssertRejectedOnly(mallory, "BS4012", $"Package 'Acme.Widgets {LocalPackages.SignedByMallory}' is signed, but by no signer");
        Assert.Contains(_local.MalloryFingerprint, mallory.Output);
        Assert.Contains("CN=Mallory Test Signing", mallory.Output);
    }

    [Fact]
    public void CachedNupkgChangedAfterRestore_FailsRestoreAndBuild_ThoughNuGetDoesNotNotice()
    {
        string project = NewProject("restore-tamper", [(LocalPackages.Id, LocalPackages.ToTamper)]);
        File.WriteAllText(Path.Combine(project, "buildsigning.trust.json"), AuthorSignerPolicy(_local.AcmeFingerprint, allowUntrustedRoot: true));
        RestoreAssertions.AssertVerifiedAndAllowed(Restore(project), packages: 1);
        Assert.True(File.Exists(Path.Combine(project, "obj", "buildsigning.trust.cache")), "the allowed verdict is cached");

        // Same size, same modification time: only the content (and the inode's change time) differ.
        string nupkg = LocalPackages.CachedNupkg(product, LocalPackages.ToTamper);
        long size = new FileInfo(nupkg).Length;
        LocalPackages.FlipByteInEntry(nupkg, "lib/net10.0/Acme.Widgets.dll");
        Assert.Equal(size, new FileInfo(nupkg).Length);

        // NuGet itself takes the extracted package as it is.
        var nugetAlone = product.Dotnet(project, "restore", "-p:BuildSigningVerifyDependencies=false");
        Assert.True(nugetAlone.ExitCode == 0, nugetAlone.ToString());

        string named = $"The .nupkg of package 'Acme.Widgets {LocalPackages.ToTamper}' ('{nupkg}') changed after restore extracted it";
        AssertRejectedOnly(Restore(project), "BS4019", named);
        var build = Build(project);
        AssertRejectedOnly(build, "BS4019", named);
        AssertNotCompiled(project, build);

        // NuGet's own record rewritten as well: the signature's content hash still catches it.
        LocalPackages.RewriteSha512File(nupkg);
        AssertRejectedOnly(Restore(project), "BS4015", $"Package 'Acme.Widgets {LocalPackages.ToTamper}' ('{nupkg}') fails its integrity check");
        build = Build(project, "--no-restore");
        AssertRejectedOnly(build, "BS4015", $"'Acme.Widgets {LocalPackages.ToTamper}'");
        AssertNotCompiled(project, build);
    }

    [Fact]
    public void ProjectRestore_AlsoVerifiesTheProjectsItReferences()
    {
        // The unsigned package is private to Lib, so it never reaches App's own assets file; restoring App restores Lib too.
        string root = Directory.CreateDirectory(Path.Combine(product.Root, "restore-references")).FullName;
        File.WriteAllText(Path.Combine(root, "nuget.config"), _local.NuGetConfig);
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), $"""
            <Project>
              <Sdk Name="BuildSigning" Version="{product.Version}" />
            </Project>
            """);
        string lib = Directory.CreateDirectory(Path.Combine(root, "Lib")).FullName;
        File.WriteAllText(Path.Combine(lib, "Lib.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
              <ItemGroup><PackageReference Include="{LocalPackages.Id}" Version="{LocalPackages.Unsigned}" PrivateAssets="all" /></ItemGroup>
            </Project>
            """);
        string app = Directory.CreateDirectory(Path.Combine(root, "App")).FullName;
        File.WriteAllText(Path.Combine(app, "App.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
              <ItemGroup><ProjectReference Include="../Lib/Lib.csproj" /></ItemGroup>
            </Project>
            """);

        var restore = product.Dotnet(root, "restore", Path.Combine(app, "App.csproj"));
        AssertRejectedOnly(restore, "BS4010", $"Package 'Acme.Widgets {LocalPackages.Unsigned}' is unsigned");
        Assert.Contains($"[{Path.Combine(lib, "Lib.csproj")}]", RestoreAssertions.ErrorLines(restore).Single());
    }

    [Fact]
    public void SolutionRestore_WithDirectorySolutionTargets_FailsOnTheUnsignedPackage_AndTheBuildStopsBeforeCompiling()
    {
        string solution = Directory.CreateDirectory(Path.Combine(product.Root, "restore-solution")).FullName;
        File.WriteAllText(Path.Combine(solution, "nuget.config"), _local.NuGetConfig);
        // The whole repository in one line (docs/restore.md); a literal version, as users write it.
        string sdkLine = $"""
            <Project>
              <Sdk Name="BuildSigning" Version="{product.Version}" />
            </Project>
            """;
        File.WriteAllText(Path.Combine(solution, "Directory.Build.props"), sdkLine);
        string lib = RestoreAssertions.WriteRepositoryProject(solution, "Lib", [(LocalPackages.Id, LocalPackages.Unsigned)]);
        string app = RestoreAssertions.WriteRepositoryProject(solution, "App", [("Newtonsoft.Json", "13.0.3")]);

        PackagedBuildSigning.Require(product.Dotnet(solution, "new", "sln", "-n", "Widgets", "--format", "sln"));
        PackagedBuildSigning.Require(product.Dotnet(solution, "new", "sln", "-n", "WidgetsX", "--format", "slnx"));
        foreach (string file in new[] { "Widgets.sln", "WidgetsX.slnx" })
        {
            PackagedBuildSigning.Require(product.Dotnet(solution, "sln", file, "add", Path.Combine(lib, "Lib.csproj"), Path.Combine(app, "App.csproj")));
        }
        File.WriteAllText(Path.Combine(solution, "Directory.Solution.targets"), sdkLine);

        string libProject = Path.Combine(lib, "Lib.csproj");
        foreach (string file in new[] { "Widgets.sln", "WidgetsX.slnx" })
        {
            var restore = product.Dotnet(solution, "restore", file, "-v:n");
            AssertRejectedOnly(restore, "BS4010", $"Package 'Acme.Widgets {LocalPackages.Unsigned}' is unsigned");
            Assert.Contains($"[{libProject}]", RestoreAssertions.ErrorLines(restore).Single());
        }

        var build = product.Dotnet(solution, "build", "Widgets.sln", "-v:d");
        AssertRejectedOnly(build, "BS4010", $"'Acme.Widgets {LocalPackages.Unsigned}'");
        AssertNotCompiled(solution, build);

        var noRestore = product.Dotnet(solution, "build", "Widgets.sln", "--no-restore", "-v:d");
        AssertRejectedOnly(noRestore, "BS4010", $"'Acme.Widgets {LocalPackages.Unsigned}'");
        Assert.Contains("Target \"BuildSigningVerifyDependencies\"", noRestore.Output);
        // Lib stops before its compiler (App, whose packages are all allowed, may well be built: each project is verified on its own).
        AssertNotCompiled(lib, noRestore);

        // With an exception, the same solution restores (both projects verified) and builds: the checks above were the verification's.
        RestoreAssertions.WriteRepositoryProject(solution, "Lib", [(LocalPackages.Id, LocalPackages.Unsigned)],
            $"""<BuildSigningAllowUnsigned Include="Acme.Widgets" VersionRange="[1.0.0]" Reason="solution test" Expires="{Future}" />""");
        var restored = product.Dotnet(solution, "restore", "Widgets.sln", "-v:n");
        Assert.True(restored.ExitCode == 0, restored.ToString());
        Assert.Contains($"verified 1 packages of {Path.Combine(lib, "obj", "project.assets.json")}", restored.Output);
        Assert.Contains($"verified 1 packages of {Path.Combine(app, "obj", "project.assets.json")}", restored.Output);
        PackagedBuildSigning.Require(product.Dotnet(solution, "build", "Widgets.sln", "--no-restore"));
        Assert.True(File.Exists(Path.Combine(lib, "bin", "Debug", "net10.0", "Lib.dll")));
        Assert.True(File.Exists(Path.Combine(app, "bin", "Debug", "net10.0", "App.dll")));
    }

    [Fact]
    public void PackageReferenceForm_BuildFailsBeforeCompiling_OnTheUnsignedPackage()
    {
        string project = NewProject("restore-packagereference", [(LocalPackages.Id, LocalPackages.Unsigned)], sdkForm: false);
        var build = Build(project);
        AssertRejectedOnly(build, "BS4010", $"Package 'Acme.Widgets {LocalPackages.Unsigned}' is unsigned");
        AssertNotCompiled(project, build);

        var noRestore = Build(project, "--no-restore");
        AssertRejectedOnly(noRestore, "BS4010", $"'Acme.Widgets {LocalPackages.Unsigned}'");
        AssertNotCompiled(project, noRestore);
    }

    [Fact]
    public void BadPolicyInput_FailsRestoreAndBuild_WithTheCodeAndPosition()
    {
        (string, string)[] packages = [("Newtonsoft.Json", "13.0.3")];
        string project = NewProject("restore-bad-policy", packages);
        string policy = Path.Combine(project, "buildsigning.trust.json");
        RestoreAssertions.AssertVerifiedAndAllowed(Restore(project), packages: 1);

        // A missing comma after line 3.
        File.WriteAllText(policy, "{\n  \"version\": 1,\n  \"mode\": \"enforce\"\n  \"unsignedExceptions\": []\n}\n");
        var malformed = Restore(project);
        AssertFailsAt(malformed, policy, "4,3", "BS4003", "the trust policy is not valid JSON");
        var build = Build(project);
        AssertFailsAt(build, policy, "4,3", "BS4003", "the trust policy is not valid JSON");
        AssertNotCompiled(project, build);

        // Every error of a readable file, each with its position.
        File.WriteAllText(policy, """
            {
              "version": 1,
              "trustedSigners": [
                { "name": "x", "kind": "author", "certificates": [ { "fingerprnt": "AB" } ] }
              ]
            }
            """);
        var invalid = Restore(project);
        AssertFailsAt(invalid, policy, "4,58", "BS4004", "unknown field 'fingerprnt' in a certificate");
        AssertFailsAt(invalid, policy, "4,56", "BS4005", "the field 'fingerprint' is required in a certificate");
        Assert.Contains("did you mean 'fingerprint'?", invalid.Output);
        File.Delete(policy);

        // Named explicitly, a missing file is an error, not a fall-back to the built-in policy (which would allow everything here).
        var missing = Restore(project, "-p:BuildSigningTrustPolicy=missing.json");
        AssertFailsWith(missing, "BS4001", $"The trust policy file '{Path.Combine(project, "missing.json")}' does not exist");
        build = Build(project, "-p:BuildSigningTrustPolicy=missing.json");
        AssertFailsWith(build, "BS4001", "missing.json");
        AssertNotCompiled(project, build);

        WriteProject(project, packages, """<BuildSigningAllowUnsigned Include="Acme.Widgets" VersionRange="[1.0.0]" Reason="no expiry" />""");
        AssertFailsWith(Restore(project), "BS4009", "The BuildSigningAllowUnsigned item 'Acme.Widgets' is invalid");
    }

    [Fact]
    public void AuditMode_ReportsTheUnsignedPackageAsAWarning_AndRestoreAndBuildGoOn()
    {
        string project = NewProject("restore-audit", [(LocalPackages.Id, LocalPackages.Unsigned)]);
        string warning = $"warning BS4010: Package 'Acme.Widgets {LocalPackages.Unsigned}' is unsigned";

        var restore = Restore(project, "-p:BuildSigningTrustMode=audit");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains(warning, restore.Output);
        Assert.Contains("0 allowed, 0 rejected, 1 audit warnings", restore.Output);
        Assert.DoesNotContain("error BS", restore.Output);

        var build = Build(project, "-p:BuildSigningTrustMode=audit");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains(warning, build.Output);
        // One `dotnet build` verifies once: the pass before ResolvePackageAssets finds nothing changed since the restore pass
        // (one stat per file) and does not repeat its warning (MSBuild shows it where it was logged and in its summary).
        Assert.Contains("against the trust policy (unchanged since the restore pass", build.Output);
        Assert.True(Regex.Matches(build.Output, Regex.Escape(warning)).Count == 2, build.ToString());
        Assert.True(File.Exists(Path.Combine(project, "bin", "Debug", "net10.0", "restore-audit.dll")), build.ToString());

        // The file's mode, and the property replacing it.
        File.WriteAllText(Path.Combine(project, "buildsigning.trust.json"), """{ "version": 1, "mode": "audit" }""");
        restore = Restore(project);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains(warning, restore.Output);
        AssertRejectedOnly(Restore(project, "-p:BuildSigningTrustMode=enforce"), "BS4010", $"'Acme.Widgets {LocalPackages.Unsigned}'");
    }

    [Fact]
    public void ForgedVerdictInTheCache_DoesNotLetAnUnsignedPackageThrough()
    {
        // Newtonsoft.Json gives the cache a genuine verdict line to copy the format and the policy hash from.
        string project = NewProject("restore-forged-cache", [("Newtonsoft.Json", "13.0.3"), (LocalPackages.Id, LocalPackages.Unsigned)]);
        string unsigned = $"Package 'Acme.Widgets {LocalPackages.Unsigned}' is unsigned";
        AssertRejectedOnly(Restore(project), "BS4010", unsigned);

        // What a pull request could add as a force-added obj/ file: every field of the line is computable offline.
        string cache = Path.Combine(project, "obj", "buildsigning.trust.cache");
        string[] lines = File.ReadAllLines(cache);
        string genuine = lines.Single(l => l.StartsWith("V\tnewtonsoft.json\t13.0.3\t", StringComparison.Ordinal));
        string policyHash = genuine.Split('\t')[4];
        string sha512 = Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(LocalPackages.CachedNupkg(product, LocalPackages.Unsigned))));
        string forged = string.Join('\t', "V", "acme.widgets", LocalPackages.Unsigned, sha512, policyHash, "Allowed", "-", "signer 'nuget.org' (repository signature)");
        File.WriteAllLines(cache, lines.SelectMany(l => l == genuine ? new[] { l, forged } : new[] { l }));

        var build = Build(project, "--no-restore");
        AssertRejectedOnly(build, "BS4010", unsigned);
        AssertNotCompiled(project, build);
    }

    [Fact]
    public void SignedNupkgCopiedOverAnotherPackagesNupkg_FailsNamingThePackage_AsDoesAnotherNupkgBesideAMissingOne()
    {
        var packages = PrivatePackagesFolder("restore-substituted");
        string project = NewProject("restore-substituted", [(LocalPackages.Id, LocalPackages.Unsigned)]);
        File.WriteAllText(Path.Combine(project, "buildsigning.trust.json"), AuthorSignerPolicy(_local.AcmeFingerprint, allowUntrustedRoot: true));
        AssertRejectedOnly(product.Dotnet(project, packages, "restore", "-v:n"), "BS4010", $"Package 'Acme.Widgets {LocalPackages.Unsigned}' is unsigned");

        // The trusted, signed 2.0.0 under the unsigned 1.0.0's file name, with a matching .nupkg.sha512.
        string folder = Path.Combine(packages["NUGET_PACKAGES"]!, "acme.widgets", LocalPackages.Unsigned);
        string expected = Path.Combine(folder, $"acme.widgets.{LocalPackages.Unsigned}.nupkg");
        string signed = Path.Combine(_local.Feed, $"{LocalPackages.Id}.{LocalPackages.SignedByAcme}.nupkg");
        File.Copy(signed, expected, overwrite: true);
        LocalPackages.RewriteSha512File(expected);
        var substituted = product.Dotnet(project, packages, "build", "--no-restore", "-v:d");
        AssertRejectedOnly(substituted, "BS4027", $"Package 'Acme.Widgets {LocalPackages.Unsigned}': its .nupkg '{expected}' is package 'Acme.Widgets {LocalPackages.SignedByAcme}'");
        AssertNotCompiled(project, substituted);

        // The expected .nupkg gone, another one (with its .nupkg.sha512) in the folder: not taken in its place.
        File.Delete(expected);
        File.Delete(expected + ".sha512");
        string other = Path.Combine(folder, $"acme.widgets.{LocalPackages.SignedByAcme}.nupkg");
        File.Copy(signed, other);
        LocalPackages.RewriteSha512File(other);
        var stranger = product.Dotnet(project, packages, "build", "--no-restore", "-v:d");
        AssertRejectedOnly(stranger, "BS4025", $"Package 'Acme.Widgets {LocalPackages.Unsigned}': its folder '{folder}' has no 'acme.widgets.{LocalPackages.Unsigned}.nupkg'");
        Assert.Contains($"acme.widgets.{LocalPackages.SignedByAcme}.nupkg", stranger.Output);
        AssertNotCompiled(project, stranger);
    }

    [Fact]
    public void Sha512FileMissingOrNotMatching_FailsTheBuild_EvenWithTheVerdictCached()
    {
        var packages = PrivatePackagesFolder("restore-sha512");
        string project = NewProject("restore-sha512", [(LocalPackages.Id, LocalPackages.SignedByAcme)]);
        File.WriteAllText(Path.Combine(project, "buildsigning.trust.json"), AuthorSignerPolicy(_local.AcmeFingerprint, allowUntrustedRoot: true));
        RestoreAssertions.AssertVerifiedAndAllowed(product.Dotnet(project, packages, "restore", "-v:n"), packages: 1);

        string nupkg = Path.Combine(packages["NUGET_PACKAGES"]!, "acme.widgets", LocalPackages.SignedByAcme, $"acme.widgets.{LocalPackages.SignedByAcme}.nupkg");
        string recorded = File.ReadAllText(nupkg + ".sha512");
        File.WriteAllText(nupkg + ".sha512", Convert.ToBase64String(SHA512.HashData("another package"u8)));
        var mismatched = product.Dotnet(project, packages, "build", "--no-restore", "-v:d");
        AssertRejectedOnly(mismatched, "BS4019", $"The .nupkg of package 'Acme.Widgets {LocalPackages.SignedByAcme}' ('{nupkg}') changed after restore extracted it");
        AssertNotCompiled(project, mismatched);

        File.Delete(nupkg + ".sha512");
        var missing = product.Dotnet(project, packages, "build", "--no-restore", "-v:d");
        AssertRejectedOnly(missing, "BS4026", $"Package 'Acme.Widgets {LocalPackages.SignedByAcme}': '{nupkg}.sha512', the SHA-512 restore records");
        AssertNotCompiled(project, missing);

        // NuGet's record back in place: the same package is allowed again.
        File.WriteAllText(nupkg + ".sha512", recorded);
        RestoreAssertions.AssertVerifiedAndAllowed(product.Dotnet(project, packages, "build", "--no-restore", "-v:n"), packages: 1);
    }

    // ---- projects

    private string NewProject(string name, IEnumerable<(string Id, string Version)> packages, string items = "", bool sdkForm = true)
    {
        string directory = Directory.CreateDirectory(Path.Combine(product.Root, name)).FullName;
        File.WriteAllText(Path.Combine(directory, "nuget.config"), _local.NuGetConfig);
        File.WriteAllText(Path.Combine(directory, "Class1.cs"), "namespace Sample { public static class Class1 { public static int One() => 1; } }\n");
        WriteProject(directory, packages, items, sdkForm);
        return directory;
    }

    /// <summary>(Re)writes the project file: the SDK form (or the PackageReference form), the packages and extra items.</summary>
    private static void WriteProject(string directory, IEnumerable<(string Id, string Version)> packages, string items = "", bool sdkForm = true)
    {
        string references = string.Concat(packages.Select(p => $"""    <PackageReference Include="{p.Id}" Version="{p.Version}" />""" + "\n"));
        if (!sdkForm) references = """    <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />""" + "\n" + references;
        string sdk = sdkForm ? """  <Sdk Name="BuildSigning" Version="$(BuildSigningVersion)" />""" : "";
        File.WriteAllText(Path.Combine(directory, Path.GetFileName(directory) + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
            {sdk}
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
    }

    private static string UnsignedExceptionPolicy(string expires) => $$"""
        {
          "version": 1,
          // Acme does not sign its packages yet.
          "unsignedExceptions": [
            { "id": "Acme.Widgets", "versions": "[1.0.0]", "reason": "the vendor does not sign yet; ticket OPS-12", "expires": "{{expires}}" },
          ],
        }
        """;

    private static string AuthorSignerPolicy(string fingerprint, bool allowUntrustedRoot) => $$"""
        {
          "version": 1,
          "trustedSigners": [
            {
              "name": "acme",
              "kind": "author",
              "certificates": [
                { "fingerprint": "{{fingerprint}}", "hashAlgorithm": "SHA256", "allowUntrustedRoot": {{(allowUntrustedRoot ? "true" : "false")}} }
              ]
            }
          ]
        }
        """;

    // ---- commands and assertions

    /// <summary>A NUGET_PACKAGES of the test's own (under its name), for tests that change what restore extracted.</summary>
    private Dictionary<string, string?> PrivatePackagesFolder(string name) =>
        new() { ["NUGET_PACKAGES"] = Directory.CreateDirectory(Path.Combine(product.Root, name + "-packages")).FullName };


    /// <summary>`dotnet restore` at normal verbosity, where the verification's summary line is shown.</summary>
    private ProcessResult Restore(string project, params string[] extra) => product.Dotnet(project, ["restore", "-v:n", .. extra]);

    /// <summary>`dotnet build` at detailed verbosity, which lists every target that runs.</summary>
    private ProcessResult Build(string project, params string[] extra) => product.Dotnet(project, ["build", "-v:d", .. extra]);

    /// <summary>Succeeded, and the verification did run: every package of the assets file verified and allowed.</summary>
    /// <summary>Failed, with exactly one BuildSigning error (one rejected package): <paramref name="code"/>, containing <paramref name="text"/>.</summary>
    private static void AssertRejectedOnly(ProcessResult result, string code, string text)
    {
        AssertFailsWith(result, code, text);
        var errors = RestoreAssertions.ErrorLines(result);
        Assert.True(errors.Count == 1, $"expected one BuildSigning error, found {errors.Count}:\n{string.Join('\n', errors)}\n\n{result}");
    }

    /// <summary>
    /// The error is logged at its place in the policy file, MSBuild's canonical "file(line,col): error CODE: text", so IDEs
    /// and CI annotations point at the user's line, not at BuildSigning.targets.
    /// </summary>
    private static void AssertFailsAt(ProcessResult result, string file, string position, string code, string text)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains($"{file}({position}): error {code}: {text}", result.Output);
    }

    private static void AssertFailsWith(ProcessResult result, string code, string text)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.True(RestoreAssertions.ErrorLines(result).Any(e => e.StartsWith($"error {code}: ", StringComparison.Ordinal) && e.Contains(text, StringComparison.Ordinal)),
            $"expected error {code} with \"{text}\":\n{result}");
    }

    /// <summary>The distinct BuildSigning errors (MSBuild repeats each in its summary), from "error BSnnnn" to the end of the line.</summary>
    /// <summary>
    /// The build stopped before the compiler for every project under <paramref name="directory"/>: no CoreCompile of theirs
    /// (at detailed verbosity) and no assembly in their bin or obj folders.
    /// </summary>
    private static void AssertNotCompiled(string directory, ProcessResult build)
    {
        foreach (Match target in Regex.Matches(build.Output, @"Target ""CoreCompile""[^\r\n]*"))
        {
            var project = Regex.Match(target.Value, @"^Target ""CoreCompile"" in file ""[^""]*"" from project ""([^""]*)""");
            Assert.True(project.Success && !project.Groups[1].Value.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal),
                $"nothing under {directory} should have been compiled: {target.Value}\n\n{build}");
        }
        var assemblies = Directory.EnumerateFiles(directory, "*.dll", SearchOption.AllDirectories).ToList();
        Assert.True(assemblies.Count == 0, $"nothing should have been compiled, found:\n{string.Join('\n', assemblies)}\n\n{build}");
    }
}
