using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BuildSigning.Core.Transparency;

/// <summary>
/// RFC 8785 (JCS) canonical JSON for the documents a transparency log signs: object members sorted by their UTF-16 code
/// units, no whitespace, strings escaped minimally. Numbers must be integers (Rekor's bodies and SET payloads hold no others).
/// </summary>
public static class CanonicalJson
{
    /// <summary>How BuildSigning reads JSON from a log or an audit file: a repeated member is an error, not a choice.</summary>
    public static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    public static byte[] Serialize(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(node, text);
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Write(JsonNode? node, StringBuilder text)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                text.Append('{');
                bool first = true;
                foreach (var (name, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) text.Append(',');
                    first = false;
                    WriteString(name, text);
                    text.Append(':');
                    Write(value, text);
                }
                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    Write(array[i], text);
                }
                text.Append(']');
                break;
            default:
                switch (node.GetValueKind())
                {
                    case JsonValueKind.String: WriteString(node.GetValue<string>(), text); break;
                    case JsonValueKind.True: text.Append("true"); break;
                    case JsonValueKind.False: text.Append("false"); break;
                    case JsonValueKind.Number:
                        text.Append(node.AsValue().TryGetValue(out long l) ? l.ToString(CultureInfo.InvariantCulture)
                            : decimal.Parse(node.ToJsonString(), CultureInfo.InvariantCulture) is var d && d == decimal.Truncate(d)
                                ? ((long)d).ToString(CultureInfo.InvariantCulture)
                                : throw new FormatException("canonical JSON here holds integers only"));
                        break;
                    default: text.Append("null"); break;
                }
                break;
        }
    }

    private static void WriteString(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (c < 0x20) text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else text.Append(c);
                    break;
            }
        }
        text.Append('"');
    }
}
