using System.Globalization;
using System.Text.Json;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Json;
using BuildSigning.Core.Keys;
using NuGet.Versioning;

namespace BuildSigning.Core.Trust;



internal sealed class TrustPolicyContext(byte[] bytes, string source)
{
    public byte[] Bytes { get; } = bytes;
    public string Source { get; } = source;
    public List<Diagnostic> Errors { get; } = [];
    private readonly TextPositions _positions = new(bytes);

    /// <summary>1-based line and column (in characters) of a byte offset.</summary>
    public (long Line, long Column) Position(long offset) => _positions.Position(offset);

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

/// <summary>The trust policy's schema (docs/trust-policy.md): every field known, every value validated, each error located.</summary>
internal sealed class TrustPolicySchema(TrustPolicyContext context)
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
        if (fields.TryGetValue("mode", out var modeNode) && StringValue(modeNode, "mode") is { } modeText)
        {
            if (!TrustPolicyReader.TryParseMode(modeText, out mode)) context.Invalid(modeNode, $"'mode' must be \"enforce\" or \"audit\", not \"{modeText}\".");
        }

        bool includeDefaults = !fields.TryGetValue("includeDefaultSigners", out var includeNode) || (Bool(includeNode, "includeDefaultSigners") ?? true);

        var signers = new List<TrustedSigner>();
        var names = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (var node in ArrayItems(fields, "trustedSigners"))
        {
            if (Signer(node) is { } signer && Unique(names, signer.Name, node)) signers.Add(signer);
        }
        var keys = new List<TrustedKey>();
        foreach (var node in ArrayItems(fields, "trustedKeys"))
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
        foreach (var node in ArrayItems(fields, "packages"))
        {
            if (Rule(node, known) is { } rule)
            {
                if (ruleIds.ContainsKey(rule.Id.Text)) context.Invalid(node, $"there is already a rule for '{rule.Id.Text}'; merge the two.");
                else { ruleIds[rule.Id.Text] = node.Offset; rules.Add(rule); }
            }
        }
        var exceptions = ArrayItems(fields, "unsignedExceptions").Select(UnsignedExceptionEntry).OfType<UnsignedException>().ToList();
        var revocations = ArrayItems(fields, "revoked").Select(Revocation).OfType<Revocation>().ToList();

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
        if (ObjectFields(node, SignerFields, "a trusted signer") is not { } fields) return null;
        int errors = context.Errors.Count;
        string? name = RequiredString(fields, node, "name", "a trusted signer");
        string? kindText = RequiredString(fields, node, "kind", "a trusted signer");
        SignerKind kind = SignerKind.Author;
        if (kindText is not null && !TrustPolicyReader.TryParseKind(kindText, out kind))
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
        foreach (var item in ArrayItems(fields, "certificates"))
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
        if (ObjectFields(node, CertificateFields, "a certificate") is not { } fields) return null;
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
        string? comment = fields.TryGetValue("comment", out var commentNode) ? StringValue(commentNode, "comment") : null;
        return context.Errors.Count > errors || fingerprint is null ? null : new TrustedCertificate(fingerprint, allowUntrustedRoot, notBefore, notAfter, comment);
    }

    private TrustedKey? Key(Node node)
    {
        if (ObjectFields(node, KeyFields, "a trusted key") is not { } fields) return null;
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
        if (StringValue(valueNode, field) is not { } value) return null;
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
        if (ObjectFields(node, RuleFields, "a package rule") is not { } fields) return null;
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
        foreach (var item in ArrayItems(fields, "signers"))
        {
            if (StringValue(item, "signers") is not { } signer) continue;
            if (!knownSigners.Contains(signer))
            {
                context.Invalid(item, $"no trusted signer or key is named '{signer}'" + (knownSigners.Count == 0 ? "." : $" (known: {string.Join(", ", knownSigners.Order(StringComparer.OrdinalIgnoreCase))})."));
            }
            else
            {
                signers.Add(signer);
            }
        }
        string? reason = fields.TryGetValue("reason", out var reasonNode) ? StringValue(reasonNode, "reason") : null;
        return context.Errors.Count > errors || pattern is null ? null : new PackageRule(pattern, signers, reason);
    }

    private UnsignedException? UnsignedExceptionEntry(Node node)
    {
        if (ObjectFields(node, ExceptionFields, "an unsigned exception") is not { } fields) return null;
        int errors = context.Errors.Count;
        var pattern = Pattern(fields, node);
        VersionRange? range = null;
        if (fields.TryGetValue("versions", out var versionsNode) && StringValue(versionsNode, "versions") is { } rangeText
            && !TrustPolicyReader.TryParseRange(rangeText, out range, out string rangeReason))
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
        if (ObjectFields(node, RevocationFields, "a revocation") is not { } fields) return null;
        int errors = context.Errors.Count;
        CertificateFingerprint? fingerprint = null;
        KeyId? keyId = null;
        bool hasFingerprint = fields.ContainsKey("fingerprint"), hasKey = fields.ContainsKey("keyId");
        if (hasFingerprint == hasKey)
        {
            context.Invalid(node, "a revocation names either a certificate ('fingerprint', optionally 'hashAlgorithm') or a key ('keyId'), not both or neither.");
        }
        if (hasFingerprint && HashAlgorithm(fields) is { } algorithm && StringValue(fields["fingerprint"], "fingerprint") is { } text
            && !CertificateFingerprint.TryParse(text, algorithm, out fingerprint, out string reason))
        {
            context.Add(fields["fingerprint"].Offset, (l, c) => Errors.TrustPolicyInvalidFingerprint(context.Source, l, c, text, algorithm.Name!, reason));
        }
        if (hasKey && StringValue(fields["keyId"], "keyId") is { } keyText && !KeyId.TryParse(keyText, out keyId))
        {
            context.Invalid(fields["keyId"], $"'{keyText}' is not a key id: use the 64 hex digits of the SHA-256 of the key's SubjectPublicKeyInfo.");
        }
        DateTimeOffset? revokedOn = null;
        if (!fields.ContainsKey("revokedOn")) context.Invalid(node, "the field 'revokedOn' is required: the date from which signatures by it are no longer trusted.");
        else revokedOn = Date(fields, "revokedOn");
        string? why = fields.TryGetValue("reason", out var whyNode) ? StringValue(whyNode, "reason") : null;
        return context.Errors.Count > errors || revokedOn is null || (fingerprint is null && keyId is null)
            ? null
            : new Revocation(fingerprint, keyId, revokedOn.Value, why);
    }

    // ----- value helpers -----

    private Dictionary<string, Node>? ObjectFields(Node node, string[] known, string what)
    {
        if (node is ObjectNode obj) return Fields(obj, known, what);
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

    private IEnumerable<Node> ArrayItems(Dictionary<string, Node> fields, string name)
    {
        if (!fields.TryGetValue(name, out var node)) return [];
        if (node is ArrayNode array) return array.Items;
        context.Invalid(node, $"'{name}' must be an array, not {node.KindName}.");
        return [];
    }

    private List<string> StringArray(Dictionary<string, Node> fields, string name) =>
        ArrayItems(fields, name).Select(n => StringValue(n, name)).OfType<string>().ToList();

    private string? StringValue(Node node, string name)
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
        return StringValue(node, name);
    }

    private System.Security.Cryptography.HashAlgorithmName? HashAlgorithm(Dictionary<string, Node> fields)
    {
        if (!fields.TryGetValue("hashAlgorithm", out var node)) return System.Security.Cryptography.HashAlgorithmName.SHA256;
        if (StringValue(node, "hashAlgorithm") is not { } text) return null;
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
        if (StringValue(node, "id") is not { } text) return null;
        if (PackageIdPattern.TryParse(text, out var pattern, out string reason)) return pattern;
        context.Add(node.Offset, (l, c) => Errors.TrustPolicyInvalidPattern(context.Source, l, c, text, reason));
        return null;
    }

    private DateTimeOffset? Date(Dictionary<string, Node> fields, string name)
    {
        if (!fields.TryGetValue(name, out var node) || StringValue(node, name) is not { } text) return null;
        if (TrustPolicyReader.TryParseDate(text, out var date)) return date;
        context.Invalid(node, $"'{name}' is \"{text}\", which is not an ISO-8601 date (\"2027-01-31\") or date and time (\"2027-01-31T12:00:00Z\").");
        return null;
    }
}
