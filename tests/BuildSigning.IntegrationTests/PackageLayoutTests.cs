using System.IO.Compression;
using System.Xml.Linq;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// What the shipped packages hold: the task package has the MSBuild surface and only our own assemblies (MSBuild and NuGet
/// come from the SDK that runs it); the tool package also has NuGet and its trusted-root bundles.
/// </summary>
[Collection(PackagedCollection.Name)]
public sealed class PackageLayoutTests(PackagedBuildSigning product)
{
    [Fact]
    public void BuildSigningPackage_ShipsTheMSBuildSurfaceAndOnlyItsOwnAssemblies()
    {
        using var package = ZipFile.OpenRead(Path.Combine(product.Feed, $"BuildSigning.{product.Version}.nupkg"));
        var entries = package.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);

        foreach (string expected in new[]
        {
            "build/BuildSigning.props", "build/BuildSigning.targets", "build/BuildSigning.Publish.targets",
            "buildTransitive/BuildSigning.props", "buildTransitive/BuildSigning.targets",
            "buildMultiTargeting/BuildSigning.props", "buildMultiTargeting/BuildSigning.targets",
            "Sdk/Sdk.props", "Sdk/Sdk.targets",
            "tasks/net10.0/BuildSigning.Tasks.dll", "tasks/net10.0/BuildSigning.Core.dll",
            // PKCS#11 token keys: no SDK carries Pkcs11Interop.
            "tasks/net10.0/Pkcs11Interop.dll",
            // Ed25519 keys: the SDK has no BouncyCastle, so it ships beside the task.
            "tasks/net10.0/BouncyCastle.Cryptography.dll",
        })
        {
            Assert.Contains(expected, entries);
        }
        // The portable task assemblies are IL only; their linux-x64 copies are ReadyToRun images for that platform, with the
        // same two dependencies beside them (MSBuild loads a task's dependencies from its own folder).
        foreach (string name in new[] { "BuildSigning.Tasks.dll", "BuildSigning.Core.dll" })
        {
            var portable = PeHeaders(package, $"tasks/net10.0/{name}");
            Assert.Equal(0, portable.CorHeader!.ManagedNativeHeaderDirectory.Size);
            Assert.Equal(System.Reflection.PortableExecutable.Machine.I386, portable.CoffHeader.Machine);
            var precompiled = PeHeaders(package, $"tasks/net10.0/linux-x64/{name}");
            Assert.NotEqual(0, precompiled.CorHeader!.ManagedNativeHeaderDirectory.Size);
            // crossgen2 marks the target OS in the machine field: AMD64 XOR 0x7B79 for Linux.
            Assert.Equal((ushort)System.Reflection.PortableExecutable.Machine.Amd64 ^ 0x7B79, (ushort)precompiled.CoffHeader.Machine);
        }
        Assert.Contains("tasks/net10.0/linux-x64/Pkcs11Interop.dll", entries);
        Assert.Contains("tasks/net10.0/linux-x64/BouncyCastle.Cryptography.dll", entries);

        var assemblies = entries.Where(e => e.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).ToArray();
        Assert.DoesNotContain(assemblies, a => Path.GetFileName(a).StartsWith("Microsoft.Build", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(assemblies, a => Path.GetFileName(a).StartsWith("NuGet.", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(assemblies, a => Path.GetFileName(a).StartsWith("System.", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));

        // The wrappers only import the one implementation in build/.
        foreach (string wrapper in new[] { "buildTransitive/BuildSigning.targets", "buildMultiTargeting/BuildSigning.targets", "Sdk/Sdk.targets" })
        {
            using var stream = package.GetEntry(wrapper)!.Open();
            var imports = XDocument.Load(stream).Root!.Elements().Where(e => e.Name.LocalName == "Import").ToArray();
            Assert.Equal("$(MSBuildThisFileDirectory)../build/BuildSigning.targets", Assert.Single(imports).Attribute("Project")!.Value);
        }

        using var nuspecStream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        var metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        Assert.Equal("true", metadata.Elements().Single(e => e.Name.LocalName == "developmentDependency").Value);
        Assert.Contains("MSBuildSdk", metadata.Elements().Single(e => e.Name.LocalName == "packageTypes").ToString());
        Assert.DoesNotContain(metadata.Elements().Where(e => e.Name.LocalName == "dependencies").SelectMany(d => d.Descendants()), d => d.Name.LocalName == "dependency");
    }

    [Fact]
    public void CliPackage_IsADotnetToolNamedBuildsign_ThatShipsItsOwnNuGetAndTrustedRoots()
    {
        using var package = ZipFile.OpenRead(Path.Combine(product.Feed, $"BuildSigning.Cli.{product.Version}.nupkg"));
        var settingsEntry = package.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
        using var settings = settingsEntry.Open();
        var command = XDocument.Load(settings).Descendants().Single(e => e.Name.LocalName == "Command");
        Assert.Equal("buildsign", command.Attribute("Name")!.Value);

        // The tool runs where there may be no SDK: NuGet's assemblies and the root bundles NuGet reads from trustedroots/
        // beside NuGet.Packaging.dll ship with it (copies of the building SDK's bundles).
        string toolFolder = settingsEntry.FullName[..^"DotnetToolSettings.xml".Length];
        var entries = package.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (string assembly in new[] { "NuGet.Packaging.dll", "NuGet.Common.dll", "NuGet.Configuration.dll", "NuGet.Versioning.dll", "NuGet.Frameworks.dll", "BouncyCastle.Cryptography.dll" })
        {
            Assert.Contains(toolFolder + assembly, entries);
        }
        foreach (string bundle in new[] { "codesignctl.pem", "timestampctl.pem" })
        {
            var entry = package.GetEntry($"{toolFolder}trustedroots/{bundle}");
            Assert.True(entry is not null, $"{toolFolder}trustedroots/{bundle} is not in the tool package");
            using var stream = entry.Open();
            using var content = new MemoryStream();
            stream.CopyTo(content);
            Assert.Equal(File.ReadAllBytes(NuGetTestTrust.SdkBundle(bundle)), content.ToArray());
        }
    }

    private static System.Reflection.PortableExecutable.PEHeaders PeHeaders(ZipArchive package, string entryName)
    {
        using var stream = package.GetEntry(entryName)!.Open();
        var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        bytes.Position = 0;
        using var reader = new System.Reflection.PortableExecutable.PEReader(bytes);
        return reader.PEHeaders;
    }
}
