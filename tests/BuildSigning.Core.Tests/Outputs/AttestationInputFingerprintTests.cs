using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Provenance;
using BuildSigning.Core.Sbom;
using BuildSigning.Core.Tests.Sbom;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Outputs;

/// <summary>The fingerprint of the attestation inputs the signer's fast path compares (BuildAttestations.InputFingerprint).</summary>
public sealed class AttestationInputFingerprintTests : IDisposable
{
    private readonly TempDirectory _root = new("bs-attestation-inputs");

    public void Dispose() => _root.Dispose();

    private BuildAttestationOptions Options(string assets, DateTimeOffset now, string version = "1.0.0", string? commit = null) => new()
    {
        AssetsFile = assets,
        Environment = _ => null,
        Sbom = new SbomInput
        {
            ProjectName = "App",
            ProjectVersion = version,
            TargetFramework = "net8.0",
            RuntimeIdentifier = "linux-x64",
            SdkVersion = "10.0.100",
            IsApplication = true,
            Created = now,
            ToolVersion = "1.0.0",
        },
        Provenance = new ProvenanceInput
        {
            Command = "publish",
            ProjectPath = _root.Combine("App.csproj"),
            TargetFramework = "net8.0",
            RuntimeIdentifier = "linux-x64",
            SdkVersion = "10.0.100",
            Builder = new BuilderInfo(BuilderIdentity.LocalBuilderId, BuilderIdentity.Local, null),
            ToolVersion = "1.0.0",
            StartedOn = now,
            Source = commit is null ? null : new SourceRevision("https://example.com/app.git", commit, null, null),
        },
    };

    private static string Fingerprint(BuildAttestationOptions options) => BuildAttestations.InputFingerprint(options, new List<Diagnostic>());

    [Fact]
    public void Equal_inputs_at_other_times_give_the_same_fingerprint_and_each_input_changes_it()
    {
        string assets = FileOriginTests.WriteAssets(_root);
        var now = DateTimeOffset.UtcNow;
        string baseline = Fingerprint(Options(assets, now));

        Assert.Equal(64, baseline.Length);
        // Times are volatile: a later build with the same inputs keeps its signatures, so it keeps its fingerprint too.
        Assert.Equal(baseline, Fingerprint(Options(assets, now.AddHours(3))));
        Assert.NotEqual(baseline, Fingerprint(Options(assets, now, version: "1.0.1")));
        Assert.NotEqual(baseline, Fingerprint(Options(assets, now, commit: new string('a', 40))));
        Assert.NotEqual(baseline, Fingerprint(Options(assets, now) with { WriteCycloneDx = false }));

        // The restore output is read again each time: a package's changed metadata changes the fingerprint.
        string nuspec = _root.Combine("packages", "lib", "1.0.0", "lib.nuspec");
        File.WriteAllText(nuspec, File.ReadAllText(nuspec).Replace(">MIT<", ">Apache-2.0<", StringComparison.Ordinal));
        Assert.NotEqual(baseline, Fingerprint(Options(assets, now)));
    }
}
