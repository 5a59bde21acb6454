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
        })
        {
            Assert.Contains(expected, entries);
        }
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
        foreach (string assembly in new[] { "NuGet.Packaging.dll", "NuGet.Common.dll", "NuGet.Configuration.dll", "NuGet.Versioning.dll", "NuGet.Frameworks.dll" })
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
}
