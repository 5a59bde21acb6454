using System.Security.Cryptography;
using System.Text;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// Acme.Widgets, a tiny class library packed by a real `dotnet pack` (without BuildSigning) into a folder feed of its own,
/// in several versions: one unsigned, the others author-signed by a real `dotnet nuget sign` with self-signed RSA
/// code-signing certificates (no timestamp). Made once per test run under the packaged fixture's root and shared by
/// the restore verification tests, which restore into the fixture's shared NUGET_PACKAGES: a package id and version is
/// extracted there once, so every variant has a version of its own, and only one test (the one that tampers with the
/// cached .nupkg) uses <see cref="ToTamper"/>.
/// </summary>
public sealed class LocalPackages
{
    public const string Id = "Acme.Widgets";

    /// <summary>Unsigned.</summary>
    public const string Unsigned = "1.0.0";

    /// <summary>Author-signed with the Acme certificate (<see cref="AcmeFingerprint"/>).</summary>
    public const string SignedByAcme = "2.0.0";

    /// <summary>Author-signed with another self-signed certificate (<see cref="MalloryFingerprint"/>).</summary>
    public const string SignedByMallory = "2.0.1";

    /// <summary>Author-signed with the Acme certificate; reserved for the test that changes its cached .nupkg.</summary>
    public const string ToTamper = "3.0.0";

    private const string PfxPassword = "acme-test-password";
    private static readonly Dictionary<string, LocalPackages> Instances = new(StringComparer.Ordinal);

    private LocalPackages(PackagedBuildSigning product)
    {
        string root = Directory.CreateDirectory(Path.Combine(product.Root, "acme-widgets")).FullName;
        Feed = Directory.CreateDirectory(Path.Combine(root, "feed")).FullName;
        string project = Path.Combine(root, "src", $"{Id}.csproj");
        Directory.CreateDirectory(Path.GetDirectoryName(project)!);
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Version>{Unsigned}</Version>
                <Authors>Acme</Authors>
                <Description>A tiny local package for restore verification tests.</Description>
                <EnableBuildSigning>false</EnableBuildSigning>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(root, "src", "Widget.cs"), "namespace Acme.Widgets { public static class Widget { public static int Count() => 1; } }\n");

        PackagedBuildSigning.Require(product.Dotnet(root, "pack", project, "-c", "Release", "-o", Feed, "-nologo"));
        foreach (string version in new[] { SignedByAcme, SignedByMallory, ToTamper })
        {
            // The same assembly under another package version: a pack without a build takes a second, not ten.
            PackagedBuildSigning.Require(product.Dotnet(root, "pack", project, "-c", "Release", "-o", Feed, "-nologo", "--no-build",
                $"-p:PackageVersion={version}"));
        }

        using var acme = TestCertificates.CreateSelfSignedCodeSigning("CN=Acme Widgets Test Signing, O=Acme");
        using var mallory = TestCertificates.CreateSelfSignedCodeSigning("CN=Mallory Test Signing, O=Mallory");
        AcmeFingerprint = TestCertificates.Sha256Fingerprint(acme);
        MalloryFingerprint = TestCertificates.Sha256Fingerprint(mallory);
        string acmePfx = TestCertificates.ExportPfx(acme, Path.Combine(root, "acme.pfx"), PfxPassword);
        string malloryPfx = TestCertificates.ExportPfx(mallory, Path.Combine(root, "mallory.pfx"), PfxPassword);
        Sign(product, root, SignedByAcme, acmePfx);
        Sign(product, root, ToTamper, acmePfx);
        Sign(product, root, SignedByMallory, malloryPfx);
    }

    /// <summary>The folder feed that holds every version (and nothing else).</summary>
    public string Feed { get; }

    /// <summary>SHA-256 fingerprint (upper-case hex) of the certificate that signed <see cref="SignedByAcme"/> and <see cref="ToTamper"/>.</summary>
    public string AcmeFingerprint { get; }

    /// <summary>SHA-256 fingerprint (upper-case hex) of the certificate that signed <see cref="SignedByMallory"/>.</summary>
    public string MalloryFingerprint { get; }

    public static LocalPackages For(PackagedBuildSigning product)
    {
        lock (Instances)
        {
            if (!Instances.TryGetValue(product.Root, out var packages)) Instances[product.Root] = packages = new LocalPackages(product);
            return packages;
        }
    }

    /// <summary>A nuget.config that adds this feed to the sources inherited from the fixture's root (BuildSigning's feed, nuget.org).</summary>
    public string NuGetConfig => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="acme-widgets" value="{Feed}" />
          </packageSources>
        </configuration>
        """;

    /// <summary>Where restore extracted a version's .nupkg in the fixture's shared packages folder.</summary>
    public static string CachedNupkg(PackagedBuildSigning product, string version) =>
        Path.Combine(product.PackagesFolder, Id.ToLowerInvariant(), version, $"{Id.ToLowerInvariant()}.{version}.nupkg");

    /// <summary>
    /// Flips one bit inside the compressed data of an entry of a .nupkg, in place (same file, same size), and puts the
    /// file's modification time back: what an attacker with write access to the packages folder would do.
    /// </summary>
    public static void FlipByteInEntry(string nupkg, string entryName)
    {
        byte[] bytes = File.ReadAllBytes(nupkg);
        byte[] name = Encoding.UTF8.GetBytes(entryName);
        int dataStart = -1;
        for (int i = 30; i + name.Length <= bytes.Length && dataStart < 0; i++)
        {
            // A local file header (PK\x03\x04, 30 bytes) followed by this entry's name.
            if (!bytes.AsSpan(i, name.Length).SequenceEqual(name)) continue;
            int header = i - 30;
            if (BitConverter.ToUInt32(bytes, header) != 0x04034b50 || BitConverter.ToUInt16(bytes, header + 26) != name.Length) continue;
            dataStart = i + name.Length + BitConverter.ToUInt16(bytes, header + 28);
        }
        if (dataStart < 0) throw new InvalidOperationException($"No local file header for '{entryName}' in '{nupkg}'.");

        DateTime modified = File.GetLastWriteTimeUtc(nupkg);
        using (var stream = new FileStream(nupkg, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = dataStart + 16;
            int value = stream.ReadByte();
            stream.Position = dataStart + 16;
            stream.WriteByte((byte)(value ^ 0x01));
        }
        File.SetLastWriteTimeUtc(nupkg, modified);
    }

    /// <summary>Rewrites NuGet's .nupkg.sha512 beside a .nupkg to match its current content.</summary>
    public static void RewriteSha512File(string nupkg)
    {
        using var stream = File.OpenRead(nupkg);
        File.WriteAllText(nupkg + ".sha512", Convert.ToBase64String(SHA512.HashData(stream)));
    }

    private void Sign(PackagedBuildSigning product, string root, string version, string pfx) =>
        PackagedBuildSigning.Require(product.Dotnet(root, "nuget", "sign", Path.Combine(Feed, $"{Id}.{version}.nupkg"),
            "--certificate-path", pfx, "--certificate-password", PfxPassword, "--overwrite"));
}
