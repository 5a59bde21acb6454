using System.Security.Cryptography.X509Certificates;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Packages;

[CollectionDefinition(Name)]
public sealed class NuGetPackagesCollection : ICollectionFixture<PackageFixture>
{
    public const string Name = "NuGet packages";
}

/// <summary>
/// Shared by the package tests: one real `dotnet pack` of a tiny class library (a .nupkg and a .snupkg), a running
/// loopback timestamp authority, NuGet trust for the shared test root in this process, and a private dotnet whose SDK
/// trust bundles also hold that root (for `dotnet nuget sign|verify` of timestamped packages).
/// </summary>
public sealed class PackageFixture : IDisposable
{
    public const string PackageId = "BuildSigning.SignMe";
    public const string PackageVersion = "1.2.3";

    private readonly TempDirectory _root = new("bs-packages");
    private readonly Lazy<string> _trustingDotnet;

    public PackageFixture()
    {
        NuGetTestTrust.TrustInProcess(TestCertificates.SharedRoot);
        Timestamps = new TimestampAuthority();

        string project = _root.Combine("src", "SignMe.csproj");
        _root.WriteFile("src/SignMe.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <PackageId>{PackageId}</PackageId>
                <Version>{PackageVersion}</Version>
                <Authors>BuildSigning tests</Authors>
                <Description>A package for signing tests.</Description>
                <IncludeSymbols>true</IncludeSymbols>
                <SymbolPackageFormat>snupkg</SymbolPackageFormat>
                <ImplicitUsings>disable</ImplicitUsings>
              </PropertyGroup>
            </Project>
            """);
        _root.WriteFile("src/Greeter.cs", "namespace SignMe { public static class Greeter { public static string Hello() => \"hello\"; } }\n");
        // Keep the repository's and the user's MSBuild and NuGet settings out of the packed project.
        _root.WriteFile("src/Directory.Build.props", "<Project />\n");
        _root.WriteFile("src/Directory.Build.targets", "<Project />\n");

        var pack = ProcessRunner.Run("dotnet", ["pack", project, "-c", "Release", "-o", _root.Combine("out"), "-nologo", "-p:ContinuousIntegrationBuild=true"],
            workingDirectory: _root.Combine("src"), environment: DotnetEnvironment(_root.Combine("nuget-packages")), timeout: TimeSpan.FromMinutes(5));
        if (pack.ExitCode != 0) throw new InvalidOperationException($"dotnet pack failed:\n{pack}");
        NupkgPath = _root.Combine("out", $"{PackageId}.{PackageVersion}.nupkg");
        SnupkgPath = _root.Combine("out", $"{PackageId}.{PackageVersion}.snupkg");
        if (!File.Exists(NupkgPath) || !File.Exists(SnupkgPath)) throw new InvalidOperationException($"dotnet pack wrote no .nupkg/.snupkg:\n{pack}");

        _trustingDotnet = new Lazy<string>(() => NuGetTestTrust.CreateTrustingDotnet(_root.Combine("sdk-mirror"), TestCertificates.SharedRoot));
    }

    public string NupkgPath { get; }
    public string SnupkgPath { get; }
    public TimestampAuthority Timestamps { get; }

    /// <summary>A dotnet whose SDK trusts the shared test root for code signing and timestamping, like it trusts public CAs.</summary>
    public string TrustingDotnet => _trustingDotnet.Value;

    /// <summary>A fresh copy of the unsigned .nupkg (or .snupkg) in <paramref name="directory"/>.</summary>
    public string CopyPackage(TempDirectory directory, bool symbols = false)
    {
        string source = symbols ? SnupkgPath : NupkgPath;
        string target = directory.Combine(Path.GetFileName(source));
        File.Copy(source, target, overwrite: true);
        return target;
    }

    /// <summary>Environment for child dotnet processes: isolated package folder, no telemetry or first-run noise.</summary>
    public static Dictionary<string, string?> DotnetEnvironment(string? packagesFolder = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
        };
        if (packagesFolder is not null) environment["NUGET_PACKAGES"] = packagesFolder;
        return environment;
    }

    /// <summary>
    /// Runs `dotnet nuget verify --all PKG --configfile CFG -v n` where CFG trusts exactly the given author certificate
    /// (trustedSigners, SHA-256 fingerprint, allowUntrustedRoot for self-signed certificates). A timestamped package also
    /// needs its TSA root in the SDK's trustedroots/timestampctl.pem: pass <see cref="TrustingDotnet"/> for that.
    /// </summary>
    public ProcessResult VerifyWithNuGet(string package, X509Certificate2 author, TempDirectory directory, string? dotnet = null, bool allowUntrustedRoot = true)
    {
        string config = directory.WriteFile($"verify-{Guid.NewGuid():N}.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /></packageSources>
              <trustedSigners>
                <author name="test">
                  <certificate fingerprint="{TestCertificates.Sha256Fingerprint(author)}" hashAlgorithm="SHA256" allowUntrustedRoot="{(allowUntrustedRoot ? "true" : "false")}" />
                </author>
              </trustedSigners>
            </configuration>
            """);
        // DOTNET_NUGET_SIGNATURE_VERIFICATION only switches verification during restore on Linux; `nuget verify` always verifies.
        var environment = DotnetEnvironment();
        return ProcessRunner.Run(dotnet ?? "dotnet", ["nuget", "verify", "--all", package, "--configfile", config, "-v", "n"],
            workingDirectory: directory.Path, environment: environment, timeout: TimeSpan.FromMinutes(2));
    }

    public void Dispose()
    {
        Timestamps.Dispose();
        _root.Dispose();
    }
}
