using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;

namespace BuildSigning.Core.Tests.Attestations;

public sealed class InTotoStatementTests
{
    private const string DigestA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string DigestB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static InTotoStatement Sample() => new(
        [new Subject("app.dll", DigestA), new Subject("sub/dir/data.json", DigestB)],
        "https://example.com/predicate/v1",
        new JsonObject { ["kind"] = "build", ["nested"] = new JsonObject { ["n"] = 1, ["list"] = new JsonArray("x", "y") } });

    [Fact]
    public void Serializes_exactly_the_four_standard_fields_in_order()
    {
        using var document = JsonDocument.Parse(Sample().ToJsonBytes());

        Assert.Equal(["_type", "subject", "predicateType", "predicate"], document.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("https://in-toto.io/Statement/v1", document.RootElement.GetProperty("_type").GetString());
        Assert.Equal("https://example.com/predicate/v1", document.RootElement.GetProperty("predicateType").GetString());
        var subjects = document.RootElement.GetProperty("subject").EnumerateArray().ToArray();
        Assert.Equal(2, subjects.Length);
        Assert.Equal("sub/dir/data.json", subjects[1].GetProperty("name").GetString());
        Assert.Equal(["name", "digest"], subjects[1].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["sha256"], subjects[1].GetProperty("digest").EnumerateObject().Select(p => p.Name));
        Assert.Equal(DigestB, subjects[1].GetProperty("digest").GetProperty("sha256").GetString());
        Assert.Equal(1, document.RootElement.GetProperty("predicate").GetProperty("nested").GetProperty("n").GetInt32());
    }

    [Fact]
    public void Equal_statements_serialize_to_equal_bytes()
    {
        byte[] first = Sample().ToJsonBytes();
        byte[] second = Sample().ToJsonBytes();
        var statement = Sample();

        Assert.Equal(first, second);
        Assert.Equal(statement.ToJsonBytes(), statement.ToJsonBytes());
    }

    [Fact]
    public void Different_statements_serialize_differently()
    {
        var other = Sample() with { Subjects = [new Subject("app.dll", DigestB)] };
        Assert.NotEqual(Sample().ToJsonBytes(), other.ToJsonBytes());
    }

    [Fact]
    public void Round_trips_through_TryParse()
    {
        var original = Sample();

        var parsed = InTotoStatement.TryParse(original.ToJsonBytes(), out string reason);

        Assert.NotNull(parsed);
        Assert.Equal("", reason);
        Assert.Equal(original.Subjects, parsed!.Subjects);
        Assert.Equal(original.PredicateType, parsed.PredicateType);
        Assert.True(JsonNode.DeepEquals(original.Predicate, parsed.Predicate));
        Assert.Equal(original.ToJsonBytes(), parsed.ToJsonBytes());
    }

    [Fact]
    public void Non_ascii_subject_names_round_trip()
    {
        var statement = new InTotoStatement([new Subject("dossier/fichier é €.txt", DigestA)], "t", new JsonObject());
        var parsed = InTotoStatement.TryParse(statement.ToJsonBytes(), out _);
        Assert.Equal("dossier/fichier é €.txt", parsed!.Subjects[0].Name);
    }

    private static InTotoStatement? Parse(string json, out string reason) => InTotoStatement.TryParse(Encoding.UTF8.GetBytes(json), out reason);

    private const string ValidSubject = "[{\"name\":\"a\",\"digest\":{\"sha256\":\"" + DigestA + "\"}}]";

    [Fact]
    public void Accepts_a_minimal_hand_written_statement()
    {
        var parsed = Parse("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":" + ValidSubject + ",\"predicateType\":\"p\",\"predicate\":{}}", out _);
        Assert.NotNull(parsed);
        Assert.Equal("a", Assert.Single(parsed!.Subjects).Name);
    }

    [Fact]
    public void Rejects_an_unknown_top_level_field()
    {
        var parsed = Parse("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":" + ValidSubject + ",\"predicateType\":\"p\",\"predicate\":{},\"extra\":1}", out string reason);
        Assert.Null(parsed);
        Assert.Contains("extra", reason);
    }

    [Theory]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"p\",\"predicate\":{}}")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[],\"predicateType\":\"p\",\"predicate\":{}}")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":{},\"predicateType\":\"p\",\"predicate\":{}}")]
    public void Rejects_missing_or_empty_subjects(string json)
    {
        Assert.Null(Parse(json, out string reason));
        Assert.Contains("subject", reason);
    }

    [Theory]
    [InlineData("[{\"digest\":{\"sha256\":\"" + DigestA + "\"}}]")]
    [InlineData("[{\"name\":\"a\",\"digest\":{\"sha512\":\"" + DigestA + "\"}}]")]
    [InlineData("[{\"name\":\"a\",\"digest\":{\"sha256\":\"abc\"}}]")]
    [InlineData("[{\"name\":\"a\",\"digest\":{\"sha256\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"}}]")]
    [InlineData("[{\"name\":1,\"digest\":{\"sha256\":\"" + DigestA + "\"}}]")]
    [InlineData("[null]")]
    public void Rejects_bad_subjects(string subjects)
    {
        Assert.Null(Parse("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":" + subjects + ",\"predicateType\":\"p\",\"predicate\":{}}", out string reason));
        Assert.NotEmpty(reason);
    }

    [Theory]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":" + ValidSubject + ",\"predicateType\":\"p\",\"predicate\":{}}")]
    [InlineData("{\"subject\":" + ValidSubject + ",\"predicateType\":\"p\",\"predicate\":{}}")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":" + ValidSubject + ",\"predicate\":{}}")]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("")]
    public void Rejects_other_malformed_statements(string json)
    {
        Assert.Null(Parse(json, out string reason));
        Assert.NotEmpty(reason);
    }

    [Theory]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":" + ValidSubject + ",\"predicateType\":\"p\",\"predicate\":{}}")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"a\",\"name\":\"b\",\"digest\":{\"sha256\":\"" + DigestA + "\"}}],\"predicateType\":\"p\",\"predicate\":{}}")]
    [InlineData("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":" + ValidSubject + ",\"predicateType\":\"p\",\"predicate\":{\"k\":1,\"k\":2}}")]
    public void Duplicate_keys_are_rejected_not_thrown(string json)
    {
        // Duplicate keys make a statement mean different things to different parsers.
        Assert.Null(Parse(json, out string reason));
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void Uppercase_digest_is_normalized_to_lowercase()
    {
        var parsed = Parse("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":\"" + DigestB.ToUpperInvariant() + "\"}}],\"predicateType\":\"p\",\"predicate\":{}}", out _);
        Assert.Equal(DigestB, parsed!.Subjects[0].Sha256Hex);
    }

    // Inputs the fuzz tests (Fuzzing/InTotoStatementFuzzTests) found throwing InvalidOperationException, or parsing into a
    // statement that could not be written back. '~' stands for the byte 0x86, which is not UTF-8 on its own.
    [Theory]
    [InlineData("[\"\"]", "p", "{}")]
    [InlineData("[{\"name\":\"My App.exe\",\"digest\":\"AAAA=AAAA\"}]", "p", "{}")]
    [InlineData("[{\"name\":\"a\",\"digest\":[\"" + DigestA + "\"]}]", "p", "{}")]
    [InlineData(ValidSubject, "https://slsa.dev/proven~nce/v1", "{}")]
    [InlineData("[{\"name\":\"lib/n~t10.0/x.dll\",\"digest\":{\"sha256\":\"" + DigestA + "\"}}]", "p", "{}")]
    [InlineData(ValidSubject, "p", "{\"digest\":{\"sha512\":\"00f\\uDC00f\"}}")]
    [InlineData(ValidSubject, "p", "{\"\\uD800\":1}")]
    public void Malformed_values_and_text_are_a_reason_not_an_exception(string subjects, string predicateType, string predicate)
    {
        string json = $"{{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":{subjects},\"predicateType\":\"{predicateType}\",\"predicate\":{predicate}}}";
        byte[] bytes = Encoding.UTF8.GetBytes(json).Select(b => b == (byte)'~' ? (byte)0x86 : b).ToArray();

        Assert.Null(InTotoStatement.TryParse(bytes, out string reason));
        Assert.NotEmpty(reason);
    }

    [Fact]
    public void A_byte_order_mark_before_a_signed_statement_is_refused()
    {
        // Strict verifiers (sigstore-go, cosign) refuse it; accepting it would let the same signed bytes pass here and fail there.
        byte[] json = [0xEF, 0xBB, 0xBF, .. Sample().ToJsonBytes()];

        Assert.Null(InTotoStatement.TryParse(json, out string reason));
        Assert.NotEmpty(reason);
    }
}
