using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.TestSupport;

namespace BuildSigning.IntegrationTests;

/// <summary>
/// A small library as a user writes one: multi-targeting net10.0;net9.0, a 4-part version, a real nuget.org dependency
/// (Newtonsoft.Json 13.0.3), symbols as .snupkg, and BuildSigning as a PrivateAssets="all" PackageReference. It is
/// restored, built and packed once per test run with nothing configured (so signed with the per-user development
/// certificate and key); every other pack of the run reuses that build with `dotnet pack --no-build` into its own folder.
/// </summary>
internal sealed class PackedLibrary
{
    public const string Id = "Contoso.Signed";
    public const string Version = "1.2.3.4";
    public static readonly string[] Frameworks = ["net10.0", "net9.0"];

    private static readonly object Gate = new();
    private static PackedLibrary? s_shared;

    private PackedLibrary(PackagedBuildSigning product)
    {
        Product = product;
        ProjectDirectory = product.CreateProject("pack-signed-lib", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFrameworks>{string.Join(";", Frameworks)}</TargetFrameworks>
                <AssemblyName>{Id}</AssemblyName>
                <RootNamespace>{Id}</RootNamespace>
                <PackageId>{Id}</PackageId>
                <Version>{Version}</Version>
                <Authors>Contoso</Authors>
                <Description>A library packed and signed by the BuildSigning integration tests.</Description>
                <PackageLicenseExpression>MIT</PackageLicenseExpression>
                <IncludeSymbols>true</IncludeSymbols>
                <SymbolPackageFormat>snupkg</SymbolPackageFormat>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="BuildSigning" Version="$(BuildSigningVersion)" PrivateAssets="all" />
                <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />
              </ItemGroup>
            </Project>
            """,
            ("Greeter.cs", """
                namespace Contoso.Signed;

                public static class Greeter
                {
                    public static string Hello(string name) => Newtonsoft.Json.JsonConvert.SerializeObject(new { hello = name });
                }
                """));

        DevelopmentPack = Product.Dotnet(ProjectDirectory, "pack", "-c", "Release", "-o", OutputDirectory(DevelopmentOutput), "-nologo", "-v:n");
        PackagedBuildSigning.Require(DevelopmentPack);
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(DevelopmentCertificatePath));
        DevelopmentCertificateFingerprint = TestCertificates.Sha256Fingerprint(certificate);
    }

    public const string DevelopmentOutput = "out-dev";

    public PackagedBuildSigning Product { get; }
    public string ProjectDirectory { get; }

    /// <summary>The first, full `dotnet pack` (restore, build of both frameworks, pack, sign with the development certificate).</summary>
    public ProcessResult DevelopmentPack { get; }

    public string DevelopmentCertificatePath => Path.Combine(Product.Home, "development-codesigning.cer.pem");
    public string DevelopmentCertificateFingerprint { get; }

    /// <summary>The .nupkg and .snupkg of the development pack, named as NuGet names a 4-part version.</summary>
    public string Nupkg => Path.Combine(OutputDirectory(DevelopmentOutput), $"{Id}.{Version}.nupkg");
    public string Snupkg => Path.Combine(OutputDirectory(DevelopmentOutput), $"{Id}.{Version}.snupkg");

    /// <summary>
    /// The library packed again (no build) with -p:BuildSigningTimestampUrl pointing at a loopback RFC 3161 authority, through
    /// a mirror of the dotnet installation whose trustedroots bundles hold the authority's root: on Linux NuGet accepts a
    /// timestamp only from an authority rooted in the SDK's trustedroots/timestampctl.pem (BS6010 otherwise). Made once.
    /// </summary>
    public TimestampedPack Timestamped()
    {
        lock (Gate)
        {
            if (_timestamped is not null) return _timestamped;
            using var authority = new TimestampAuthority();
            string trustingDotnet = NuGetTestTrust.CreateTrustingDotnet(Path.Combine(Product.Root, "sdk-mirror"), TestCertificates.SharedRoot);
            // MSBuild starts helper nodes through DOTNET_HOST_PATH: keep them on the mirror too.
            var pack = Pack(TimestampedOutput, new Dictionary<string, string?> { ["DOTNET_HOST_PATH"] = trustingDotnet }, trustingDotnet,
                $"-p:BuildSigningTimestampUrl={authority.Url}");
            return _timestamped = new TimestampedPack(trustingDotnet, OutputDirectory(TimestampedOutput), pack, authority.RequestCount,
                X509CertificateLoader.LoadCertificate(authority.Certificate.RawData));
        }
    }

    public const string TimestampedOutput = "out-tsa";

    private TimestampedPack? _timestamped;

    public static PackedLibrary Get(PackagedBuildSigning product)
    {
        lock (Gate)
        {
            if (s_shared is null || !ReferenceEquals(s_shared.Product, product)) s_shared = new PackedLibrary(product);
            return s_shared;
        }
    }

    public string OutputDirectory(string name) => Path.Combine(ProjectDirectory, name);

    /// <summary>A project that uses BuildSigning in its SDK form (restore verifies) and references the library from <paramref name="feed"/>.</summary>
    public static string CreateConsumer(PackagedBuildSigning product, string name, string feed) => product.CreateProject(name, $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <Sdk Name="BuildSigning" Version="{product.Version}" />
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="{Id}" Version="{Version}" />
          </ItemGroup>
        </Project>
        """,
        ("nuget.config", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="library-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """));

    /// <summary>
    /// `dotnet pack --no-build -c Release -o &lt;project&gt;/&lt;output&gt;` with extra arguments, through <paramref name="dotnet"/>
    /// (the stock one by default) and the fixture's environment (NUGET_PACKAGES, BUILDSIGNING_HOME) plus <paramref name="environment"/>.
    /// </summary>
    public ProcessResult Pack(string output, IDictionary<string, string?>? environment = null, string dotnet = "dotnet", params string[] arguments)
    {
        string directory = OutputDirectory(output);
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        return ProcessRunner.Run(dotnet, ["pack", "--no-build", "-c", "Release", "-o", directory, "-nologo", "-v:n", .. arguments],
            ProjectDirectory, Product.Environment(environment), TimeSpan.FromMinutes(8));
    }

    /// <summary>Whether the file carries a NuGet package signature (the .signature.p7s entry), read with plain zip code.</summary>
    public static bool HasNuGetSignature(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return zip.GetEntry(".signature.p7s") is not null;
    }

    public static string Sha256Hex(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}

/// <summary>A pack with RFC 3161 timestamps: the trusting dotnet it ran with, its folder, its output, how many tokens the authority issued, its certificate.</summary>
internal sealed record TimestampedPack(string TrustingDotnet, string Folder, ProcessResult Pack, int TimestampRequests, X509Certificate2 AuthorityCertificate)
{
    /// <summary>The root of the trusting dotnet installation (for DOTNET_ROOT).</summary>
    public string TrustingDotnetRoot => Path.GetDirectoryName(TrustingDotnet)!;
}
