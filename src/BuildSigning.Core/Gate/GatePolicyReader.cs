using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Json;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Trust;
using NuGet.Versioning;

namespace BuildSigning.Core.Gate;

/// <summary>
/// Reads a gate policy file: JSON with comments and trailing commas, every field known (an unknown one is refused with its
/// line and column), every value validated, paths relative to the policy file. Every error is collected; a policy with any
/// error is not returned.
/// </summary>
public static class GatePolicyReader
{
    public static GatePolicy ReadFile(string path)
    {
        path = Path.GetFullPath(path);
        if (!File.Exists(path)) throw Errors.GatePolicyUnreadable(path, "the file does not exist.");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Errors.GatePolicyUnreadable(path, Errors.Sentence(e));
        }
        return Read(bytes, path);
    }

    /// <summary>Reads policy JSON; <paramref name="source"/> names it in messages and anchors relative paths. Throws the first error (all are in its data).</summary>
    public static GatePolicy Read(ReadOnlySpan<byte> json, string source)
    {
        var errors = TryRead(json, source, out var policy);
        if (errors.Count > 0) throw new AggregateException(errors.Select(e => new BuildSigningException(e)));
        return policy!;
    }

    public static IReadOnlyList<Diagnostic> TryRead(ReadOnlySpan<byte> json, string source, out GatePolicy? policy)
    {
        policy = null;
        var context = new Context(UntrustedJson.WithoutByteOrderMark(json).ToArray(), source);
        Node root;
        try
        {
            var reader = new Utf8JsonReader(context.Bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read()) throw new JsonException("the file is empty", null, 0, 0);
            root = PositionedJson.ReadNode(ref reader);
            if (reader.Read()) throw new JsonException("there is more after the end of the policy object", null, null, null);
        }
        catch (JsonException e)
        {
            string message = e.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
            return [Errors.GatePolicyJsonInvalid(source, (e.LineNumber ?? 0) + 1, (e.BytePositionInLine ?? 0) + 1, message.TrimEnd('.')).Diagnostic];
        }
        catch (DuplicateFieldException e)
        {
            context.Invalid(e.Offset, $"the field '{e.Name}' appears twice.");
            return context.Errors;
        }
        catch (InvalidTextException e)
        {
            context.Invalid(e.Offset, "this string is not valid UTF-8 or holds an unpaired surrogate escape; save the file as UTF-8.");
            return context.Errors;
        }
        policy = new Builder(context).Build(root);
        if (context.Errors.Count > 0) policy = null;
        return context.Errors;
    }

    private sealed class Context(byte[] bytes, string source)
    {
        public byte[] Bytes { get; } = bytes;
        public string Source { get; } = source;
        public string Directory { get; } = Path.GetDirectoryName(Path.GetFullPath(source)) ?? ".";
        public List<Diagnostic> Errors { get; } = [];

        private readonly TextPositions _positions = new(bytes);

        /// <summary>Dozens of keys read from one file are read once.</summary>
        public Dictionary<string, VerificationKey> KeyFiles { get; } = new(StringComparer.Ordinal);

        /// <summary>1-based line and column (in characters), counted as for every located message (TextPositions).</summary>
        public (long Line, long Column) Position(long offset) => _positions.Position(offset);

        public void Invalid(Node node, string reason) => Invalid(node.Offset, reason);

        public void Invalid(long offset, string reason)
        {
            var (line, column) = Position(offset);
            Errors.Add(Diagnostics.Errors.GatePolicyInvalidValue(Source, line, column, reason).Diagnostic);
        }
    }

    private sealed class Builder(Context context)
    {
        private static readonly string[] RootFields = ["$schema", "version", "keys", "revoked", "threshold", "require", "provenance", "sbom", "timestampAuthorities", "transparencyLogs", "comment"];
        private static readonly string[] TransparencyLogsFields = ["keys", "threshold", "comment"];
        private static readonly string[] LogKeyFields = ["name", "publicKeyFile", "publicKey", "comment"];
        private static readonly string[] KeyFields = ["name", "publicKeyFile", "publicKey", "certificateFile", "keyId", "notBefore", "notAfter", "comment"];
        private static readonly string[] RevokedFields = ["keyId", "name", "revokedOn", "reason"];
        private static readonly string[] ThresholdFields = ["count", "keys"];
        private static readonly string[] RequireFields = ["attestation", "count"];
        private static readonly string[] ProvenanceFields = ["builderIds", "sourceRepository", "commit", "buildType"];
        private static readonly string[] SbomFields = ["deniedLicenses", "allowedLicenses", "deniedPackages"];
        private static readonly string[] DeniedPackageFields = ["id", "versions", "reason"];

        public GatePolicy Build(Node root)
        {
            if (root is not ObjectNode rootObject)
            {
                context.Invalid(root, $"the policy must be a JSON object, not {root.KindName}.");
                return new GatePolicy { Source = context.Source };
            }
            var fields = Fields(rootObject, RootFields, "the policy");
            if (!fields.TryGetValue("version", out var versionNode))
            {
                context.Invalid(root, $"the field 'version' is required; add \"version\": {GatePolicy.CurrentVersion}.");
            }
            else if (versionNode is not ValueNode { Type: JsonTokenType.Number } v || !int.TryParse(v.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int version))
            {
                context.Invalid(versionNode, $"'version' must be the number {GatePolicy.CurrentVersion}.");
            }
            else if (version != GatePolicy.CurrentVersion)
            {
                context.Invalid(versionNode, $"gate policy version {version} is not supported; this BuildSigning reads version {GatePolicy.CurrentVersion}.");
            }

            var keys = new List<GateKey>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in Array(fields, "keys"))
            {
                if (Key(node) is not { } key) continue;
                if (!names.Add(key.Name)) context.Invalid(node, $"the key name '{key.Name}' is used twice; give each key its own name.");
                else keys.Add(key);
            }
            var revoked = Array(fields, "revoked").Select(n => Revocation(n, keys)).OfType<GateRevocation>().ToList();

            GateThreshold? threshold = null;
            if (fields.TryGetValue("threshold", out var thresholdNode) && Object(thresholdNode, "threshold") is { } thresholdObject)
            {
                var t = Fields(thresholdObject, ThresholdFields, "'threshold'");
                var listed = new List<string>();
                foreach (var nameNode in Array(t, "keys"))
                {
                    if (String(nameNode, "a threshold key") is not { } name) continue;
                    if (!names.Contains(name)) context.Invalid(nameNode, $"the threshold names the key '{name}', which 'keys' does not define.");
                    else listed.Add(name);
                }
                if (!t.ContainsKey("keys")) listed.AddRange(keys.Select(k => k.Name));
                int count = Count(t, thresholdObject, required: true) ?? 1;
                if (count > listed.Count && context.Errors.Count == 0)
                {
                    context.Invalid(thresholdObject, $"the threshold asks for {count} keys but lists {listed.Count}.");
                }
                threshold = new GateThreshold(count, listed);
            }

            var require = new List<GateRequirement>();
            foreach (var node in Array(fields, "require"))
            {
                string? kindText;
                int count = 1;
                Node kindNode = node;
                if (node is ObjectNode requireObject)
                {
                    var r = Fields(requireObject, RequireFields, "a 'require' entry");
                    if (!r.TryGetValue("attestation", out var a)) { context.Invalid(node, "the field 'attestation' is required (spdx, cyclonedx or provenance)."); continue; }
                    kindNode = a;
                    kindText = String(a, "attestation");
                    count = Count(r, requireObject, required: false) ?? 1;
                }
                else
                {
                    kindText = String(node, "a 'require' entry");
                }
                if (kindText is null) continue;
                if (!TryParseKind(kindText, out var kind)) { context.Invalid(kindNode, $"'{kindText}' is not an attestation kind; use spdx, cyclonedx or provenance."); continue; }
                if (require.Any(x => x.Kind == kind)) { context.Invalid(kindNode, $"'{kindText}' is required twice."); continue; }
                require.Add(new GateRequirement(kind, count));
            }

            GateProvenanceRules? provenance = null;
            if (fields.TryGetValue("provenance", out var provenanceNode) && Object(provenanceNode, "provenance") is { } provenanceObject)
            {
                var p = Fields(provenanceObject, ProvenanceFields, "'provenance'");
                provenance = new GateProvenanceRules
                {
                    BuilderIds = Strings(p, "builderIds"),
                    SourceRepository = OptionalString(p, "sourceRepository"),
                    Commit = OptionalString(p, "commit")?.Trim().ToLowerInvariant(),
                    BuildType = OptionalString(p, "buildType"),
                };
                if (provenance.Commit is { } commit && (commit.Length < 7 || !commit.All(char.IsAsciiHexDigit)))
                {
                    context.Invalid(p["commit"], $"'commit' must be a git commit id (at least 7 hex digits), not \"{commit}\".");
                }
            }

            GateSbomRules? sbom = null;
            if (fields.TryGetValue("sbom", out var sbomNode) && Object(sbomNode, "sbom") is { } sbomObject)
            {
                var s = Fields(sbomObject, SbomFields, "'sbom'");
                var denied = new List<GateDeniedPackage>();
                foreach (var node in Array(s, "deniedPackages"))
                {
                    if (Object(node, "a denied package") is not { } o) continue;
                    var d = Fields(o, DeniedPackageFields, "a denied package");
                    if (!d.TryGetValue("id", out var idNode)) { context.Invalid(node, "the field 'id' is required: a package id (Contoso.Core) or prefix pattern (Contoso.*)."); continue; }
                    if (String(idNode, "id") is not { } idText) continue;
                    if (!PackageIdPattern.TryParse(idText, out var pattern, out string why)) { context.Invalid(idNode, $"'{idText}' is not a package id pattern: {why}"); continue; }
                    VersionRange? range = null;
                    if (d.TryGetValue("versions", out var rangeNode) && String(rangeNode, "versions") is { } rangeText
                        && !TrustPolicyReader.TryParseRange(rangeText, out range, out string rangeWhy))
                    {
                        context.Invalid(rangeNode, $"'versions' is \"{rangeText}\", not a NuGet version range: {rangeWhy}");
                        continue;
                    }
                    denied.Add(new GateDeniedPackage(pattern!, range, OptionalString(d, "reason")));
                }
                sbom = new GateSbomRules
                {
                    DeniedLicenses = LicenseIds(s, "deniedLicenses"),
                    AllowedLicenses = LicenseIds(s, "allowedLicenses"),
                    DeniedPackages = denied,
                };
            }

            var authorities = new List<X509Certificate2>();
            foreach (var node in Array(fields, "timestampAuthorities"))
            {
                if (String(node, "a timestamp authority root") is not { } file) continue;
                string path = file;
                try
                {
                    path = Path.GetFullPath(file, context.Directory);
                    var collection = new X509Certificate2Collection();
                    collection.ImportFromPemFile(path);
                    if (collection.Count == 0) collection.Add(X509CertificateLoader.LoadCertificateFromFile(path));
                    authorities.AddRange(collection);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or System.Security.Cryptography.CryptographicException)
                {
                    context.Invalid(node, $"the timestamp authority root '{path}' cannot be read: {Errors.Sentence(e)}");
                }
            }

            GateTransparencyLogs? transparencyLogs = null;
            if (fields.TryGetValue("transparencyLogs", out var logsNode) && Object(logsNode, "'transparencyLogs'") is { } logsObject)
            {
                transparencyLogs = TransparencyLogs(logsObject);
            }

            return new GatePolicy
            {
                Source = context.Source,
                TransparencyLogs = transparencyLogs,
                Keys = keys,
                Revoked = revoked,
                Threshold = threshold,
                Require = require,
                Provenance = provenance,
                Sbom = sbom,
                TimestampAuthorities = authorities,
            };
        }

        private GateTransparencyLogs? TransparencyLogs(ObjectNode node)
        {
            int before = context.Errors.Count;
            var f = Fields(node, TransparencyLogsFields, "'transparencyLogs'");
            if (!f.ContainsKey("keys")) context.Invalid(node, "'transparencyLogs' needs 'keys': the public keys of the transparency logs you trust.");
            var keys = new List<GateLogKey>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var keyNode in Array(f, "keys"))
            {
                if (LogKey(keyNode) is not { } key) continue;
                if (!names.Add(key.Name)) context.Invalid(keyNode, $"the transparency-log key name '{key.Name}' is used twice; give each log key its own name.");
                else keys.Add(key);
            }
            int threshold = 1;
            if (f.TryGetValue("threshold", out var thresholdNode))
            {
                if (thresholdNode is ValueNode { Type: JsonTokenType.Number } n && int.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int t) && t >= 1) threshold = t;
                else context.Invalid(thresholdNode, "the transparency-log 'threshold' must be a whole number of at least 1: how many distinct logs must hold each signature.");
            }
            if (f.ContainsKey("keys") && keys.Count == 0 && context.Errors.Count == before)
            {
                context.Invalid(node, "'transparencyLogs' lists no key; name at least one log key, or remove 'transparencyLogs'.");
            }
            var result = new GateTransparencyLogs(keys, threshold);
            if (context.Errors.Count == before && threshold > result.DistinctKeyCount)
            {
                context.Invalid(thresholdNode ?? node, $"the transparency-log threshold is {threshold} but 'keys' holds {result.DistinctKeyCount} distinct public key(s) (the same key under two names counts once).");
            }
            return context.Errors.Count == before ? result : null;
        }

        private GateLogKey? LogKey(Node node)
        {
            if (Object(node, "a transparency-log key") is not { } o) return null;
            var f = Fields(o, LogKeyFields, "a transparency-log key");
            string? name = f.TryGetValue("name", out var nameNode) ? String(nameNode, "name") : null;
            if (name is null)
            {
                if (nameNode is null) context.Invalid(node, "the field 'name' is required in a transparency-log key; messages name the log by it.");
                return null;
            }
            var sources = new[] { "publicKeyFile", "publicKey" }.Where(f.ContainsKey).ToArray();
            if (sources.Length != 1)
            {
                context.Invalid(node, sources.Length == 0
                    ? $"the transparency-log key '{name}' needs 'publicKeyFile' or 'publicKey' (inline PEM)."
                    : $"the transparency-log key '{name}' has both 'publicKeyFile' and 'publicKey'; give exactly one.");
                return null;
            }
            var sourceNode = f[sources[0]];
            if (String(sourceNode, sources[0]) is not { } text) return null;
            try
            {
                if (sources[0] == "publicKey") return new GateLogKey(name, VerificationKey.FromPem(text, $"{context.Source} (transparency-log key '{name}')"));
                string path = Path.GetFullPath(text, context.Directory);
                if (!context.KeyFiles.TryGetValue(path, out var key)) context.KeyFiles[path] = key = VerificationKey.FromFile(path);
                return new GateLogKey(name, key);
            }
            catch (BuildSigningException e)
            {
                context.Invalid(sourceNode, $"the transparency-log key '{name}' cannot be used: {e.Message}");
                return null;
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException)
            {
                context.Invalid(sourceNode, $"the transparency-log key '{name}' cannot be read: {Errors.Sentence(e)}");
                return null;
            }
        }

        private GateKey? Key(Node node)
        {
            if (Object(node, "a key") is not { } o) return null;
            var f = Fields(o, KeyFields, "a key");
            string? name = f.TryGetValue("name", out var nameNode) ? String(nameNode, "name") : null;
            if (name is null)
            {
                if (nameNode is null) context.Invalid(node, "the field 'name' is required in a key; the threshold refers to keys by name.");
                return null;
            }
            var sources = new[] { "publicKeyFile", "publicKey", "certificateFile", "keyId" }.Where(f.ContainsKey).ToArray();
            if (sources.Length != 1)
            {
                context.Invalid(node, sources.Length == 0
                    ? $"the key '{name}' needs one of 'publicKeyFile', 'publicKey' (inline PEM), 'certificateFile' or 'keyId'."
                    : $"the key '{name}' has {string.Join(" and ", sources.Select(s => $"'{s}'"))}; give exactly one.");
                return null;
            }
            var notBefore = Date(f, "notBefore");
            var notAfter = Date(f, "notAfter");
            if (notBefore is { } nb && notAfter is { } na && na <= nb) context.Invalid(f["notAfter"], $"the key '{name}' has 'notAfter' before 'notBefore'.");
            var sourceNode = f[sources[0]];
            if (String(sourceNode, sources[0]) is not { } text) return null;
            try
            {
                switch (sources[0])
                {
                    case "keyId":
                        if (!KeyId.TryParse(text, out var id)) { context.Invalid(sourceNode, $"'keyId' must be a key id: 64 hex digits (SHA-256 of the public key's SubjectPublicKeyInfo), not \"{text}\"."); return null; }
                        return new GateKey(name, null, id!, notBefore, notAfter);
                    case "publicKey":
                    {
                        var key = VerificationKey.FromPem(text, $"{context.Source} (key '{name}')");
                        return new GateKey(name, key, key.Id, notBefore, notAfter);
                    }
                    default:
                    {
                        string path = Path.GetFullPath(text, context.Directory);
                        if (!context.KeyFiles.TryGetValue(path, out var key)) context.KeyFiles[path] = key = VerificationKey.FromFile(path);
                        return new GateKey(name, key, key.Id, notBefore, notAfter);
                    }
                }
            }
            catch (BuildSigningException e)
            {
                context.Invalid(sourceNode, $"the key '{name}' cannot be used: {e.Message}");
                return null;
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException)
            {
                context.Invalid(sourceNode, $"the key '{name}' cannot be read: {Errors.Sentence(e)}");
                return null;
            }
        }

        private GateRevocation? Revocation(Node node, List<GateKey> keys)
        {
            if (Object(node, "a revocation") is not { } o) return null;
            var f = Fields(o, RevokedFields, "a revocation");
            KeyId? id = null;
            if (f.TryGetValue("keyId", out var idNode) && String(idNode, "keyId") is { } idText)
            {
                if (!KeyId.TryParse(idText, out id)) context.Invalid(idNode, $"'keyId' must be 64 hex digits (the key id buildsign prints), not \"{idText}\".");
            }
            else if (f.TryGetValue("name", out var nameNode) && String(nameNode, "name") is { } name)
            {
                id = keys.FirstOrDefault(k => k.Name == name)?.Id;
                if (id is null) context.Invalid(nameNode, $"the revocation names the key '{name}', which 'keys' does not define.");
            }
            else if (idNode is null && !f.ContainsKey("name"))
            {
                context.Invalid(node, "a revocation needs 'keyId' (64 hex digits) or the 'name' of a key.");
            }
            if (!f.ContainsKey("revokedOn")) { context.Invalid(node, "the field 'revokedOn' is required in a revocation: signatures from that time on do not count."); return null; }
            var revokedOn = Date(f, "revokedOn");
            return id is null || revokedOn is null ? null : new GateRevocation(id, revokedOn.Value, OptionalString(f, "reason"));
        }

        private int? Count(Dictionary<string, Node> fields, Node owner, bool required)
        {
            if (!fields.TryGetValue("count", out var node))
            {
                if (required) context.Invalid(owner, "the field 'count' is required: how many distinct keys must sign.");
                return null;
            }
            if (node is ValueNode { Type: JsonTokenType.Number } n && int.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int count) && count >= 1) return count;
            context.Invalid(node, "'count' must be a whole number of at least 1.");
            return null;
        }

        private List<string> LicenseIds(Dictionary<string, Node> fields, string name)
        {
            var ids = new List<string>();
            foreach (var node in Array(fields, name))
            {
                if (String(node, "a licence id") is not { } id) continue;
                if (id.Length == 0 || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+'))) context.Invalid(node, $"'{id}' is not an SPDX licence id (write one id per entry, e.g. \"GPL-3.0-only\").");
                else ids.Add(id);
            }
            return ids;
        }

        private Dictionary<string, Node> Fields(ObjectNode node, string[] known, string what)
        {
            var result = new Dictionary<string, Node>(StringComparer.Ordinal);
            foreach (var (name, offset, value) in node.Fields)
            {
                if (System.Array.IndexOf(known, name) < 0)
                {
                    context.Invalid(offset, $"unknown field '{name}' in {what}; known fields: {string.Join(", ", known)}.");
                    continue;
                }
                result[name] = value;
            }
            return result;
        }

        private IEnumerable<Node> Array(Dictionary<string, Node> fields, string name)
        {
            if (!fields.TryGetValue(name, out var node)) return [];
            if (node is ArrayNode array) return array.Items;
            context.Invalid(node, $"'{name}' must be an array, not {node.KindName}.");
            return [];
        }

        private List<string> Strings(Dictionary<string, Node> fields, string name) =>
            Array(fields, name).Select(n => String(n, name)).OfType<string>().ToList();

        private ObjectNode? Object(Node node, string what)
        {
            if (node is ObjectNode o) return o;
            context.Invalid(node, $"{what} must be an object, not {node.KindName}.");
            return null;
        }

        private string? String(Node node, string name)
        {
            if (node is ValueNode { Type: JsonTokenType.String } value) return value.Text;
            context.Invalid(node, $"'{name}' must be a string, not {node.KindName}.");
            return null;
        }

        private string? OptionalString(Dictionary<string, Node> fields, string name) =>
            fields.TryGetValue(name, out var node) ? String(node, name) : null;

        private DateTimeOffset? Date(Dictionary<string, Node> fields, string name)
        {
            if (!fields.TryGetValue(name, out var node) || String(node, name) is not { } text) return null;
            if (TrustPolicyReader.TryParseDate(text, out var date)) return date;
            context.Invalid(node, $"'{name}' is \"{text}\", which is not an ISO-8601 date (\"2027-01-31\") or date and time (\"2027-01-31T12:00:00Z\").");
            return null;
        }
    }

    internal static bool TryParseKind(string text, out AttestationKind kind)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "spdx": kind = AttestationKind.Spdx; return true;
            case "cyclonedx": case "cdx": kind = AttestationKind.CycloneDx; return true;
            case "provenance": case "slsa": kind = AttestationKind.Provenance; return true;
            default: kind = default; return false;
        }
    }
}
