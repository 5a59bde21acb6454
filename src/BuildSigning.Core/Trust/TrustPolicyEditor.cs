using System.Text;
using System.Text.Json;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Json;

namespace BuildSigning.Core.Trust;

/// <summary>
/// Edits a trust policy file as text, so its comments, order, blank lines and indentation stay as the team wrote them: each
/// edit inserts or removes only the bytes of one entry, at positions the policy reader records for every value (where it
/// starts and ends). Every edit is checked by reading the edited text as a policy; an edit that would make the policy
/// invalid is refused and nothing is written.
/// </summary>
public sealed class TrustPolicyEditor
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];
    private readonly bool _byteOrderMark;
    private byte[] _text;

    private TrustPolicyEditor(string path, byte[] text, bool byteOrderMark, TrustPolicy policy)
    {
        Path = path;
        _text = text;
        _byteOrderMark = byteOrderMark;
        Policy = policy;
    }

    public string Path { get; }

    /// <summary>The policy as the current text reads (defaults included).</summary>
    public TrustPolicy Policy { get; private set; }

    /// <summary>The current text (without a byte order mark).</summary>
    public string Text => Encoding.UTF8.GetString(_text);

    public bool Changed { get; private set; }

    /// <summary>Opens a policy file for editing; a missing or invalid file is a coded error (nothing is edited in a file that does not read).</summary>
    public static TrustPolicyEditor Load(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw TrustEditErrors.TrustPolicyToEditNotFound(path);
        var read = TrustPolicyReader.ReadFile(path);
        if (!read.Succeeded) throw TrustEditErrors.TrustPolicyNotEditable(path, read.Errors[0].Formatted);
        byte[] bytes = File.ReadAllBytes(path);
        bool bom = bytes.AsSpan().StartsWith(ByteOrderMark);
        return new TrustPolicyEditor(path, UntrustedJson.WithoutByteOrderMark(bytes).ToArray(), bom, read.Policy!);
    }

    /// <summary>Writes the edited text (atomically, with the byte order mark the file had) when anything changed.</summary>
    public void Save()
    {
        if (!Changed) return;
        byte[] content = _byteOrderMark ? [.. ByteOrderMark, .. _text] : _text;
        AtomicFile.WriteAllBytes(Path, content);
    }

    /// <summary>
    /// Appends an entry (JSON text; several lines indented by two spaces per level) to a top-level array such as
    /// "trustedSigners" or "unsignedExceptions", creating the array when the file has none.
    /// </summary>
    public void AppendToRootArray(string field, string entryJson)
    {
        var root = Root();
        var existing = root.Fields.FirstOrDefault(f => f.Name == field);
        if (existing is null)
        {
            AppendMember(root.Offset, root.End, root.Fields.Count == 0 ? null : (root.Fields[^1].NameOffset, root.Fields[^1].Value.End),
                indent => $"{indent}{Quote(field)}: [\n{Indent(entryJson, indent + IndentUnit())}\n{indent}]");
            return;
        }
        if (existing.Value is not ArrayNode array) throw TrustEditErrors.TrustPolicyNotEditable(Path, $"'{field}' is not an array");
        AppendToArray(array, entryJson);
    }

    /// <summary>Appends a certificate entry to the "certificates" array of the signer named <paramref name="signerName"/>.</summary>
    public void AppendCertificate(string signerName, string certificateJson)
    {
        var signer = FindNamed("trustedSigners", signerName) ?? throw TrustEditErrors.TrustPolicyEntryNotFound(Path, signerName);
        var certificates = ((ObjectNode)signer.Item).Fields.FirstOrDefault(f => f.Name == "certificates")?.Value as ArrayNode
            ?? throw TrustEditErrors.TrustPolicyNotEditable(Path, $"the signer '{signerName}' has no 'certificates' array");
        AppendToArray(certificates, certificateJson);
    }

    /// <summary>
    /// Removes what <paramref name="name"/> names: the trusted signer or key of that name, or every unsigned exception, package
    /// rule and revocation whose id (or fingerprint, key id) it is. Returns a description of each entry removed.
    /// </summary>
    public IReadOnlyList<string> Remove(string name)
    {
        var removed = new List<string>();
        foreach (var (field, key, what) in new[]
        {
            ("trustedSigners", "name", "trusted signer"), ("trustedKeys", "name", "trusted key"), ("unsignedExceptions", "id", "unsigned exception"),
            ("packages", "id", "package rule"), ("revoked", "fingerprint", "revocation"), ("revoked", "keyId", "revocation"),
        })
        {
            while (FindNamed(field, name, key) is { } found)
            {
                RemoveItem(found.Array, found.Index);
                removed.Add($"{what} '{name}'");
            }
        }
        return removed;
    }

    // ----- positions and text

    private ObjectNode Root() =>
        TrustPolicyReader.ParseTree(_text) as ObjectNode ?? throw TrustEditErrors.TrustPolicyNotEditable(Path, "it is not a JSON object");

    private (ArrayNode Array, int Index, Node Item)? FindNamed(string field, string name, string key = "name")
    {
        if (Root().Fields.FirstOrDefault(f => f.Name == field)?.Value is not ArrayNode array) return null;
        for (int i = 0; i < array.Items.Count; i++)
        {
            if (array.Items[i] is ObjectNode entry
                && entry.Fields.FirstOrDefault(f => f.Name == key)?.Value is ValueNode { Type: JsonTokenType.String } value
                && string.Equals(Normalize(value.Text, key), Normalize(name, key), StringComparison.OrdinalIgnoreCase))
            {
                return (array, i, entry);
            }
        }
        return null;
    }

    private static string Normalize(string text, string key) =>
        key is "fingerprint" or "keyId" ? text.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal) : text;

    private void AppendToArray(ArrayNode array, string entryJson) =>
        AppendMember(array.Offset, array.End, array.Items.Count == 0 ? null : (array.Items[^1].Offset, array.Items[^1].End), indent => Indent(entryJson, indent));

    /// <summary>
    /// Inserts a member (array item or object field) at the end of the container that spans [open, end): after its last
    /// member's trailing comma or a new one, on a line of its own with the last member's indentation, before whatever
    /// comments close the container.
    /// </summary>
    private void AppendMember(long open, long end, (long Start, long End)? last, Func<string, string> member)
    {
        int close = (int)end - 1;
        int insertAt = close;
        while (insertAt > open + 1 && IsSpace(_text[insertAt - 1])) insertAt--;
        string containerIndent = LineIndent((int)open);
        var edits = new List<(int At, int Remove, string Insert)>();
        if (last is null)
        {
            // "[]", or "[ // a comment ... ]": the member goes on a line of its own, after the opening bracket and any comment.
            edits.Add((insertAt, close - insertAt, "\n" + member(containerIndent + IndentUnit()) + "\n" + containerIndent));
        }
        else
        {
            var (lastStart, lastEnd) = last.Value;
            string indent = StartsLine((int)lastStart) ? LineIndent((int)lastStart) : containerIndent + IndentUnit();
            int comma = NextSignificant((int)lastEnd);
            bool hasComma = comma < _text.Length && _text[comma] == (byte)',';
            if (!hasComma) edits.Add(((int)lastEnd, 0, ","));
            edits.Add((insertAt, 0, "\n" + member(indent) + (hasComma ? "," : "")));
            if (!HasNewline(insertAt, close)) edits[^1] = (insertAt, close - insertAt, edits[^1].Insert + "\n" + containerIndent);
        }
        Apply(edits);
    }

    /// <summary>Removes an array item with its comma, its own line(s) and a comment that ends its line.</summary>
    private void RemoveItem(ArrayNode array, int index)
    {
        var item = array.Items[index];
        int start = (int)item.Offset, end = (int)item.End;
        int after = SkipBlanks(end);
        bool hadComma = after < _text.Length && _text[after] == (byte)',';
        if (hadComma) after = SkipBlanks(after + 1);
        if (after + 1 < _text.Length && _text[after] == (byte)'/' && _text[after + 1] == (byte)'/')
        {
            while (after < _text.Length && _text[after] != (byte)'\n') after++;
        }
        var edits = new List<(int At, int Remove, string Insert)>();
        if (StartsLine(start) && (after >= _text.Length || _text[after] == (byte)'\n' || _text[after] == (byte)'\r'))
        {
            start = LineStart(start);
            if (after < _text.Length && _text[after] == (byte)'\r') after++;
            if (after < _text.Length && _text[after] == (byte)'\n') after++;
        }
        edits.Add((start, after - start, ""));
        if (!hadComma && index > 0)
        {
            // The last item goes: the one before it keeps no trailing comma of its own making.
            int comma = NextSignificant((int)array.Items[index - 1].End);
            if (comma < _text.Length && _text[comma] == (byte)',' && comma < start) edits.Add((comma, 1, ""));
        }
        Apply(edits);
    }

    private void Apply(List<(int At, int Remove, string Insert)> edits)
    {
        var text = new List<byte>(_text);
        // From the end, so earlier offsets stay valid; at the same offset the edit listed first ends up first in the text.
        foreach (var (at, remove, insert) in edits.Select((e, i) => (e, i)).OrderByDescending(x => x.e.At).ThenByDescending(x => x.i).Select(x => x.e))
        {
            text.RemoveRange(at, remove);
            text.InsertRange(at, Encoding.UTF8.GetBytes(insert));
        }
        byte[] edited = text.ToArray();
        var read = TrustPolicyReader.Read(edited, Path);
        if (!read.Succeeded) throw TrustEditErrors.TrustPolicyEditInvalid(Path, read.Errors[0].Formatted);
        _text = edited;
        Policy = read.Policy!;
        Changed = true;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private bool HasNewline(int from, int to)
    {
        for (int i = from; i < to; i++) if (_text[i] == (byte)'\n') return true;
        return false;
    }

    /// <summary>The next byte that is not white space or inside a comment.</summary>
    private int NextSignificant(int i)
    {
        while (i < _text.Length)
        {
            if (IsSpace(_text[i])) { i++; continue; }
            if (_text[i] == (byte)'/' && i + 1 < _text.Length && _text[i + 1] == (byte)'/')
            {
                while (i < _text.Length && _text[i] != (byte)'\n') i++;
                continue;
            }
            if (_text[i] == (byte)'/' && i + 1 < _text.Length && _text[i + 1] == (byte)'*')
            {
                int close = _text.AsSpan(i + 2).IndexOf("*/"u8);
                i = close < 0 ? _text.Length : i + 2 + close + 2;
                continue;
            }
            return i;
        }
        return i;
    }

    private int SkipBlanks(int i)
    {
        while (i < _text.Length && (_text[i] == (byte)' ' || _text[i] == (byte)'\t')) i++;
        return i;
    }

    private int LineStart(int offset)
    {
        while (offset > 0 && _text[offset - 1] != (byte)'\n') offset--;
        return offset;
    }

    private bool StartsLine(int offset)
    {
        for (int i = LineStart(offset); i < offset; i++) if (_text[i] != (byte)' ' && _text[i] != (byte)'\t') return false;
        return true;
    }

    private string LineIndent(int offset)
    {
        int start = LineStart(offset), i = start;
        while (i < _text.Length && (_text[i] == (byte)' ' || _text[i] == (byte)'\t')) i++;
        return Encoding.UTF8.GetString(_text, start, i - start);
    }

    /// <summary>The file's indentation step: the indentation of its first top-level field, else two spaces.</summary>
    private string IndentUnit()
    {
        var root = Root();
        if (root.Fields.Count > 0 && StartsLine((int)root.Fields[0].NameOffset))
        {
            string indent = LineIndent((int)root.Fields[0].NameOffset);
            if (indent.Length > 0) return indent;
        }
        return "  ";
    }

    /// <summary>Places an entry written with two spaces per level at <paramref name="indent"/>, one level being the file's own step.</summary>
    private string Indent(string json, string indent)
    {
        string unit = IndentUnit();
        return string.Join("\n", json.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(line =>
        {
            if (line.Length == 0) return line;
            int spaces = line.Length - line.TrimStart(' ').Length;
            return indent + string.Concat(Enumerable.Repeat(unit, spaces / 2)) + line[spaces..];
        }));
    }

    /// <summary>A JSON string literal (no escaping of non-ASCII letters, so names and reasons stay readable).</summary>
    public static string Quote(string value) =>
        JsonSerializer.Serialize(value, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
