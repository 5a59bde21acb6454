using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>
/// Seeded mutations of JSON documents, in the spirit of go-fuzz/libFuzzer on a JSON corpus: byte-level damage
/// (flips, truncation, random insertions, duplicated or deleted spans) and structural damage (a value swapped for
/// another JSON type, deep nesting, huge numbers, odd unicode escapes, garbage in base64 fields, stray tokens).
/// The same <see cref="Random"/> state always gives the same mutation, so a failing case replays from its seed.
/// </summary>
public static class JsonMutator
{
    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "false", "0", "-0", "1e999", "-1e-999",
        "18446744073709551616", "9999999999999999999999999999999999999999", "\"\\u0000\"", "\"\\uD800\"", "\"\\uDFFF\\uD800\"",
        "\"\\u00e9\"", "\"\\ud83d\\ude00\"", "\"x\":1,", "{\"a\":[]}", "//", "/*", "*/", "\u00ef\u00bb\u00bf", "\t", "\n",
        "\"mediaType\":", "\"_type\":", "\"version\":1,", "\"keyId\":", "\"signers\":[\"a\"]",
    ];

    /// <summary>Raw JSON text that may stand in for any value.</summary>
    private static readonly string[] Replacements =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e400", "-1e400", "1E+2", "123456789012345678901234567890",
        "2147483648", "-9223372036854775809", "0.0000000000000000000000000000001", "\"\"", "\" \"", "\"\\u0000\"",
        "\"\\uD800\"", "\"\\uDC00x\"", "\"\\u202e\\u0301\"", "\"\\ud83d\\ude00\"", "\"..\\\\..\\\\x\"", "\"../../etc/passwd\"",
        "{}", "[]", "[null]", "[[]]", "{\"\":null}", "[1,2,3]", "\"=\"", "\"====\"", "\"A\"", "\"AA\"", "\"AAA=\"",
        "\"!!!!\"", "\"QUJD\"", "\"QUJD\\n\"", "\" QUJD \"", "\"QU JD\"", "\"-_-_\"", "\"2027-02-30\"", "\"9999-12-31T23:59:59+14:00\"",
        "\"[1.0,\"", "\"*\"", "\".*\"", "\"A*B\"",
    ];

    /// <summary>Applies one to three mutations to <paramref name="seed"/>; <paramref name="applied"/> names them for the failure message.</summary>
    public static byte[] Mutate(byte[] seed, Random random, out string applied)
    {
        var bytes = seed;
        var names = new List<string>();
        int count = random.Next(1, 4);
        for (int i = 0; i < count; i++)
        {
            bytes = MutateOnce(bytes, random, out string name);
            names.Add(name);
        }
        applied = string.Join(" + ", names);
        return bytes;
    }

    private static byte[] MutateOnce(byte[] bytes, Random random, out string name)
    {
        switch (random.Next(12))
        {
            case 0: name = "flip a bit"; return FlipBit(bytes, random);
            case 1: name = "set a byte"; return SetByte(bytes, random);
            case 2: name = "truncate"; return bytes[..random.Next(bytes.Length + 1)];
            case 3: name = "insert random bytes"; return Insert(bytes, random, RandomBytes(random, random.Next(1, 9)));
            case 4: name = "insert a JSON token"; return Insert(bytes, random, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
            case 5: name = "duplicate a span"; return DuplicateSpan(bytes, random);
            case 6: name = "delete a span"; return DeleteSpan(bytes, random);
            default:
                byte[]? structural;
                try
                {
                    structural = Structural(bytes, random, out name);
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException or JsonException)
                {
                    name = "";
                    structural = null; // the tree holds text that System.Text.Json will not write back
                }
                if (structural is not null) return structural;
                name = "flip a bit (not JSON)";
                return FlipBit(bytes, random);
        }
    }

    private static byte[] FlipBit(byte[] bytes, Random random)
    {
        if (bytes.Length == 0) return bytes;
        var copy = (byte[])bytes.Clone();
        copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }

    private static byte[] SetByte(byte[] bytes, Random random)
    {
        if (bytes.Length == 0) return bytes;
        var copy = (byte[])bytes.Clone();
        copy[random.Next(copy.Length)] = (byte)random.Next(256);
        return copy;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var result = new byte[length];
        random.NextBytes(result);
        return result;
    }

    private static byte[] Insert(byte[] bytes, Random random, byte[] insertion)
    {
        int at = random.Next(bytes.Length + 1);
        return [.. bytes.AsSpan(0, at), .. insertion, .. bytes.AsSpan(at)];
    }

    private static byte[] DuplicateSpan(byte[] bytes, Random random)
    {
        if (bytes.Length == 0) return bytes;
        int start = random.Next(bytes.Length);
        int length = random.Next(1, Math.Min(bytes.Length - start, 256) + 1);
        int times = random.Next(4) == 0 ? random.Next(2, 200) : 1;
        byte[] span = bytes.AsSpan(start, length).ToArray();
        var repeated = Enumerable.Repeat(span, times).SelectMany(s => s).ToArray();
        return Insert(bytes, random, repeated);
    }

    private static byte[] DeleteSpan(byte[] bytes, Random random)
    {
        if (bytes.Length == 0) return bytes;
        int start = random.Next(bytes.Length);
        int length = random.Next(1, Math.Min(bytes.Length - start, 64) + 1);
        return [.. bytes.AsSpan(0, start), .. bytes.AsSpan(start + length)];
    }

    // ----- structural mutations: pick a value in the parsed tree, change it, write the tree back -----

    private const string Placeholder = "\u0001fuzz-placeholder\u0001";

    private static byte[]? Structural(byte[] bytes, Random random, out string name)
    {
        name = "";
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
        if (root is null) return null;

        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[random.Next(nodes.Count)];
        string replacement;
        switch (random.Next(8))
        {
            case 0:
                name = "swap a value's type";
                replacement = Replacements[random.Next(Replacements.Length)];
                break;
            case 1:
                name = "nest a value deeply";
                int depth = random.Next(2) == 0 ? random.Next(30, 70) : random.Next(500, 5000);
                bool arrays = random.Next(2) == 0;
                string inner = target.ToJsonString();
                replacement = arrays
                    ? new string('[', depth) + inner + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + inner + new string('}', depth);
                break;
            case 2:
                name = "put base64 garbage in a string";
                replacement = JsonSerializer.Serialize(Base64Garbage(random));
                break;
            case 3:
                name = "put odd characters in a string";
                replacement = OddString(target, random);
                break;
            case 4 when target is JsonObject obj && obj.Count > 0:
                name = "remove a field";
                obj.Remove(obj.ElementAt(random.Next(obj.Count)).Key);
                return Write(root, null, null);
            case 5 when target is JsonObject obj:
                name = "add a field";
                string field = random.Next(2) == 0 && obj.Count > 0 ? obj.ElementAt(random.Next(obj.Count)).Key : "unexpected";
                // Raw text, so that a repeated name really appears twice.
                replacement = "{" + string.Join(",", obj.Select(p => JsonSerializer.Serialize(p.Key) + ":" + (p.Value?.ToJsonString() ?? "null")).Append(JsonSerializer.Serialize(field) + ":" + Replacements[random.Next(Replacements.Length)])) + "}";
                break;
            case 6 when target is JsonArray array:
                name = "repeat array items";
                int times = random.Next(2) == 0 ? random.Next(2, 5) : random.Next(1000, 3000);
                var item = array.Count > 0 ? array[random.Next(array.Count)]?.ToJsonString() ?? "null" : Replacements[random.Next(Replacements.Length)];
                replacement = "[" + string.Join(",", array.Select(i => i?.ToJsonString() ?? "null").Concat(Enumerable.Repeat(item, times))) + "]";
                break;
            default:
                name = "swap a value's type";
                replacement = Replacements[random.Next(Replacements.Length)];
                break;
        }
        return Write(root, target, replacement);
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var property in obj) if (property.Value is not null) Collect(property.Value, nodes);
                break;
            case JsonArray array:
                foreach (var item in array) if (item is not null) Collect(item, nodes);
                break;
        }
    }

    /// <summary>Writes the tree with <paramref name="target"/> replaced by raw JSON text (which need not be valid).</summary>
    private static byte[] Write(JsonNode root, JsonNode? target, string? replacement)
    {
        if (target is null || replacement is null) return Encoding.UTF8.GetBytes(root.ToJsonString());
        if (ReferenceEquals(target, root)) return Encoding.UTF8.GetBytes(replacement);
        var placeholder = JsonValue.Create(Placeholder);
        switch (target.Parent)
        {
            case JsonObject parent: parent[target.GetPropertyName()] = placeholder; break;
            case JsonArray parent: parent[target.GetElementIndex()] = placeholder; break;
        }
        string text = root.ToJsonString();
        string quoted = JsonSerializer.Serialize(Placeholder);
        return Encoding.UTF8.GetBytes(text.Replace(quoted, replacement, StringComparison.Ordinal));
    }

    private static string Base64Garbage(Random random) => random.Next(6) switch
    {
        0 => Convert.ToBase64String(RandomBytes(random, random.Next(0, 200))),
        1 => Convert.ToBase64String(RandomBytes(random, random.Next(1, 200))).TrimEnd('='),
        2 => Convert.ToBase64String(RandomBytes(random, random.Next(1, 200))).Replace('+', '-').Replace('/', '_'),
        3 => new string('A', random.Next(1, 9)) + "=" + new string('A', random.Next(1, 5)),
        4 => "%%%" + Convert.ToBase64String(RandomBytes(random, 12)),
        _ => Convert.ToBase64String(Encoding.UTF8.GetBytes(new string((char)random.Next(32, 127), random.Next(1, 64)))),
    };

    private static string OddString(JsonNode target, Random random)
    {
        string text = target.GetValueKind() == JsonValueKind.String ? target.GetValue<string>() : target.ToJsonString();
        int at = random.Next(text.Length + 1);
        string odd = random.Next(7) switch
        {
            0 => "\\u0000",
            1 => "\\uD800",
            2 => "\\uDC00",
            3 => "\\u202E",
            4 => "\\n\\r\\t",
            5 => "\\u00",
            _ => new string('x', random.Next(1000, 100_000)),
        };
        return "\"" + Escape(text[..at]) + odd + Escape(text[at..]) + "\"";
    }

    private static string Escape(string text) => JsonSerializer.Serialize(text)[1..^1];
}
