using System.Text;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Transparency;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Transparency;

public sealed class AuditLogTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-audit");

    public void Dispose() => _temp.Dispose();

    private string LogPath => _temp.Combine("audit.jsonl");

    private void Sign(SigningKey key, int count)
    {
        var recorder = new SigningRecorder { AuditLogPath = LogPath, Context = new SigningContext("publish", "App.csproj", "Release", new string('c', 40), "https://example.com/builder") };
        for (int i = 0; i < count; i++)
        {
            AttestationSigner.SignStatement(new InTotoStatement([new Subject("a", new string('a', 64))], "https://example.com/p", new()), key, recorder: recorder, bundlePath: $"b{i}.sigstore.json");
        }
    }

    [Fact]
    public void Appended_lines_chain_and_verify()
    {
        using var key = TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP256);
        Sign(key, 3);
        var records = AuditLog.Verify(LogPath, [key.PublicKey]);
        Assert.Equal(3, records.Count);
        Assert.All(records, r => Assert.Equal(key.Id.Hex, r.Text("keyId")));
        Assert.Equal("publish", records[0].Text("event"));
        Assert.Equal(new string('c', 40), records[2].Text("commit"));
        Assert.Null(records[0].Json["previous"]);
    }

    [Theory]
    [InlineData("delete-first", 1)]
    [InlineData("delete-middle", 2)]
    [InlineData("edit-middle", 3)]
    [InlineData("swap", 1)]
    public void Deleted_edited_or_reordered_lines_break_the_chain_at_a_named_line(string change, int badLine)
    {
        using var key = TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP256);
        Sign(key, 3);
        var lines = File.ReadAllLines(LogPath).ToList();
        switch (change)
        {
            case "delete-first": lines.RemoveAt(0); break;
            case "delete-middle": lines.RemoveAt(1); break;
            case "edit-middle": lines[1] = lines[1].Replace("Release", "Debug", StringComparison.Ordinal); break;
            case "swap": (lines[0], lines[1]) = (lines[1], lines[0]); break;
        }
        File.WriteAllText(LogPath, string.Join("\n", lines) + "\n");
        var e = Assert.Throws<BuildSigningException>(() => AuditLog.Verify(LogPath));
        Assert.Equal("BS7022", e.Diagnostic.Code);
        Assert.Contains($"at line {badLine}:", e.Message);
    }

    [Fact]
    public void An_edit_of_the_last_line_is_caught_by_its_signature()
    {
        using var key = TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP256);
        Sign(key, 2);
        var lines = File.ReadAllLines(LogPath);
        lines[1] = lines[1].Replace("Release", "Debug", StringComparison.Ordinal);
        File.WriteAllText(LogPath, string.Join("\n", lines) + "\n");
        AuditLog.Verify(LogPath); // the chain alone cannot see it
        var e = Assert.Throws<BuildSigningException>(() => AuditLog.Verify(LogPath, [key.PublicKey]));
        Assert.Contains("at line 2:", e.Message);
    }

    [Fact]
    public void Parallel_appends_from_many_threads_keep_one_chain()
    {
        using var key = TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP256);
        Parallel.For(0, 8, _ => Sign(key, 5));
        Assert.Equal(40, AuditLog.Verify(LogPath, [key.PublicKey]).Count);
    }
}
