using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Tests;

public sealed class DiagnosticLocationTests
{
    [Fact]
    public void PolicyErrors_CarryTheirLocation_AndTheTextWithoutIt()
    {
        var diagnostic = Errors.TrustPolicyInvalidValue("/repo/buildsigning.trust.json", 7, 13, "'expires' is not a date").Diagnostic;
        Assert.Equal(new SourceLocation("/repo/buildsigning.trust.json", 7, 13), diagnostic.Location);
        Assert.StartsWith("/repo/buildsigning.trust.json(7,13): ", diagnostic.Text);
        Assert.StartsWith("'expires' is not a date.", diagnostic.TextWithoutLocation);
        Assert.Equal("docs/errors.md#bs4005", diagnostic.HelpLink);
    }

    [Fact]
    public void OtherErrors_HaveNoLocation() =>
        Assert.Null(Errors.KeyFileNotFound("/keys/missing.pem").Diagnostic.Location);
}
