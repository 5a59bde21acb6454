using System.Text.Json;
using System.Text.Json.Nodes;
using BuildSigning.Core.Json;

namespace BuildSigning.Core.Attestations;

/// <summary>An in-toto subject: a name (a relative path with '/' separators) and its SHA-256.</summary>
public sealed record Subject(string Name, string Sha256Hex);

/// <summary>in-toto Statement v1. Serialized with exactly the four standard fields, in a fixed order, so equal statements are equal bytes.</summary>
public sealed record InTotoStatement(IReadOnlyList<Subject> Subjects, string PredicateType, JsonObject Predicate)
{
    public const string Type = "https://in-toto.io/Statement/v1";
    public const string PayloadType = "application/vnd.in-toto+json";

    /// <summary>Strict verifiers (sigstore-go, cosign) refuse statements with more subjects than this.</summary>
    public const int MaxSubjects = 1024;

    public byte[] ToJsonBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("_type", Type);
            writer.WriteStartArray("subject");
            foreach (var subject in Subjects)
            {
                writer.WriteStartObject();
                writer.WriteString("name", subject.Name);
                writer.WriteStartObject("digest");
                writer.WriteString("sha256", subject.Sha256Hex);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteString("predicateType", PredicateType);
            writer.WritePropertyName("predicate");
            Predicate.WriteTo(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>Parses a statement; returns null with a reason when it is not a well-formed in-toto v1 statement.</summary>
    public static InTotoStatement? TryParse(ReadOnlySpan<byte> json, out string reason)
    {
        reason = "";
        if (UntrustedJson.FindInvalidText(json) is { } invalidText)
        {
            reason = $"the statement is not valid JSON text ({UntrustedJson.InvalidTextReason(invalidText)})";
            return null;
        }
        JsonNode? root;
        try
        {
            // Duplicate keys would let two parsers read different statements from the same signed bytes.
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            reason = $"the statement is not JSON ({e.Message})";
            return null;
        }
        if (root is not JsonObject obj) { reason = "the statement is not a JSON object"; return null; }
        if (Text(obj["_type"]) != Type)
        {
            reason = $"the statement's _type is not '{Type}'";
            return null;
        }
        foreach (var property in obj)
        {
            if (property.Key is not ("_type" or "subject" or "predicateType" or "predicate"))
            {
                reason = $"the statement has an unknown field '{property.Key}'";
                return null;
            }
        }
        if (obj["subject"] is not JsonArray subjectArray || subjectArray.Count == 0)
        {
            reason = "the statement has no subjects";
            return null;
        }
        var subjects = new List<Subject>(subjectArray.Count);
        foreach (var item in subjectArray)
        {
            var subject = item as JsonObject;
            string? name = Text(subject?["name"]);
            string? sha256 = Text((subject?["digest"] as JsonObject)?["sha256"]);
            if (name is null || sha256 is null || sha256.Length != 64 || !Hex.TryParse(sha256, out _))
            {
                reason = "a subject lacks a name or a SHA-256 digest";
                return null;
            }
            subjects.Add(new Subject(name, sha256.ToLowerInvariant()));
        }
        if (Text(obj["predicateType"]) is not { } predicateType)
        {
            reason = "the statement has no predicateType";
            return null;
        }
        var predicate = obj["predicate"] as JsonObject ?? new JsonObject();
        predicate = (JsonObject)predicate.DeepClone();
        return new InTotoStatement(subjects, predicateType, predicate);
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
}
