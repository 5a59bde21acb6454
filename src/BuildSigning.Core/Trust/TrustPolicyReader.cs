using System.Globalization;
using System.Text;
using System.Text.Json;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Json;
using BuildSigning.Core.Keys;
using NuGet.Versioning;

namespace BuildSigning.Core.Trust;

/// <summary>The outcome of reading a policy: the policy, or every error found (then <see cref="Policy"/> is null).</summary>
public sealed record TrustPolicyReadResult(TrustPolicy? Policy, IReadOnlyList<Diagnostic> Errors)
{
    public bool Succeeded => Policy is not null && Errors.Count == 0;

    /// <summary>The policy, or a <see cref="BuildSigningException"/> for the first error.</summary>
    public TrustPolicy GetPolicyOrThrow() => Succeeded ? Policy! : throw new BuildSigningException(Errors[0]);
}

/// <summary>
/// Reads a trust policy file (schema in docs/trust-policy.md): strict JSON (comments and trailing commas allowed), every
/// field known, every value validated, each error with its line and column. A policy with any error is not returned.
/// </summary>
public static class TrustPolicyReader
{
    /// <summary>Reads the file at <paramref name="path"/>. A missing file is an error: callers pass only files that should exist.</summary>
    public static TrustPolicyReadResult ReadFile(string path)
    {
        path = Path.GetFullPath(path);
        if (!File.Exists(path)) return Fail(Errors.TrustPolicyFileNotFound(path).Diagnostic);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(Errors.TrustPolicyFileUnreadable(path, e).Diagnostic);
        }
        return Read(bytes, path);
    }

    /// <summary>Reads policy JSON; <paramref name="source"/> names it in messages and anchors relative paths (publicKeyFile).</summary>
    public static TrustPolicyReadResult Read(ReadOnlySpan<byte> json, string source)
    {
        // Editors that save "UTF-8 with signature" (Visual Studio, Notepad, PowerShell 5) start the file with a byte order mark.
        var context = new Context(UntrustedJson.WithoutByteOrderMark(json).ToArray(), source);
        Node root;
        try
        {
            var reader = new Utf8JsonReader(context.Bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read()) throw new JsonException("the file is empty", null, 0, 0);
            root = ReadNode(ref reader, context);
            if (reader.Read()) throw new JsonException("there is more after the end of the policy object", null, null, null);
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1, column = (e.BytePositionInLine ?? 0) + 1;
            string message = e.Message;
            int position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (position > 0) message = message[..position];
            return Fail(Errors.TrustPolicyJsonInvalid(source, line, column, message).Diagnostic);
        }
        catch (DuplicateFieldException e)
        {
            var (line, column) = context.Position(e.Offset);
            return Fail(Errors.TrustPolicyInvalidValue(source, line, column, $"the field '{e.Name}' appears twice.").Diagnostic);
        }
        catch (InvalidTextException e)
        {
            var (line, column) = context.Position(e.Offset);
            return Fail(Errors.TrustPolicyJsonInvalid(source, line, column, "this string is not valid UTF-8 or holds an unpaired surrogate escape (\\uD800-\\uDFFF); save the file as UTF-8").Diagnostic);
        }

        var policy = new PolicyBuilder(context).Build(root);
        return context.Errors.Count > 0 ? new TrustPolicyReadResult(null, context.Errors) : new TrustPolicyReadResult(policy, []);
    }

    /// <summary>
    /// The policy file that applies to a project: the nearest <see cref="TrustPolicy.DefaultFileName"/> in the project
    /// directory or any directory above it, or null when there is none (then the built-in policy applies).
    /// </summary>
    public static string? FindPolicyFile(string projectDirectory)
    {
        for (var directory = new DirectoryInfo(Path.GetFullPath(projectDirectory)); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, TrustPolicy.DefaultFileName);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>
    /// The policy for a project: the explicitly named file (missing: error), else the nearest file found by walking up from
    /// the project directory, else <see cref="TrustPolicy.Default"/>.
    /// </summary>
    public static TrustPolicyReadResult Resolve(string? explicitPolicyPath, string projectDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitPolicyPath))
        {
            string full = Path.GetFullPath(explicitPolicyPath, projectDirectory);
            return File.Exists(full)
                ? ReadFile(full)
                : Fail(Errors.TrustPolicyFileNotFound(full).Diagnostic);
        }
        string? found = FindPolicyFile(projectDirectory);
        return found is null ? new TrustPolicyReadResult(TrustPolicy.Default, []) : ReadFile(found);
    }

    /// <summary>
    /// The effective policy for a project, as restore-time verification uses it: <see cref="Resolve(string?, string)"/>, then the
    /// MSBuild items merged in (<see cref="TrustPolicyMerger"/>). Errors from either mean: stop, verify nothing.
    /// </summary>
    public static TrustPolicyReadResult Resolve(string? explicitPolicyPath, string projectDirectory, TrustPolicyItems? items)
    {
        var read = Resolve(explicitPolicyPath, projectDirectory);
        return read.Policy is null || items is null ? read : TrustPolicyMerger.Merge(read.Policy, items, projectDirectory);
    }

    private static TrustPolicyReadResult Fail(Diagnostic error) => new(null, [error]);

    /// <summary>
    /// The JSON tree of policy text (without a byte order mark) with the offsets where each value starts and ends, for
    /// text-level edits that keep comments and layout; null when the text is not JSON the reader accepts.
    /// </summary>
    internal static Node? ParseTree(byte[] json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read()) return null;
            var root = ReadNode(ref reader, new Context(json, ""));
            return reader.Read() ? null : root;
        }
        catch (Exception e) when (e is JsonException or DuplicateFieldException or InvalidTextException)
        {
            return null;
        }
    }

    // ----- a small JSON tree that remembers where each value starts -----

    internal abstract record Node(long Offset)
    {
        public abstract string KindName { get; }

        /// <summary>The byte offset just past the value (after its closing bracket or quote); used by <see cref="TrustPolicyEditor"/>.</summary>
        public long End { get; init; }
    }

    internal sealed record ObjectNode(long Offset, IReadOnlyList<Field> Fields) : Node(Offset)
    {
        public override string KindName => "an object";
    }

    internal sealed record Field(string Name, long NameOffset, Node Value);

    internal sealed record ArrayNode(long Offset, IReadOnlyList<Node> Items) : Node(Offset)
    {
        public override string KindName => "an array";
    }

    internal sealed record ValueNode(long Offset, JsonTokenType Type, string Text) : Node(Offset)
    {
        public override string KindName => Type switch
        {
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            _ => "null",
        };
    }

    private sealed class DuplicateFieldException(string name, long offset) : Exception(name)
    {
        public string Name { get; } = name;
        public long Offset { get; } = offset;
    }

    private sealed class InvalidTextException(long offset) : Exception
    {
        public long Offset { get; } = offset;
    }

    /// <summary>The current string or property name; System.Text.Json checks its UTF-8 and escapes only now, not when it reads the token.</summary>
    private static string Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new InvalidTextException(reader.TokenStartIndex);
        }
    }

    private static Node ReadNode(ref Utf8JsonReader reader, Context context)
    {
        long offset = reader.TokenStartIndex;
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var fields = new List<Field>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    string name = Text(ref reader);
                    long nameOffset = reader.TokenStartIndex;
                    if (!names.Add(name)) throw new DuplicateFieldException(name, nameOffset);
                    reader.Read();
                    fields.Add(new Field(name, nameOffset, ReadNode(ref reader, context)));
                }
                return new ObjectNode(offset, fields) { End = reader.BytesConsumed };
            }
            case JsonTokenType.StartArray:
            {
                var items = new List<Node>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadNode(ref reader, context));
                return new ArrayNode(offset, items) { End = reader.BytesConsumed };
            }
            case JsonTokenType.String:
                return new ValueNode(offset, JsonTokenType.String, Text(ref reader)) { End = reader.BytesConsumed };
            default:
                return new ValueNode(offset, reader.TokenType, Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray())) { End = reader.BytesConsumed };
        }
    }

    private sealed class Context(byte[] bytes, string source)
    {
        public byte[] Bytes { get; } = bytes;
        public string Source { get; } = source;
        public List<Diagnostic> Errors { get; } = [];

        private int[]? _lineStarts;

        /// <summary>
        /// 1-based line and column (in characters) of a byte offset. The lines are indexed once: a policy with thousands of
        /// errors must not be read from the start for each of them.
        /// </summary>
        public (long Line, long Column) Position(long offset)
        {
            _lineStarts ??= LineStarts(Bytes);
            int end = (int)Math.Clamp(offset, 0, Bytes.Length);
            int index = System.Array.BinarySearch(_lineStarts, end);
            int line = index >= 0 ? index : ~index - 1;
            var text = Bytes.AsSpan(_lineStarts[line], end - _lineStarts[line]);
            int characters = System.Text.Ascii.IsValid(text) ? text.Length : text.Length - CountContinuationBytes(text);
            return (line + 1, characters + 1);
        }

        private static int[] LineStarts(byte[] bytes)
        {
            var starts = new List<int> { 0 };
            for (int i = 0; i < bytes.Length;)
            {
                int newline = bytes.AsSpan(i).IndexOf((byte)'\n');
                if (newline < 0) break;
                i += newline + 1;
                starts.Add(i);
            }
            return [.. starts];
        }

        private static int CountContinuationBytes(ReadOnlySpan<byte> text)
        {
            int count = 0;
            foreach (byte b in text) if ((b & 0xC0) == 0x80) count++;
            return count;
        }

        public void Invalid(Node node, string reason) => Invalid(node.Offset, reason);

        public void Invalid(long offset, string reason)
        {
            var (line, column) = Position(offset);
            Errors.Add(Diagnostics.Errors.TrustPolicyInvalidValue(Source, line, column, reason).Diagnostic);
        }

        public void Add(long offset, Func<long, long, BuildSigningException> error)
        {
            var (line, column) = Position(offset);
            Errors.Add(error(line, column).Diagnostic);
        }
    }

    // ----- schema -----

    private sealed class PolicyBuilder(Context context)
    {
        private static readonly string[] RootFields = ["$schema", "version", "mode", "includeDefaultSigners", "trustedSigners", "trustedKeys", "packages", "unsignedExceptions", "revoked"];
        private static readonly string[] SignerFields = ["name", "kind", "certificates", "owners", "comment"];
        private static readonly string[] CertificateFields = ["fingerprint", "hashAlgorithm", "allowUntrustedRoot", "notBefore", "notAfter", "comment"];
        private static readonly string[] KeyFields = ["name", "publicKey", "publicKeyFile", "keyId", "comment"];
        private static readonly string[] RuleFields = ["id", "signers", "reason"];
        private static readonly string[] ExceptionFields = ["id", "versions", "reason", "expires"];
        private static readonly string[] RevocationFields = ["fingerprint", "hashAlgorithm", "keyId", "revokedOn", "reason"];

        public TrustPolicy? Build(Node root)
        {
            if (root is not ObjectNode rootObject)
            {
                context.Invalid(root, $"the policy must be a JSON object, not {root.KindName}.");
                return null;
            }
            var fields = Fields(rootObject, RootFields, "the policy");

            if (!fields.TryGetValue("version", out var versionNode))
            {
                context.Invalid(root, $"the field 'version' is required; add \"version\": {TrustPolicy.CurrentVersion}.");
            }
            else if (versionNode is not ValueNode { Type: JsonTokenType.Number } v || !int.TryParse(v.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int version))
            {
                context.Invalid(versionNode, $"'version' must be the number {TrustPolicy.CurrentVersion}.");
            }
            else if (version != TrustPolicy.CurrentVersion)
            {
                context.Invalid(versionNode, $"policy version {version} is not supported; this BuildSigning reads version {TrustPolicy.CurrentVersion}. Use version {TrustPolicy.CurrentVersion} or update BuildSigning.");
            }

            var mode = TrustMode.Enforce;
            if (fields.TryGetValue("mode", out var modeNode) && String(modeNode, "mode") is { } modeText)
            {
                if (!TryParseMode(modeText, out mode)) context.Invalid(modeNode, $"'mode' must be \"enforce\" or \"audit\", not \"{modeText}\".");
            }

            bool includeDefaults = !fields.TryGetValue("includeDefaultSigners", out var includeNode) || (Bool(includeNode, "includeDefaultSigners") ?? true);

            var signers = new List<TrustedSigner>();
            var names = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            foreach (var node in Array(fields, "trustedSigners"))
            {
                if (Signer(node) is { } signer && Unique(names, signer.Name, node)) signers.Add(signer);
            }
            var keys = new List<TrustedKey>();
            foreach (var node in Array(fields, "trustedKeys"))
            {
                if (Key(node) is { } key && Unique(names, key.Name, node)) keys.Add(key);
            }
            if (includeDefaults && !signers.Any(s => string.Equals(s.Name, TrustPolicy.NuGetOrgSignerName, StringComparison.OrdinalIgnoreCase))
                && !names.ContainsKey(TrustPolicy.NuGetOrgSignerName))
            {
                signers.Insert(0, TrustPolicy.NuGetOrgSigner);
            }

            var known = new HashSet<string>(signers.Select(s => s.Name).Concat(keys.Select(k => k.Name)), StringComparer.OrdinalIgnoreCase);
            var rules = new List<PackageRule>();
            var ruleIds = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            foreach (var node in Array(fields, "packages"))
            {
                if (Rule(node, known) is { } rule)
                {
                    if (ruleIds.ContainsKey(rule.Id.Text)) context.Invalid(node, $"there is already a rule for '{rule.Id.Text}'; merge the two.");
                    else { ruleIds[rule.Id.Text] = node.Offset; rules.Add(rule); }
                }
            }
            var exceptions = Array(fields, "unsignedExceptions").Select(Exception).OfType<UnsignedException>().ToList();
            var revocations = Array(fields, "revoked").Select(Revocation).OfType<Revocation>().ToList();

            return context.Errors.Count > 0 ? null : new TrustPolicy(mode, signers, keys, rules, exceptions, revocations, context.Source);
        }

        private bool Unique(Dictionary<string, long> names, string name, Node node)
        {
            if (names.TryAdd(name, node.Offset)) return true;
            var (line, _) = context.Position(names[name]);
            context.Invalid(node, $"the name '{name}' is already used by the signer or key on line {line}; names must be unique.");
            return false;
        }

        private TrustedSigner? Signer(Node node)
        {
            if (Object(node, "a trusted signer") is not { } fields) return null;
            int errors = context.Errors.Count;
            string? name = RequiredString(fields, node, "name", "a trusted signer");
            string? kindText = RequiredString(fields, node, "kind", "a trusted signer");
            SignerKind kind = SignerKind.Author;
            if (kindText is not null && !TryParseKind(kindText, out kind))
            {
                context.Invalid(fields["kind"], $"'kind' must be \"author\" or \"repository\", not \"{kindText}\".");
            }
            var certificates = new List<TrustedCertificate>();
            if (!fields.TryGetValue("certificates", out var certificatesNode))
            {
                context.Invalid(node, "the field 'certificates' is required: list the signer's certificates by fingerprint.");
            }
            else if (certificatesNode is ArrayNode { Items.Count: 0 })
            {
                context.Invalid(certificatesNode, "'certificates' is empty: list at least one certificate fingerprint.");
            }
            foreach (var item in Array(fields, "certificates"))
            {
                if (Certificate(item) is { } certificate) certificates.Add(certificate);
            }
            var owners = StringArray(fields, "owners");
            if (owners.Count > 0 && kindText is not null && kind == SignerKind.Author)
            {
                context.Invalid(fields["owners"], "'owners' applies to repository signers only (owners are recorded by the repository's signature).");
            }
            return context.Errors.Count > errors || name is null ? null : new TrustedSigner(name, kind, certificates, owners);
        }

        private TrustedCertificate? Certificate(Node node)
        {
            if (Object(node, "a certificate") is not { } fields) return null;
            int errors = context.Errors.Count;
            var algorithm = HashAlgorithm(fields);
            CertificateFingerprint? fingerprint = null;
            if (RequiredString(fields, node, "fingerprint", "a certificate") is { } text && algorithm is { } a
                && !CertificateFingerprint.TryParse(text, a, out fingerprint, out string reason))
            {
                context.Add(fields["fingerprint"].Offset, (l, c) => Errors.TrustPolicyInvalidFingerprint(context.Source, l, c, text, a.Name!, reason));
            }
            bool allowUntrustedRoot = fields.TryGetValue("allowUntrustedRoot", out var untrusted) && (Bool(untrusted, "allowUntrustedRoot") ?? false);
            var notBefore = Date(fields, "notBefore");
            var notAfter = Date(fields, "notAfter");
            if (notBefore is { } nb && notAfter is { } na && na <= nb) context.Invalid(fields["notAfter"], "'notAfter' must be later than 'notBefore'.");
            string? comment = fields.TryGetValue("comment", out var commentNode) ? String(commentNode, "comment") : null;
            return context.Errors.Count > errors || fingerprint is null ? null : new TrustedCertificate(fingerprint, allowUntrustedRoot, notBefore, notAfter, comment);
        }

        private TrustedKey? Key(Node node)
        {
            if (Object(node, "a trusted key") is not { } fields) return null;
            int errors = context.Errors.Count;
            string? name = RequiredString(fields, node, "name", "a trusted key");
            var given = new[] { "publicKey", "publicKeyFile", "keyId" }.Where(fields.ContainsKey).ToArray();
            if (given.Length != 1)
            {
                context.Invalid(node, given.Length == 0
                    ? "a trusted key needs one of 'publicKey' (PEM text), 'publicKeyFile' (a PEM file) or 'keyId' (SHA-256 of the key, hex)."
                    : $"a trusted key takes only one of {string.Join(", ", given.Select(g => $"'{g}'"))}.");
                return null;
            }
            string field = given[0];
            Node valueNode = fields[field];
            if (String(valueNode, field) is not { } value) return null;
            try
            {
                switch (field)
                {
                    case "keyId":
                        if (!KeyId.TryParse(value, out var keyId))
                        {
                            context.Invalid(valueNode, $"'{value}' is not a key id: use the 64 hex digits of the SHA-256 of the key's SubjectPublicKeyInfo (or its base64 form).");
                            return null;
                        }
                        return context.Errors.Count > errors || name is null ? null : new TrustedKey(name, keyId!, null);
                    case "publicKeyFile":
                        if (value.Trim().Length == 0 || value.Contains('\0'))
                        {
                            context.Invalid(valueNode, "'publicKeyFile' must be the path of a PEM file, relative to the policy file.");
                            return null;
                        }
                        string baseDirectory = Path.GetDirectoryName(Path.GetFullPath(context.Source)) ?? Environment.CurrentDirectory;
                        var fromFile = VerificationKey.FromFile(Path.GetFullPath(value, baseDirectory));
                        return context.Errors.Count > errors || name is null ? null : new TrustedKey(name, fromFile.Id, fromFile);
                    default:
                        var fromPem = VerificationKey.FromPem(value, $"{context.Source} ({name})");
                        return context.Errors.Count > errors || name is null ? null : new TrustedKey(name, fromPem.Id, fromPem);
                }
            }
            catch (BuildSigningException e)
            {
                context.Invalid(valueNode, e.Diagnostic.Text);
                return null;
            }
            catch (Exception e) when (e is FormatException or System.Security.Cryptography.CryptographicException)
            {
                context.Invalid(valueNode, $"the public key cannot be read: {Errors.Sentence(e)}");
                return null;
            }
        }

        private PackageRule? Rule(Node node, HashSet<string> knownSigners)
        {
            if (Object(node, "a package rule") is not { } fields) return null;
            int errors = context.Errors.Count;
            var pattern = Pattern(fields, node);
            var signers = new List<string>();
            if (!fields.TryGetValue("signers", out var signersNode))
            {
                context.Invalid(node, "the field 'signers' is required: name the trusted signers or keys that may sign these packages.");
            }
            else if (signersNode is ArrayNode { Items.Count: 0 })
            {
                context.Invalid(signersNode, "'signers' is empty: name at least one trusted signer or key.");
            }
            foreach (var item in Array(fields, "signers"))
            {
                if (String(item, "signers") is not { } signer) continue;
                if (!knownSigners.Contains(signer))
                {
                    context.Invalid(item, $"no trusted signer or key is named '{signer}'" + (knownSigners.Count == 0 ? "." : $" (known: {string.Join(", ", knownSigners.Order(StringComparer.OrdinalIgnoreCase))})."));
                }
                else
                {
                    signers.Add(signer);
                }
            }
            string? reason = fields.TryGetValue("reason", out var reasonNode) ? String(reasonNode, "reason") : null;
            return context.Errors.Count > errors || pattern is null ? null : new PackageRule(pattern, signers, reason);
        }

        private UnsignedException? Exception(Node node)
        {
            if (Object(node, "an unsigned exception") is not { } fields) return null;
            int errors = context.Errors.Count;
            var pattern = Pattern(fields, node);
            VersionRange? range = null;
            if (fields.TryGetValue("versions", out var versionsNode) && String(versionsNode, "versions") is { } rangeText
                && !TryParseRange(rangeText, out range, out string rangeReason))
            {
                context.Add(versionsNode.Offset, (l, c) => Errors.TrustPolicyInvalidVersionRange(context.Source, l, c, rangeText, rangeReason));
            }
            string? reason = RequiredString(fields, node, "reason", "an unsigned exception");
            if (reason is not null && reason.Trim().Length == 0) context.Invalid(fields["reason"], "'reason' is empty: say why this package may be unsigned.");
            DateTimeOffset? expires = null;
            if (!fields.ContainsKey("expires")) context.Invalid(node, "the field 'expires' is required: every exception needs an end date, e.g. \"expires\": \"2027-01-31\".");
            else expires = Date(fields, "expires");
            return context.Errors.Count > errors || pattern is null || reason is null || expires is null
                ? null
                : new UnsignedException(pattern, range, reason.Trim(), expires.Value);
        }

        private Revocation? Revocation(Node node)
        {
            if (Object(node, "a revocation") is not { } fields) return null;
            int errors = context.Errors.Count;
            CertificateFingerprint? fingerprint = null;
            KeyId? keyId = null;
            bool hasFingerprint = fields.ContainsKey("fingerprint"), hasKey = fields.ContainsKey("keyId");
            if (hasFingerprint == hasKey)
            {
                context.Invalid(node, "a revocation names either a certificate ('fingerprint', optionally 'hashAlgorithm') or a key ('keyId'), not both or neither.");
            }
            if (hasFingerprint && HashAlgorithm(fields) is { } algorithm && String(fields["fingerprint"], "fingerprint") is { } text
                && !CertificateFingerprint.TryParse(text, algorithm, out fingerprint, out string reason))
            {
                context.Add(fields["fingerprint"].Offset, (l, c) => Errors.TrustPolicyInvalidFingerprint(context.Source, l, c, text, algorithm.Name!, reason));
            }
            if (hasKey && String(fields["keyId"], "keyId") is { } keyText && !KeyId.TryParse(keyText, out keyId))
            {
                context.Invalid(fields["keyId"], $"'{keyText}' is not a key id: use the 64 hex digits of the SHA-256 of the key's SubjectPublicKeyInfo.");
            }
            DateTimeOffset? revokedOn = null;
            if (!fields.ContainsKey("revokedOn")) context.Invalid(node, "the field 'revokedOn' is required: the date from which signatures by it are no longer trusted.");
            else revokedOn = Date(fields, "revokedOn");
            string? why = fields.TryGetValue("reason", out var whyNode) ? String(whyNode, "reason") : null;
            return context.Errors.Count > errors || revokedOn is null || (fingerprint is null && keyId is null)
                ? null
                : new Revocation(fingerprint, keyId, revokedOn.Value, why);
        }

        // ----- value helpers -----

        private Dictionary<string, Node>? Object(Node node, string what)
        {
            if (node is ObjectNode obj) return Fields(obj, what switch
            {
                "a trusted signer" => SignerFields,
                "a certificate" => CertificateFields,
                "a trusted key" => KeyFields,
                "a package rule" => RuleFields,
                "an unsigned exception" => ExceptionFields,
                _ => RevocationFields,
            }, what);
            context.Invalid(node, $"{what} must be a JSON object, not {node.KindName}.");
            return null;
        }

        private Dictionary<string, Node> Fields(ObjectNode node, string[] known, string where)
        {
            var result = new Dictionary<string, Node>(StringComparer.Ordinal);
            foreach (var field in node.Fields)
            {
                if (known.Contains(field.Name, StringComparer.Ordinal))
                {
                    result[field.Name] = field.Value;
                    continue;
                }
                string? suggestion = ClosestField(field.Name, known);
                context.Add(field.NameOffset, (l, c) => Errors.TrustPolicyUnknownField(context.Source, l, c, field.Name, where,
                    suggestion is null ? string.Join(", ", known) : $"did you mean '{suggestion}'? Known fields: {string.Join(", ", known)}"));
            }
            return result;
        }

        /// <summary>The known field a misspelt name most likely meant: same letters in another case, or at most two edits away.</summary>
        private static string? ClosestField(string name, IEnumerable<string> known) =>
            known.Select(k => (Field: k, Distance: string.Equals(k, name, StringComparison.OrdinalIgnoreCase) ? 0 : EditDistance(k.ToLowerInvariant(), name.ToLowerInvariant())))
                .Where(c => c.Distance <= 2)
                .OrderBy(c => c.Distance)
                .Select(c => c.Field)
                .FirstOrDefault();

        private static int EditDistance(string a, string b)
        {
            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (int j = 0; j <= b.Length; j++) previous[j] = j;
            for (int i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (int j = 1; j <= b.Length; j++)
                {
                    current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                }
                (previous, current) = (current, previous);
            }
            return previous[b.Length];
        }

        private IEnumerable<Node> Array(Dictionary<string, Node> fields, string name)
        {
            if (!fields.TryGetValue(name, out var node)) return [];
            if (node is ArrayNode array) return array.Items;
            context.Invalid(node, $"'{name}' must be an array, not {node.KindName}.");
            return [];
        }

        private List<string> StringArray(Dictionary<string, Node> fields, string name) =>
            Array(fields, name).Select(n => String(n, name)).OfType<string>().ToList();

        private string? String(Node node, string name)
        {
            if (node is ValueNode { Type: JsonTokenType.String } value) return value.Text;
            context.Invalid(node, $"'{name}' must be a string, not {node.KindName}.");
            return null;
        }

        private bool? Bool(Node node, string name)
        {
            if (node is ValueNode { Type: JsonTokenType.True }) return true;
            if (node is ValueNode { Type: JsonTokenType.False }) return false;
            context.Invalid(node, $"'{name}' must be true or false, not {node.KindName}.");
            return null;
        }

        private string? RequiredString(Dictionary<string, Node> fields, Node owner, string name, string what)
        {
            if (!fields.TryGetValue(name, out var node))
            {
                context.Invalid(owner, $"the field '{name}' is required in {what}.");
                return null;
            }
            return String(node, name);
        }

        private System.Security.Cryptography.HashAlgorithmName? HashAlgorithm(Dictionary<string, Node> fields)
        {
            if (!fields.TryGetValue("hashAlgorithm", out var node)) return System.Security.Cryptography.HashAlgorithmName.SHA256;
            if (String(node, "hashAlgorithm") is not { } text) return null;
            if (CertificateFingerprint.TryParseAlgorithm(text, out var algorithm)) return algorithm;
            context.Invalid(node, $"'hashAlgorithm' must be SHA256, SHA384 or SHA512, not \"{text}\".");
            return null;
        }

        private PackageIdPattern? Pattern(Dictionary<string, Node> fields, Node owner)
        {
            if (!fields.TryGetValue("id", out var node))
            {
                context.Invalid(owner, "the field 'id' is required: a package id (Contoso.Core) or prefix pattern (Contoso.*).");
                return null;
            }
            if (String(node, "id") is not { } text) return null;
            if (PackageIdPattern.TryParse(text, out var pattern, out string reason)) return pattern;
            context.Add(node.Offset, (l, c) => Errors.TrustPolicyInvalidPattern(context.Source, l, c, text, reason));
            return null;
        }

        private DateTimeOffset? Date(Dictionary<string, Node> fields, string name)
        {
            if (!fields.TryGetValue(name, out var node) || String(node, name) is not { } text) return null;
            if (TryParseDate(text, out var date)) return date;
            context.Invalid(node, $"'{name}' is \"{text}\", which is not an ISO-8601 date (\"2027-01-31\") or date and time (\"2027-01-31T12:00:00Z\").");
            return null;
        }
    }

    // ----- shared parsers (also used for MSBuild items) -----

    internal static bool TryParseMode(string text, out TrustMode mode)
    {
        mode = TrustMode.Enforce;
        switch (text.Trim().ToLowerInvariant())
        {
            case "enforce": mode = TrustMode.Enforce; return true;
            case "audit": mode = TrustMode.Audit; return true;
            default: return false;
        }
    }

    internal static bool TryParseKind(string text, out SignerKind kind)
    {
        kind = SignerKind.Author;
        switch (text.Trim().ToLowerInvariant())
        {
            case "author": kind = SignerKind.Author; return true;
            case "repository": kind = SignerKind.Repository; return true;
            default: return false;
        }
    }

    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd", "yyyy-MM-ddTHH:mmK", "yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
        "yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
    ];

    /// <summary>ISO-8601 date ("2027-01-31" = 00:00 UTC that day) or date and time (UTC unless an offset is given).</summary>
    internal static bool TryParseDate(string text, out DateTimeOffset date) =>
        DateTimeOffset.TryParseExact(text.Trim(), DateFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date);

    /// <summary>
    /// NuGet version range syntax ("[1.0,2.0)", "[1.2.3]", "(,3.0)"). A bare version is refused: NuGet reads "1.2.3" as
    /// "1.2.3 or later", which is rarely what an exception means.
    /// </summary>
    internal static bool TryParseRange(string text, out VersionRange? range, out string reason)
    {
        range = null;
        reason = "";
        text = text.Trim();
        if (NuGetVersion.TryParse(text, out var bare))
        {
            reason = $"a bare version means '{bare} or later' in NuGet's syntax; write [{bare}] for exactly this version or [{bare},) for it and later.";
            return false;
        }
        if (!VersionRange.TryParse(text, out range))
        {
            reason = "NuGet cannot parse it.";
            return false;
        }
        return true;
    }
}
