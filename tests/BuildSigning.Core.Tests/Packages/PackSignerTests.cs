using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Packages;
using BuildSigning.Core.Provenance;
using BuildSigning.Core.Tests.Sbom;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Packages;

/// <summary>
/// The after-pack pipeline over a small .nupkg made here (no dotnet): the final SBOMs and the contents statement go into
/// the package in one rewrite, and the statement's subjects are the entries as `unzip` reads them.
/// </summary>
public sealed class PackSignerTests : IDisposable
{
    private const string Id = "Contoso.App";
    private const string Version = "3.1.0";
    private const string Framework = FakeRestore.Framework;
    private const string Epoch = "1700000000";

    private readonly TempDirectory _temp = new("bs-packsigner");
    private readonly FakeRestore _restore = new();
    private readonly string _keyFile;

    public PackSignerTests()
    {
        _keyFile = TestKeys.WritePrivateKeyPem(_temp.Combine("keys", "signing.pem"), TestKeyKind.EcdsaP256);
        _restore.Package("Fabrikam.Json", "2.0.0");
        _restore.Write();
    }

    public void Dispose()
    {
        _restore.Dispose();
        _temp.Dispose();
    }

    private static readonly PackageSbomFile[] SbomFiles =
    [
        new("obj/sbom.spdx.json", PackageAttestor.SbomPackagePath(Framework, "spdx"), Framework, "spdx", "https://spdx.dev/Document/v2.3", $"sbom.{Framework}.spdx"),
        new("obj/sbom.cdx.json", PackageAttestor.SbomPackagePath(Framework, "cdx"), Framework, "cdx", "https://cyclonedx.org/bom", $"sbom.{Framework}.cdx"),
    ];

    /// <summary>A package as pack writes it: nuspec, an assembly, a readme and the provisional SBOMs (no file list), entry times fixed.</summary>
    private string WritePackage(string name = $"{Id}.{Version}.nupkg", bool sboms = true)
    {
        string path = _temp.Combine("bin", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var time = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entryName, content) in new[]
        {
            ($"{Id}.nuspec", $"<?xml version=\"1.0\"?><package><metadata><id>{Id}</id><version>{Version}</version></metadata></package>"),
            ($"lib/{Framework}/{Id}.dll", "IL"),
            ("README.md", "# Contoso.App"),
            (SbomFiles[0].PackagePath, "{\"provisional\": \"spdx\"}"),
            (SbomFiles[1].PackagePath, "{\"provisional\": \"cdx\"}"),
        }.Where(e => sboms || !e.Item1.StartsWith("buildsigning/", StringComparison.Ordinal)))
        {
            var entry = zip.CreateEntry(entryName, CompressionLevel.Optimal);
            entry.LastWriteTime = time;
            using var stream = entry.Open();
            stream.Write(Encoding.UTF8.GetBytes(content));
        }
        return path;
    }

    private BuildAttestationOptions Options(string framework) => new()
    {
        AssetsFile = _restore.AssetsPath,
        WriteProvenance = false,
        Sbom = FakeRestore.Input() with { ProjectName = Id, PackageId = Id, ProjectVersion = Version, IsPackage = true, TargetFramework = framework },
        Provenance = new ProvenanceInput
        {
            Command = "pack",
            ProjectPath = "src/Contoso.App.csproj",
            TargetFramework = framework,
            SdkVersion = "10.0.100",
            Builder = new BuilderInfo(BuilderIdentity.LocalBuilderId, BuilderIdentity.Local, null),
            ToolVersion = "0.1.0",
        },
        Environment = name => name == "SOURCE_DATE_EPOCH" ? Epoch : null,
    };

    private PackSigningRequest Request(SigningKey key, IReadOnlyList<string> packages, List<string> rewrites) =>
        new(packages, key, new KeyConfiguration(_keyFile, null, null, RequireSigningKey: false))
        {
            SignPackage = false,
            SbomFiles = SbomFiles,
            SbomOptions = Options,
            Environment = name => name == "SOURCE_DATE_EPOCH" ? Epoch : null,
            ReplaceFile = (temporary, package) =>
            {
                rewrites.Add(package);
                File.Move(temporary, package, overwrite: true);
            },
        };

    private static string Run(string command)
    {
        var result = ProcessRunner.Run("sh", ["-c", command]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.StandardOutput;
    }

    /// <summary>Entry name to SHA-256 as `unzip` and `sha256sum` see them (directories, the NuGet signature and .buildsigning/ left out).</summary>
    private static Dictionary<string, string> UnzipDigests(string package)
    {
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in Run($"unzip -Z1 '{package}'").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.EndsWith('/') || entry == ".signature.p7s" || entry.StartsWith(".buildsigning/", StringComparison.Ordinal)) continue;
            digests[entry] = Run($"unzip -p '{package}' '{entry}' | sha256sum").Split(' ')[0];
        }
        return digests;
    }

    /// <summary>The subjects of the carried statement, read from the bundle's DSSE payload.</summary>
    private static Dictionary<string, string> StatementSubjects(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        using var stream = zip.GetEntry(PackageContentsSigner.EntryName)!.Open();
        var bundle = JsonNode.Parse(stream)!;
        var statement = JsonNode.Parse(Convert.FromBase64String((string)bundle["dsseEnvelope"]!["payload"]!))!;
        Assert.Equal(PackageContentsSigner.PredicateType, (string?)statement["predicateType"]);
        return statement["subject"]!.AsArray().ToDictionary(s => (string)s!["name"]!, s => (string)s!["digest"]!["sha256"]!, StringComparer.Ordinal);
    }

    private static string ReadEntry(string package, string name)
    {
        using var zip = ZipFile.OpenRead(package);
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    [Fact]
    public void The_final_SBOMs_and_the_contents_statement_share_one_rewrite_and_the_statement_covers_the_entries_unzip_reads()
    {
        string package = WritePackage();
        string symbols = WritePackage($"{Id}.{Version}.snupkg", sboms: false);
        byte[] symbolsBytes = File.ReadAllBytes(symbols);
        var rewrites = new List<string>();
        using var key = TestKeys.Load(_keyFile);

        var result = PackSigner.Sign(Request(key, [package, symbols], rewrites));

        // One rewrite of the .nupkg; the symbols package is never rewritten.
        Assert.Equal([package], rewrites);
        Assert.Equal(symbolsBytes, File.ReadAllBytes(symbols));
        Assert.Empty(Directory.GetFiles(_temp.Combine("bin"), "*.tmp", SearchOption.AllDirectories));
        // That one rewrite did both: the SBOMs list the package's files ...
        string spdx = ReadEntry(package, SbomFiles[0].PackagePath);
        Assert.DoesNotContain("provisional", spdx);
        Assert.Contains($"lib/{Framework}/{Id}.dll", spdx);
        Assert.Contains("pkg:nuget/Fabrikam.Json@2.0.0", spdx);
        Assert.Contains($"lib/{Framework}/{Id}.dll", ReadEntry(package, SbomFiles[1].PackagePath));
        // ... and the statement covers every entry as it is now, the final SBOMs included.
        var unzipped = UnzipDigests(package);
        Assert.Equal(5, unzipped.Count);
        Assert.Equal(unzipped.OrderBy(p => p.Key, StringComparer.Ordinal), StatementSubjects(package).OrderBy(p => p.Key, StringComparer.Ordinal));
        // Core's own verifier agrees: statement by this key, SBOM inventories that match the entries, bundles beside both packages.
        var report = PackageVerifier.Verify(package, [key.PublicKey]);
        Assert.Equal(key.PublicKey.Id, report.ContentsSigner!.Id);
        Assert.Equal(2, report.Attestations.Count);
        Assert.Equal(key.PublicKey.Id, PackageVerifier.Verify(symbols, [key.PublicKey]).BundleSigner!.Id);
        Assert.Equal(
            new[] { package + ".sigstore.json", $"{package}.sbom.{Framework}.cdx.sigstore.json", $"{package}.sbom.{Framework}.spdx.sigstore.json", symbols + ".sigstore.json" }
                .Order(StringComparer.Ordinal),
            result.WrittenFiles.Order(StringComparer.Ordinal));
        Assert.Contains(result.Messages, m => m.Routine && m.Text.Contains("listed 3 files", StringComparison.Ordinal));
        Assert.Contains(result.Messages, m => m.Routine && m.Text.Contains("signed the entries", StringComparison.Ordinal));
    }

    private static IEnumerable<(string, DateTimeOffset, long, uint)> Shape(ZipArchive zip) =>
        zip.Entries.Select(e => e.FullName == PackageContentsSigner.EntryName ? (e.FullName, e.LastWriteTime, 0L, 0u) : (e.FullName, e.LastWriteTime, e.CompressedLength, e.Crc32));

    [Fact]
    public void One_rewrite_gives_the_package_the_two_rewrites_of_before_gave()
    {
        string original = WritePackage();
        string twoPasses = _temp.Combine("two", Path.GetFileName(original));
        string onePass = _temp.Combine("one", Path.GetFileName(original));
        Directory.CreateDirectory(Path.GetDirectoryName(twoPasses)!);
        Directory.CreateDirectory(Path.GetDirectoryName(onePass)!);
        File.Copy(original, twoPasses);
        File.Copy(original, onePass);
        var contents = new Dictionary<string, byte[]>
        {
            [SbomFiles[0].PackagePath] = Encoding.UTF8.GetBytes("{\"final\": \"spdx\", \"padding\": \"" + new string('x', 5000) + "\"}"),
            [SbomFiles[1].PackagePath] = Encoding.UTF8.GetBytes("{\"final\": \"cdx\"}"),
        };
        using var key = TestKeys.Load(_keyFile);

        PackageInventory.ReplaceEntries(twoPasses, contents);
        Assert.True(PackageContentsSigner.Embed(twoPasses, key, null, removeNuGetSignature: false));
        var rewrite = PackageRewriter.Rewrite(onePass, contents, new PackageContentsStatement(key, null, RemoveNuGetSignature: false));

        Assert.Equal(new PackageRewriteResult(true, true), rewrite);
        using var a = ZipFile.OpenRead(twoPasses);
        using var b = ZipFile.OpenRead(onePass);
        // Same entries in the same order with the same times and compressed bytes; only the signature in the bundle differs.
        Assert.Equal(Shape(a), Shape(b));
        Assert.Equal(PackageContentsSigner.EntryName, b.Entries[^1].FullName);
        Assert.Equal(StatementSubjects(twoPasses), StatementSubjects(onePass));
        Assert.Equal(UnzipDigests(twoPasses), UnzipDigests(onePass));
    }

    [Fact]
    public void A_NuGet_signed_package_that_must_keep_its_signature_is_not_rewritten()
    {
        string package = WritePackage();
        using (var zip = ZipFile.Open(package, ZipArchiveMode.Update)) zip.CreateEntry(".signature.p7s").Open().Dispose();
        byte[] before = File.ReadAllBytes(package);
        var rewrites = new List<string>();
        using var key = TestKeys.Load(_keyFile);

        var rewrite = PackageRewriter.Rewrite(package, new Dictionary<string, byte[]>(), new PackageContentsStatement(key, null, RemoveNuGetSignature: false),
            (temporary, target) => rewrites.Add(target));

        Assert.Equal(new PackageRewriteResult(false, false), rewrite);
        Assert.Empty(rewrites);
        Assert.Equal(before, File.ReadAllBytes(package));
    }

    [Fact]
    public void A_canceled_pack_changes_no_package()
    {
        string package = WritePackage();
        byte[] before = File.ReadAllBytes(package);
        var rewrites = new List<string>();
        using var key = TestKeys.Load(_keyFile);
        using var canceled = new CancellationTokenSource();
        canceled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => PackSigner.Sign(Request(key, [package], rewrites) with { Cancellation = canceled.Token }));

        Assert.Empty(rewrites);
        Assert.Equal(before, File.ReadAllBytes(package));
        Assert.False(File.Exists(package + ".sigstore.json"));
    }
}
