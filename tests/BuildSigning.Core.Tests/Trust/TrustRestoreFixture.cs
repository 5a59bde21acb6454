using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Trust;

[CollectionDefinition(Name)]
public sealed class TrustRestoreCollection : ICollectionFixture<TrustRestoreFixture>
{
    public const string Name = "Trust restore";
}

/// <summary>
/// One real `dotnet restore` into a private NUGET_PACKAGES of real nuget.org packages spanning all three nuget.org
/// repository certificates (Serilog 2.7.1, Castle.Core 4.4.0 and NETStandard.Library 2.0.3: 2018 certificate; Newtonsoft.Json 13.0.3:
/// 2021; Polly 8.5.2 and System.CommandLine 2.0.0: 2024), plus two local packages made by `dotnet pack`:
/// Contoso.Unsigned (unsigned) and Contoso.Signed (author-signed with `dotnet nuget sign` and a self-signed RSA
/// code-signing certificate made here).
/// </summary>
public sealed class TrustRestoreFixture : IDisposable
{
    public const string UnsignedId = "Contoso.Unsigned";
    public const string SignedId = "Contoso.Signed";
    public const string LocalVersion = "1.0.0";

    /// <summary>Newtonsoft.Json 13.0.3's author certificate, "Json.NET (.NET Foundation)".</summary>
    public const string NewtonsoftAuthorFingerprint = "D60F9A9BD35829CCF4684D4B1E0B62EB3D982FCD55159F337348BB18EA25B8A7";

    private readonly TempDirectory _root = new("bs-trust");

    public TrustRestoreFixture()
    {
        _root.WriteFile("Directory.Build.props", "<Project />\n");
        _root.WriteFile("Directory.Build.targets", "<Project />\n");
        PackagesFolder = _root.Combine("nuget-packages");
        string feed = _root.Combine("feed");
        Directory.CreateDirectory(feed);
        var environment = Packages.PackageFixture.DotnetEnvironment(PackagesFolder);

        foreach (string id in new[] { UnsignedId, SignedId })
        {
            _root.WriteFile($"{id}/{id}.csproj", $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>netstandard2.0</TargetFramework>
                    <Version>{LocalVersion}</Version>
                    <Authors>Contoso</Authors>
                    <Description>A local package for trust tests.</Description>
                  </PropertyGroup>
                </Project>
                """);
            _root.WriteFile($"{id}/Class1.cs", "namespace Contoso { public static class Class1 { public static int One() => 1; } }\n");
            var pack = ProcessRunner.Run("dotnet", ["pack", _root.Combine(id, $"{id}.csproj"), "-c", "Release", "-o", feed, "-nologo"],
                workingDirectory: _root.Path, environment: environment, timeout: TimeSpan.FromMinutes(5));
            if (pack.ExitCode != 0) throw new InvalidOperationException($"dotnet pack failed:\n{pack}");
        }

        // A self-signed RSA code-signing certificate, as a PFX for `dotnet nuget sign`.
        using (var rsa = RSA.Create(3072))
        {
            var request = new CertificateRequest("CN=Contoso Test Signing, O=Contoso", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            ContosoFingerprint = Convert.ToHexString(SHA256.HashData(certificate.RawData));
            File.WriteAllBytes(_root.Combine("contoso.pfx"), certificate.Export(X509ContentType.Pfx, "test-password"));
        }
        var sign = ProcessRunner.Run("dotnet", ["nuget", "sign", Path.Combine(feed, $"{SignedId}.{LocalVersion}.nupkg"),
                "--certificate-path", _root.Combine("contoso.pfx"), "--certificate-password", "test-password", "--overwrite"],
            workingDirectory: _root.Path, environment: environment, timeout: TimeSpan.FromMinutes(2));
        if (sign.ExitCode != 0) throw new InvalidOperationException($"dotnet nuget sign failed:\n{sign}");

        _root.WriteFile("app/nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="machine-source" value="{MachinePackageSource.Url}" protocolVersion="3" />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        _root.WriteFile("app/App.csproj", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFrameworks>net10.0;netstandard2.0</TargetFrameworks>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
                <PackageReference Include="Serilog" Version="2.7.1" />
                <PackageReference Include="Polly" Version="8.5.2" />
                <PackageReference Include="System.CommandLine" Version="2.0.0" />
                <PackageReference Include="Castle.Core" Version="4.4.0" />
                <!-- Polly.Core's dependencies disagree on this one for netstandard2.0 (NU1605); pin it. -->
                <PackageReference Include="Microsoft.Bcl.AsyncInterfaces" Version="8.0.0" />
                <PackageReference Include="{UnsignedId}" Version="{LocalVersion}" />
                <PackageReference Include="{SignedId}" Version="{LocalVersion}" />
              </ItemGroup>
            </Project>
            """);
        var restore = ProcessRunner.Run("dotnet", ["restore", _root.Combine("app", "App.csproj"), "-nologo"],
            workingDirectory: _root.Combine("app"), environment: environment, timeout: TimeSpan.FromMinutes(5));
        if (restore.ExitCode != 0) throw new InvalidOperationException($"dotnet restore failed:\n{restore}");
        AssetsPath = _root.Combine("app", "obj", "project.assets.json");
    }

    public string PackagesFolder { get; }
    public string AssetsPath { get; }

    /// <summary>SHA-256 fingerprint (upper-case hex) of the self-signed certificate Contoso.Signed is signed with.</summary>
    public string ContosoFingerprint { get; }

    /// <summary>
    /// A private copy of the restore (package folder and an assets file pointing at it), for tests that damage packages.
    /// Returns the copied assets file.
    /// </summary>
    public string CopyRestore(TempDirectory directory)
    {
        string packages = directory.Combine("nuget-packages");
        var copy = ProcessRunner.Run("cp", ["-a", PackagesFolder, packages]);
        if (copy.ExitCode != 0) throw new InvalidOperationException(copy.ToString());
        string text = File.ReadAllText(AssetsPath);
        string from = Path.TrimEndingDirectorySeparator(PackagesFolder), to = Path.TrimEndingDirectorySeparator(packages);
        text = Regex.Replace(text, Regex.Escape(from.Replace("\\", "\\\\")), to.Replace("\\", "\\\\").Replace("$", "$$"));
        return directory.WriteFile("obj/project.assets.json", text);
    }

    public void Dispose() => _root.Dispose();
}
