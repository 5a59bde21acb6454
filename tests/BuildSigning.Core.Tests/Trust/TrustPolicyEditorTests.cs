using System.Text;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Setup;
using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Trust;

/// <summary>`buildsign trust` edits: text-level, comments and layout kept, every result a valid policy.</summary>
public sealed class TrustPolicyEditorTests : IDisposable
{
    private const string Fp = "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899";
    private const string Fp2 = "1122CCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899";
    private readonly TempDirectory _temp = new("bs-policy-edit");

    public void Dispose() => _temp.Dispose();

    private const string Commented = """
        {
            // Our policy. Keep this comment.
            "version": 1,
            "trustedSigners": [
                /* Acme signs its packages */
                { "name": "acme", "kind": "author", "certificates": [ { "fingerprint": "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899" } ] } // pinned 2026
            ],
            "unsignedExceptions": [
                { "id": "Legacy.A", "versions": "[1.0.0]", "reason": "vendor", "expires": "2099-01-01" }, // OPS-1
                { "id": "Legacy.B", "versions": "[2.0.0]", "reason": "vendor", "expires": "2099-01-01" },
            ],
        }
        """;

    private string Write(string text, bool bom = false)
    {
        string path = _temp.Combine("buildsigning.trust.json");
        File.WriteAllText(path, text, new UTF8Encoding(bom));
        return path;
    }

    [Fact]
    public void AllowUnsigned_AppendsOneLine_KeepingCommentsTrailingCommaAndIndentation()
    {
        string path = Write(Commented);
        var editor = TrustPolicyEditor.Load(path);
        editor.AppendToRootArray("unsignedExceptions", TrustOnFirstUse.ExceptionJson("Legacy.C", "[3.0.0]", "why", "2099-02-01"));
        editor.Save();
        string expected = Commented.Replace(
            """{ "id": "Legacy.B", "versions": "[2.0.0]", "reason": "vendor", "expires": "2099-01-01" },""",
            """{ "id": "Legacy.B", "versions": "[2.0.0]", "reason": "vendor", "expires": "2099-01-01" },""" + "\n        "
            + """{ "id": "Legacy.C", "versions": "[3.0.0]", "reason": "why", "expires": "2099-02-01" },""");
        Assert.Equal(expected, File.ReadAllText(path));
        Assert.Equal(3, TrustPolicyReader.ReadFile(path).Policy!.Exceptions.Count);
    }

    [Fact]
    public void AddSigner_AfterAnItemWithoutComma_AndCertificateToAnExistingSigner()
    {
        string path = Write(Commented, bom: true);
        var editor = TrustPolicyEditor.Load(path);
        var seen = new SeenSigner(SignerKind.Author, Fp2, "CN=Other, O=Other", UntrustedRoot: true, [], ["Other 1.0.0"]);
        editor.AppendToRootArray("trustedSigners", TrustOnFirstUse.SignerJson("other", seen));
        editor.AppendCertificate("acme", TrustOnFirstUse.CertificateJson(seen with { Fingerprint = Fp2.Replace("1122", "3344") }));
        editor.Save();
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        string text = File.ReadAllText(path);
        Assert.Contains("// Our policy. Keep this comment.", text);
        Assert.Contains("/* Acme signs its packages */", text);
        Assert.Contains("] }, // pinned 2026\n        {\n            \"name\": \"other\",", text);
        var policy = TrustPolicyReader.ReadFile(path).Policy!;
        Assert.True(policy.FindSigner("other")!.Certificates.Single().AllowUntrustedRoot);
        Assert.Equal(2, policy.FindSigner("acme")!.Certificates.Count);
        // Everything else is byte for byte as it was.
        Assert.Contains(Commented[Commented.IndexOf("\"unsignedExceptions\"", StringComparison.Ordinal)..], text);
    }

    [Fact]
    public void Remove_TakesTheEntryItsLineAndItsComment_AndAddingToAMissingArrayCreatesIt()
    {
        string path = Write(Commented);
        var editor = TrustPolicyEditor.Load(path);
        Assert.Equal(["unsigned exception 'Legacy.A'"], editor.Remove("Legacy.A"));
        Assert.Equal(["trusted signer 'acme'"], editor.Remove("acme"));
        Assert.Empty(editor.Remove("nothing-of-that-name"));
        editor.AppendToRootArray("revoked", """{ "fingerprint": "AABB", "revokedOn": "2026-01-01" }""".Replace("AABB", Fp));
        editor.Save();
        string text = File.ReadAllText(path);
        Assert.DoesNotContain("OPS-1", text);
        Assert.DoesNotContain("pinned 2026", text);
        Assert.Contains("/* Acme signs its packages */", text);
        Assert.Contains("\"Legacy.B\"", text);
        var policy = TrustPolicyReader.ReadFile(path).Policy!;
        Assert.Single(policy.Exceptions);
        Assert.Single(policy.Revocations);
        Assert.Null(policy.FindSigner("acme"));
    }

    [Fact]
    public void AnEditThatWouldMakeThePolicyInvalid_IsRefused_AndNothingIsWritten()
    {
        string path = Write(Commented);
        var editor = TrustPolicyEditor.Load(path);
        var e = Assert.Throws<BuildSigningException>(() =>
            editor.AppendToRootArray("unsignedExceptions", TrustOnFirstUse.ExceptionJson("Legacy.C", "3.0.0", "why", "2099-02-01")));
        Assert.StartsWith("BS4030: ", e.Message);
        editor.Save();
        Assert.Equal(Commented, File.ReadAllText(path));
    }

    [Fact]
    public void EmptyArraysAndEmptyObject_GetTheirFirstEntry()
    {
        string path = Write("{\n  \"version\": 1,\n  \"unsignedExceptions\": []\n}\n");
        var editor = TrustPolicyEditor.Load(path);
        editor.AppendToRootArray("unsignedExceptions", TrustOnFirstUse.ExceptionJson("A", "[1.0.0]", "r", "2099-01-01"));
        editor.AppendToRootArray("trustedSigners", TrustOnFirstUse.SignerJson("s", new SeenSigner(SignerKind.Repository, Fp, "CN=Feed", false, ["me"], [])));
        editor.Save();
        Assert.Equal("""
            {
              "version": 1,
              "unsignedExceptions": [
                { "id": "A", "versions": "[1.0.0]", "reason": "r", "expires": "2099-01-01" }
              ],
              "trustedSigners": [
                {
                  "name": "s",
                  "kind": "repository",
                  "owners": ["me"],
                  "certificates": [
                    { "fingerprint": "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899", "hashAlgorithm": "SHA256", "allowUntrustedRoot": false, "comment": "CN=Feed; seen on " }
                  ]
                }
              ]
            }

            """, File.ReadAllText(path));
    }

    [Fact]
    public void StarterPolicy_ReadsAsAPolicy_WithTheSignersAndExceptionsSeen()
    {
        var seen = new TrustOnFirstUseResult(
            [new("A", "1.0.0", null), new("B", "2.0.0", "b.nupkg")],
            [new SeenSigner(SignerKind.Author, Fp, "CN=Acme Widgets Test Signing, O=Acme", true, [], ["B 2.0.0"])],
            [new("A", "1.0.0", null)], [], []);
        var now = new DateTimeOffset(2026, 12, 1, 23, 0, 0, TimeSpan.Zero);
        var read = TrustPolicyReader.Read(Encoding.UTF8.GetBytes(TrustOnFirstUse.WritePolicy(seen, now)), "p.json");
        Assert.True(read.Succeeded, string.Join("\n", read.Errors));
        var policy = read.Policy!;
        Assert.Equal("acme-widgets-test-signing", policy.Signers.Single(s => s.Name != TrustPolicy.NuGetOrgSignerName).Name);
        var exception = Assert.Single(policy.Exceptions);
        Assert.Equal(new DateTimeOffset(2027, 3, 1, 0, 0, 0, TimeSpan.Zero), exception.Expires);
        Assert.Equal(TrustOnFirstUse.ReasonPlaceholder, exception.Reason);
        Assert.NotNull(policy.FindSigner(TrustPolicy.NuGetOrgSignerName));
    }

    [Fact]
    public void SdkLine_IsAddedAfterTheProjectTag_Once_AndAnotherVersionIsKeptWithoutForce()
    {
        string props = _temp.Combine("Directory.Build.props");
        File.WriteAllText(props, "<Project>\n    <PropertyGroup>\n        <Nullable>enable</Nullable>\n    </PropertyGroup>\n</Project>\n");
        Assert.Equal(SdkImportChange.Added, SdkImport.Ensure(props, "1.2.3", force: false));
        Assert.Equal("<Project>\n    <Sdk Name=\"BuildSigning\" Version=\"1.2.3\" />\n    <PropertyGroup>\n        <Nullable>enable</Nullable>\n    </PropertyGroup>\n</Project>\n", File.ReadAllText(props));
        Assert.Equal(SdkImportChange.AlreadyPresent, SdkImport.Ensure(props, "1.2.3", force: false));
        Assert.Equal(SdkImportChange.OtherVersionKept, SdkImport.Ensure(props, "2.0.0", force: false));
        Assert.Contains("Version=\"1.2.3\"", File.ReadAllText(props));
        Assert.Equal(SdkImportChange.VersionUpdated, SdkImport.Ensure(props, "2.0.0", force: true));
        Assert.Contains("<Sdk Name=\"BuildSigning\" Version=\"2.0.0\" />\n    <PropertyGroup>", File.ReadAllText(props));

        string created = _temp.Combine("Directory.Solution.targets");
        Assert.Equal(SdkImportChange.Created, SdkImport.Ensure(created, "1.2.3", force: false));
        Assert.Equal("<Project>\n  <Sdk Name=\"BuildSigning\" Version=\"1.2.3\" />\n</Project>\n", File.ReadAllText(created));
    }
}
