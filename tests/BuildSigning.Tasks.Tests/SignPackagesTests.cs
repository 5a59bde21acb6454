using System.IO.Compression;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Packages;
using BuildSigning.TestSupport;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BuildSigning.Tasks.Tests;

/// <summary>
/// The after-pack task in process, over a small .nupkg made here (a zip with its .nuspec): signing by key only, author
/// signing, the SBOMs GeneratePackageSbom wrote, and a package pack left unchanged. Checked with Core's PackageVerifier.
/// </summary>
public sealed class SignPackagesTests : IDisposable
{
    private const string Id = "Contoso.App";
    private const string Version = "3.1.0";

    private readonly TempDirectory _temp = new("bs-task-pack");
    private readonly MockBuildEngine _engine = new();

    public void Dispose()
    {
        _engine.EndBuild();
        _temp.Dispose();
    }

    private string PackagePath => _temp.Combine("bin", "Release", $"{Id}.{Version}.nupkg");
    private string BlobBundle => PackagePath + ".sigstore.json";

    private string CreatePackage(IEnumerable<(string Name, string Content)>? entries = null) =>
        SyntheticRestore.WriteNupkg(PackagePath, Id, Version, entries ?? [($"lib/{SyntheticRestore.Framework}/{Id}.dll", "IL"), ("README.md", "# Contoso.App")]);

    private string WriteKey() => TestKeys.WritePrivateKeyPem(_temp.Combine("keys", "signing.pem"), TestKeyKind.EcdsaP256);

    private static VerificationKey PublicKeyOf(string keyFile)
    {
        using var key = TestKeys.Load(keyFile);
        return key.PublicKey;
    }

    private SignPackages NewTask(string keyFile, bool signPackage = false) => new()
    {
        BuildEngine = _engine,
        Packages = [new TaskItem(PackagePath)],
        KeyFile = keyFile,
        SignPackage = signPackage,
        PackageId = Id,
        TargetFramework = SyntheticRestore.Framework,
        TargetFrameworks = SyntheticRestore.Framework,
    };

    private static IReadOnlyList<string> Entries(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    [Fact]
    public void Key_only_signing_writes_the_bundle_beside_the_package_and_embeds_the_contents_statement()
    {
        CreatePackage();
        string keyFile = WriteKey();
        var task = NewTask(keyFile);

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        Assert.Empty(_engine.Warnings);
        Assert.Equal([BlobBundle], task.WrittenFiles.Select(f => f.ItemSpec));
        Assert.True(File.Exists(BlobBundle));
        Assert.Contains(PackageContentsSigner.EntryName, Entries(PackagePath));
        Assert.DoesNotContain(".signature.p7s", Entries(PackagePath));

        var report = PackageVerifier.Verify(PackagePath, [PublicKeyOf(keyFile)]);
        Assert.Equal($"{Id} {Version}", report.PackageIdentity);
        Assert.Null(report.SignerFingerprint);
        Assert.Equal(PublicKeyOf(keyFile).Id, report.ContentsSigner!.Id);
        Assert.Equal(PublicKeyOf(keyFile).Id, report.BundleSigner!.Id);
    }

    [Fact]
    public void The_signed_package_does_not_verify_with_another_key()
    {
        CreatePackage();
        Assert.True(NewTask(WriteKey()).Execute(), _engine.Log);

        using var other = TestKeys.CreateOtherP256();
        string otherPublic = TestKeys.WritePublicKeyPem(_temp.Combine("keys", "other.pub.pem"), other);

        var error = Assert.Throws<BuildSigning.Core.Diagnostics.BuildSigningException>(() => PackageVerifier.Verify(PackagePath, [VerificationKey.FromFile(otherPublic)]));
        Assert.StartsWith("BS", error.Diagnostic.Code);
    }

    [Fact]
    public void Without_SignPackageContents_nothing_is_embedded_and_the_bundle_still_signs_the_package()
    {
        CreatePackage();
        byte[] packed = File.ReadAllBytes(PackagePath);
        string keyFile = WriteKey();
        var task = NewTask(keyFile);
        task.SignPackageContents = false;

        Assert.True(task.Execute(), _engine.Log);

        Assert.Equal(packed, File.ReadAllBytes(PackagePath));
        Assert.Equal(PublicKeyOf(keyFile).Id, PackageVerifier.Verify(PackagePath, [PublicKeyOf(keyFile)]).BundleSigner!.Id);
    }

    [Fact]
    public void A_PEM_key_without_a_certificate_cannot_author_sign_and_logs_BS6017()
    {
        CreatePackage();
        byte[] packed = File.ReadAllBytes(PackagePath);
        string keyFile = WriteKey();
        var task = NewTask(keyFile, signPackage: true);

        Assert.False(task.Execute());

        var error = Assert.Single(_engine.Errors);
        Assert.Equal("BS6017", error.Code);
        Assert.Contains(keyFile, error.Message);
        Assert.False(File.Exists(BlobBundle));
        // Nothing was changed before the failure: the package is as pack wrote it.
        Assert.Equal(packed, File.ReadAllBytes(PackagePath));
        Assert.Empty(task.WrittenFiles);
    }

    [Fact]
    public void An_unchanged_package_is_not_signed_twice()
    {
        CreatePackage();
        string keyFile = WriteKey();
        Assert.True(NewTask(keyFile).Execute(), _engine.Log);
        byte[] package = File.ReadAllBytes(PackagePath);
        byte[] bundle = File.ReadAllBytes(BlobBundle);
        var stamp = File.GetLastWriteTimeUtc(BlobBundle);
        _engine.Messages.Clear();

        var second = NewTask(keyFile);
        Assert.True(second.Execute(), _engine.Log);

        Assert.Equal(package, File.ReadAllBytes(PackagePath));
        Assert.Equal(bundle, File.ReadAllBytes(BlobBundle));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(BlobBundle));
        Assert.Equal([BlobBundle], second.WrittenFiles.Select(f => f.ItemSpec));
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("is unchanged", StringComparison.Ordinal));
        Assert.DoesNotContain(_engine.Messages, m => m.Message!.Contains("attested", StringComparison.Ordinal));
    }

    [Fact]
    public void A_repacked_package_is_signed_again()
    {
        CreatePackage();
        string keyFile = WriteKey();
        Assert.True(NewTask(keyFile).Execute(), _engine.Log);
        byte[] firstBundle = File.ReadAllBytes(BlobBundle);

        File.Delete(PackagePath);
        CreatePackage([($"lib/{SyntheticRestore.Framework}/{Id}.dll", "new IL")]);
        Assert.True(NewTask(keyFile).Execute(), _engine.Log);

        Assert.NotEqual(firstBundle, File.ReadAllBytes(BlobBundle));
        Assert.Equal(PublicKeyOf(keyFile).Id, PackageVerifier.Verify(PackagePath, [PublicKeyOf(keyFile)]).BundleSigner!.Id);
    }

    [Fact]
    public void A_missing_key_file_logs_BS1001_and_leaves_the_package_alone()
    {
        CreatePackage();
        byte[] packed = File.ReadAllBytes(PackagePath);
        string missing = _temp.Combine("keys", "missing.pem");

        Assert.False(NewTask(missing).Execute());

        Assert.Equal(["BS1001"], _engine.ErrorCodes);
        Assert.Equal(packed, File.ReadAllBytes(PackagePath));
        Assert.False(File.Exists(BlobBundle));
    }

    [Fact]
    public void Items_that_are_not_packages_are_ignored()
    {
        string nuspec = _temp.WriteFile("bin/Release/Contoso.App.nuspec", "<package />");
        var task = NewTask(_temp.Combine("keys", "never-read.pem"));
        task.Packages = [new TaskItem(nuspec)];

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(task.WrittenFiles);
        Assert.Empty(_engine.Errors);
    }

    [Fact]
    public void A_certificate_for_the_key_author_signs_the_package()
    {
        CreatePackage();
        using var certificate = TestCertificates.CreateSelfSignedCodeSigning();
        Directory.CreateDirectory(_temp.Combine("keys"));
        var (certificateFile, keyFile) = TestCertificates.ExportPem(certificate, _temp.Combine("keys", "cert.pem"), _temp.Combine("keys", "key.pem"));
        var task = NewTask(keyFile, signPackage: true);
        task.CertificateFile = certificateFile;

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        Assert.Contains(".signature.p7s", Entries(PackagePath));
        Assert.Contains(PackageContentsSigner.EntryName, Entries(PackagePath));
        string fingerprint = TestCertificates.Sha256Fingerprint(certificate);
        var report = PackageVerifier.Verify(PackagePath, [PublicKeyOf(keyFile)], fingerprint);
        Assert.Equal(fingerprint, report.SignerFingerprint);
        Assert.Equal(PublicKeyOf(keyFile).Id, report.BundleSigner!.Id);
        Assert.Contains(_engine.Messages, m => m.Message!.Contains("author-signed", StringComparison.Ordinal) && m.Message.Contains(fingerprint, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_SBOMs_GeneratePackageSbom_wrote_get_the_package_inventory_and_are_attested()
    {
        var restore = new SyntheticRestore(_temp).Package("Fabrikam.Json", "2.0.0");
        restore.Write();
        string keyFile = WriteKey();
        var generate = new GeneratePackageSbom
        {
            BuildEngine = _engine,
            TargetFrameworks = SyntheticRestore.Framework,
            OutputDirectory = _temp.Combine("obj", "buildsigning"),
            SbomFormats = "spdx;cyclonedx",
            AssetsFile = restore.AssetsPath,
            ProjectFullPath = restore.ProjectPath,
            PackageId = Id,
            ProjectVersion = Version,
            SourceRevisionId = "0123456789abcdef0123456789abcdef01234567",
        };
        Assert.True(generate.Execute(), _engine.Log);
        // What pack does with @(SbomFiles): each file at its PackagePath.
        CreatePackage(new[] { ($"lib/{SyntheticRestore.Framework}/{Id}.dll", "IL") }
            .Concat(generate.SbomFiles.Select(f => (f.GetMetadata("PackagePath"), File.ReadAllText(f.ItemSpec)))));

        var task = NewTask(keyFile);
        task.SbomFiles = generate.SbomFiles;
        task.SbomFormats = generate.SbomFormats;
        task.AssetsFile = restore.AssetsPath;
        task.ProjectFullPath = restore.ProjectPath;
        task.ProjectVersion = Version;
        task.SourceRevisionId = generate.SourceRevisionId;

        Assert.True(task.Execute(), _engine.Log);

        Assert.Empty(_engine.Errors);
        Assert.Equal(
            new[] { BlobBundle, PackagePath + ".sbom.net10.0.cdx.sigstore.json", PackagePath + ".sbom.net10.0.spdx.sigstore.json" }.Order(StringComparer.Ordinal),
            task.WrittenFiles.Select(f => f.ItemSpec).Order(StringComparer.Ordinal));
        var report = PackageVerifier.Verify(PackagePath, [PublicKeyOf(keyFile)]);
        Assert.Equal(["buildsigning/sbom.net10.0.cdx.json", "buildsigning/sbom.net10.0.spdx.json"], report.SbomEntries.Order(StringComparer.Ordinal));
        Assert.Equal(2, report.Attestations.Count);
        using var zip = ZipFile.OpenRead(PackagePath);
        using var reader = new StreamReader(zip.GetEntry("buildsigning/sbom.net10.0.spdx.json")!.Open());
        string spdx = reader.ReadToEnd();
        SbomValidation.ValidSpdx(spdx);
        Assert.Contains($"lib/{SyntheticRestore.Framework}/{Id}.dll", spdx);
        Assert.Contains("pkg:nuget/Fabrikam.Json@2.0.0", spdx);
    }

    [Fact]
    public void Provenance_lists_the_packages_every_target_framework_resolved_and_is_signed_beside_the_package()
    {
        var restore = new SyntheticRestore(_temp).Package("Fabrikam.Json", "2.0.0");
        restore.Write();
        CreatePackage();
        string keyFile = WriteKey();
        var task = NewTask(keyFile);
        task.GenerateProvenance = true;
        task.AssetsFile = restore.AssetsPath;
        task.ProjectFullPath = restore.ProjectPath;
        task.ProjectVersion = Version;
        task.SourceRevisionId = "0123456789abcdef0123456789abcdef01234567";
        task.RepositoryUrl = "https://example.com/contoso/app.git";
        task.BuilderId = "https://example.com/builders/test";

        Assert.True(task.Execute(), _engine.Log);

        string provenance = PackagePath + ".provenance.sigstore.json";
        Assert.Contains(provenance, task.WrittenFiles.Select(f => f.ItemSpec));
        var report = PackageVerifier.Verify(PackagePath, [PublicKeyOf(keyFile)]);
        var statement = Assert.Single(report.Attestations).Statement;
        Assert.Equal("https://slsa.dev/provenance/v1", statement.PredicateType);
        Assert.Equal($"{Id}.{Version}.nupkg", Assert.Single(statement.Subjects).Name);
        string predicate = statement.Predicate.ToJsonString();
        Assert.Contains("pkg:nuget/Fabrikam.Json@2.0.0", predicate);
        Assert.Contains("0123456789abcdef0123456789abcdef01234567", predicate);
        Assert.Contains("https://example.com/builders/test", predicate);
    }

    [Fact]
    public void A_symbols_package_gets_a_bundle_beside_it_and_nothing_inside_it()
    {
        CreatePackage();
        string symbols = SyntheticRestore.WriteNupkg(Path.ChangeExtension(PackagePath, ".snupkg"), Id, Version, [($"lib/{SyntheticRestore.Framework}/{Id}.pdb", "PDB")]);
        byte[] packed = File.ReadAllBytes(symbols);
        string keyFile = WriteKey();
        var task = NewTask(keyFile);
        task.Packages = [new TaskItem(PackagePath), new TaskItem(symbols)];

        Assert.True(task.Execute(), _engine.Log);

        Assert.Equal([BlobBundle, symbols + ".sigstore.json"], task.WrittenFiles.Select(f => f.ItemSpec));
        Assert.Equal(packed, File.ReadAllBytes(symbols));
        Assert.Equal(PublicKeyOf(keyFile).Id, PackageVerifier.Verify(symbols, [PublicKeyOf(keyFile)]).BundleSigner!.Id);
    }

    [Fact]
    public void With_OutputFileNamesWithoutVersion_the_file_pack_wrote_is_signed()
    {
        string versionless = SyntheticRestore.WriteNupkg(_temp.Combine("bin", "Release", $"{Id}.nupkg"), Id, Version);
        var task = NewTask(WriteKey());
        // What @(NuGetPackOutput) still names on SDKs up to 10.0.4xx (NuGet/Home#12644).
        task.Packages = [new TaskItem(PackagePath)];
        task.OutputFileNamesWithoutVersion = true;

        Assert.True(task.Execute(), _engine.Log);

        Assert.Equal([versionless + ".sigstore.json"], task.WrittenFiles.Select(f => f.ItemSpec));
        Assert.False(File.Exists(PackagePath));
    }
}
