using System.Text;
using BuildSigning.Core.Sbom;

namespace BuildSigning.Core.Tests.Sbom;

public sealed class SbomPartsTests
{
    [Theory]
    [InlineData("MIT", true)]
    [InlineData("Apache-2.0 OR MIT", true)]
    [InlineData("(MIT OR Apache-2.0) AND BSD-3-Clause", true)]
    [InlineData("GPL-2.0-or-later WITH Classpath-exception-2.0", true)]
    [InlineData("LGPL-2.1+", true)]
    [InlineData("", false)]
    [InlineData("MIT OR", false)]
    [InlineData("MIT Apache-2.0", false)]
    [InlineData("(MIT", false)]
    [InlineData("MIT)", false)]
    [InlineData("MIT WITH", false)]
    [InlineData("AND", false)]
    [InlineData("https://example.com/license", false)]
    [InlineData("LicenseRef-Mine", false)]
    public void SpdxExpression_Syntax(string expression, bool valid) => Assert.Equal(valid, SpdxExpression.IsValid(expression));

    [Fact]
    public void SourceDateEpoch_IsUsedWhenSet()
    {
        var now = new DateTimeOffset(2030, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
            SourceDateEpoch.Resolve(n => n == "SOURCE_DATE_EPOCH" ? "1700000000" : null, now, out var warning));
        Assert.Null(warning);
        // Unset: now, truncated to whole seconds.
        var unset = SourceDateEpoch.Resolve(_ => null, now, out warning);
        Assert.Null(warning);
        Assert.Equal(now.ToUnixTimeSeconds(), unset.ToUnixTimeSeconds());
        Assert.Equal(0, unset.Millisecond);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public void SourceDateEpoch_Invalid_IsBS5008_AndNowIsUsed(string value)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_234_567_890);
        Assert.Equal(now, SourceDateEpoch.Resolve(_ => value, now, out var warning));
        Assert.Equal("BS5008", warning!.Code);
    }

    [Fact]
    public void DeterministicUuid_IsAnRfc9562Version5Uuid()
    {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org") == 886313e1-3b8a-5372-9b90-0c9aee199e5d
        Assert.Equal(new Guid("886313e1-3b8a-5372-9b90-0c9aee199e5d"), DeterministicUuid.Create(new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "python.org"));
        Assert.Equal(DeterministicUuid.FromContent("a"u8), DeterministicUuid.FromContent("a"u8));
        Assert.NotEqual(DeterministicUuid.FromContent("a"u8), DeterministicUuid.FromContent("b"u8));
    }

    [Theory]
    [InlineData("Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3")]
    [InlineData("Polly.Core", "8.5.2-beta.1+sha.abc", "pkg:nuget/Polly.Core@8.5.2-beta.1%2Bsha.abc")]
    [InlineData("a b/c", "1", "pkg:nuget/a%20b%2Fc@1")]
    public void PackageUrls(string id, string version, string purl) => Assert.Equal(purl, PackageUrl.NuGet(id, version));

    [Fact]
    public void Nuspec_ReadsEveryFieldWhateverTheNamespaceAndOrder()
    {
        const string xml = """
            <?xml version="1.0"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
              <metadata minClientVersion="2.12">
                <id>X</id><version>1.0.0</version><authors>  Jane Doe,  ACME  </authors><license type="expression">MIT</license><licenseUrl>https://licenses.nuget.org/MIT</licenseUrl><projectUrl>https://x.example/</projectUrl>
                <dependencies><group targetFramework="net8.0"><dependency id="Y" version="1.0.0" /></group></dependencies>
              </metadata>
              <files><file src="a" /></files>
            </package>
            """;
        var nuspec = NuspecMetadata.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)));
        Assert.Equal(new NuspecMetadata("X", "1.0.0", "Jane Doe,  ACME", "expression", "MIT", "https://licenses.nuget.org/MIT", "https://x.example/"), nuspec);
    }

    [Fact]
    public void SpdxIds_AreSanitizedAndUnique()
    {
        var allocator = new SpdxIdAllocator();
        Assert.Equal("SPDXRef-Package-a-b-c-1.0", allocator.Allocate("Package", "a b/c", "1.0"));
        Assert.Equal("SPDXRef-Package-a-b-c-1.0-2", allocator.Allocate("Package", "a_b_c", "1.0"));
        Assert.True(SpdxIdAllocator.IsValid(allocator.Allocate("File", "ü/ä ö.dll")));
    }
}
