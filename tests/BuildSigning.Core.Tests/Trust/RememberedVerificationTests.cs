using System.Text;
using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Trust;

/// <summary>
/// The restore pass and the build pass of one `dotnet build` verify once: a second request in the same process is answered
/// from the first's verdicts only while nothing they depend on changed (one stat per .nupkg and .nupkg.sha512).
/// </summary>
[Collection(TrustRestoreCollection.Name)]
public sealed class RememberedVerificationTests(TrustRestoreFixture fixture) : IDisposable
{
    private readonly TempDirectory _temp = new("bs-remembered");

    public void Dispose() => _temp.Dispose();

    private DependencyVerificationResult Run(string assets, TrustPolicy policy, string phase = "restore")
    {
        PackageSignatureInspector.InitializeTrustStore();
        return DependencyVerifier.Verify(new DependencyVerificationRequest(assets, policy, _temp.Combine("obj", "buildsigning.trust.cache"))
        {
            CacheKeyDirectory = _temp.Combine("buildsigning-home"),
            RememberInProcess = true,
            Phase = phase,
        });
    }

    private TrustPolicy Policy(string reason) => TrustPolicyReader.Read(Encoding.UTF8.GetBytes($$"""
        {
          "version": 1,
          "trustedSigners": [ { "name": "contoso", "kind": "author", "certificates": [ { "fingerprint": "{{fixture.ContosoFingerprint}}", "allowUntrustedRoot": true } ] } ],
          "unsignedExceptions": [ { "id": "{{TrustRestoreFixture.UnsignedId}}", "reason": "{{reason}}", "expires": "2999-01-01" } ]
        }
        """), "/repo/buildsigning.trust.json").GetPolicyOrThrow();

    [Fact]
    public void A_second_request_is_answered_from_memory_until_a_nupkg_the_policy_or_the_assets_file_changes()
    {
        string assets = fixture.CopyRestore(_temp);
        var policy = Policy("test");
        var first = Run(assets, policy);
        Assert.True(first.Succeeded, string.Join("\n", first.Errors));
        Assert.Null(first.Remembered);

        var second = Run(assets, policy, "build");
        Assert.Equal("restore", second.Remembered?.Phase);
        Assert.Equal(first.Packages, second.Packages);

        // The same bytes written again: a new stamp (ctime, mtime), so verified again, then remembered again.
        string nupkg = first.Packages.Single(p => p.Id == TrustRestoreFixture.SignedId).NupkgPath!;
        File.WriteAllBytes(nupkg, File.ReadAllBytes(nupkg));
        Assert.Null(Run(assets, policy).Remembered);
        Assert.NotNull(Run(assets, policy).Remembered);

        File.WriteAllText(nupkg + ".sha512", File.ReadAllText(nupkg + ".sha512"));
        Assert.Null(Run(assets, policy).Remembered);

        // Another policy, or the assets file rewritten: verified again.
        Assert.Null(Run(assets, Policy("another reason")).Remembered);
        File.WriteAllText(assets, File.ReadAllText(assets));
        Assert.Null(Run(assets, Policy("another reason")).Remembered);

        // A result with errors is never remembered.
        var denied = Run(assets, TrustPolicy.Default);
        Assert.False(denied.Succeeded);
        Assert.Null(Run(assets, TrustPolicy.Default).Remembered);

        // Deep mode always verifies.
        var deep = DependencyVerifier.Verify(new DependencyVerificationRequest(assets, policy, null) { RememberInProcess = true, VerifyExtractedFiles = true });
        Assert.True(deep.Succeeded, string.Join("\n", deep.Errors));
        Assert.Null(deep.Remembered);
    }
}
