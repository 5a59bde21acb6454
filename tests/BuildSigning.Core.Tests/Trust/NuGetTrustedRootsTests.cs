using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;
using NuGet.Packaging.Signing;

namespace BuildSigning.Core.Tests.Trust;

public sealed class NuGetTrustedRootsTests
{
    [Fact]
    public void The_bundles_sit_where_NuGets_public_initializer_reads_them_beside_NuGet_Packaging()
    {
        string nuget = Path.GetDirectoryName(typeof(X509TrustStore).Assembly.Location)!;
        Assert.Equal(Path.Combine(nuget, "trustedroots"), NuGetTrustedRoots.Directory);
        NuGetTrustedRoots.Require();
        foreach (string bundle in new[] { NuGetTrustedRoots.CodeSigningBundle, NuGetTrustedRoots.TimestampingBundle })
        {
            Assert.Equal(File.ReadAllBytes(NuGetTestTrust.SdkBundle(bundle)), File.ReadAllBytes(Path.Combine(NuGetTrustedRoots.Directory, bundle)));
        }
    }

    [Theory]
    [InlineData(NuGetTrustedRoots.CodeSigningBundle)]
    [InlineData(NuGetTrustedRoots.TimestampingBundle)]
    public void A_missing_bundle_is_BS6023_naming_the_file(string missing)
    {
        using var directory = new TempDirectory();
        foreach (string bundle in new[] { NuGetTrustedRoots.CodeSigningBundle, NuGetTrustedRoots.TimestampingBundle }.Where(b => b != missing))
        {
            File.Copy(Path.Combine(NuGetTrustedRoots.Directory, bundle), directory.Combine(bundle));
        }

        var e = Assert.Throws<BuildSigningException>(() => NuGetTrustedRoots.Require(directory.Path));
        Assert.Equal("BS6023", e.Code);
        Assert.Contains(directory.Combine(missing), e.Message);
    }

    [Fact]
    public void Both_bundles_present_is_no_error()
    {
        using var directory = new TempDirectory();
        foreach (string bundle in new[] { NuGetTrustedRoots.CodeSigningBundle, NuGetTrustedRoots.TimestampingBundle })
        {
            File.Copy(Path.Combine(NuGetTrustedRoots.Directory, bundle), directory.Combine(bundle));
        }
        NuGetTrustedRoots.Require(directory.Path);
    }
}
