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

public sealed class AuditLogTransparencyTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-audit-tlog");
    private readonly RekorTestLog _log = new();

    public void Dispose()
    {
        _log.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Logged_indexes_are_proven_by_the_bundles_and_a_changed_index_is_BS7024()
    {
        using var key = TestKeys.LoadSigningKey(_temp, TestKeyKind.EcdsaP256);
        string log = _temp.Combine("audit.jsonl");
        var recorder = new SigningRecorder { AuditLogPath = log, TransparencyLogUrl = _log.Url, Context = new SigningContext("publish") };
        for (int i = 0; i < 3; i++)
        {
            string bundle = _temp.Combine($"b{i}.sigstore.json");
            File.WriteAllBytes(bundle, AttestationSigner.SignStatement(new InTotoStatement([new Subject("a", new string('a', 64))], "https://example.com/p", new()), key, recorder: recorder, bundlePath: bundle).ToJsonBytes());
        }
        var records = AuditLog.Verify(log);
        Assert.Equal((3, 0), AuditLogTransparency.Verify(log, records, [_log.PublicKey]));

        // Rewrite line 2 with another index (and re-chain everything after it, as a careful forger would).
        var lines = File.ReadAllLines(log);
        lines[1] = lines[1].Replace("\"tlogIndex\":1", "\"tlogIndex\":7", StringComparison.Ordinal);
        File.WriteAllText(log, string.Join("\n", lines) + "\n");
        var e = Assert.Throws<BuildSigningException>(() => AuditLogTransparency.Verify(log, AuditLogParse(log), [_log.PublicKey]));
        Assert.Equal("BS7024", e.Diagnostic.Code);
        Assert.Contains("Line 2", e.Message);
    }

    /// <summary>The records without the chain check (the chain is broken on purpose above).</summary>
    private static IReadOnlyList<AuditRecord> AuditLogParse(string path) =>
        File.ReadAllLines(path).Select((l, i) => new AuditRecord(i + 1, i + 1, (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(l)!)).ToArray();
}
