using System.Globalization;
using System.Text;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Keys.Pkcs11;

/// <summary>
/// An RFC 7512 `pkcs11:` URI in cosign's form: path attributes (token, object, id, slot-id, serial, manufacturer, model,
/// type) separated by ';', then query attributes after '?' separated by '&amp;' (module-path, module-name). A PIN in the
/// URI (pin-value, pin-source) is refused: the URI appears in build logs and binlogs; the PIN comes from the environment
/// variable named by BuildSigningKeyPasswordVariable.
/// </summary>
public sealed record Pkcs11Uri
{
    public const string Scheme = "pkcs11:";

    public required string ModulePath { get; init; }
    public string? Token { get; init; }
    public string? Object { get; init; }
    public byte[]? Id { get; init; }
    public ulong? SlotId { get; init; }
    public string? Serial { get; init; }
    public string? Manufacturer { get; init; }
    public string? Model { get; init; }

    /// <summary>The URI as given (it never holds a PIN: one is refused before this exists).</summary>
    public required string Text { get; init; }

    /// <summary>Whether a BuildSigningKey value names a token key rather than a file.</summary>
    public static bool IsPkcs11(string? value) => value is not null && value.TrimStart().StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a URI; BS1030 when it is malformed, BS1031 when it carries a PIN.</summary>
    public static Pkcs11Uri Parse(string value)
    {
        string text = value.Trim();
        if (!IsPkcs11(text)) throw Errors.Pkcs11UriInvalid(Redact(text), $"it does not start with '{Scheme}'.");
        string rest = text[Scheme.Length..];
        int question = rest.IndexOf('?');
        string path = question < 0 ? rest : rest[..question];
        string query = question < 0 ? "" : rest[(question + 1)..];

        var attributes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        void Add(string part, char separator, bool isQuery)
        {
            if (part.Length == 0) return;
            int equals = part.IndexOf('=');
            if (equals <= 0) throw Errors.Pkcs11UriInvalid(Redact(text), $"'{(isQuery ? "?" : "")}{Shorten(part)}' is not a name=value attribute (attributes are separated by '{separator}').");
            string name = part[..equals].Trim().ToLowerInvariant();
            if (name is "pin-value" or "pin-source")
            {
                throw Errors.Pkcs11PinInUri(Redact(text), name);
            }
            if (!attributes.TryAdd(name, Decode(part[(equals + 1)..], text)))
            {
                throw Errors.Pkcs11UriInvalid(Redact(text), $"the attribute '{name}' appears twice.");
            }
        }
        foreach (string part in path.Split(';')) Add(part, ';', isQuery: false);
        foreach (string part in query.Split('&')) Add(part, '&', isQuery: true);

        string? Text(string name) => attributes.TryGetValue(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

        string? module = Text("module-path");
        if (string.IsNullOrWhiteSpace(module))
        {
            throw Errors.Pkcs11UriInvalid(Redact(text), attributes.ContainsKey("module-name")
                ? "module-name is not supported; give the module's full path as module-path (for SoftHSM2: ?module-path=/usr/lib/softhsm/libsofthsm2.so)."
                : "it has no module-path (the PKCS#11 library to load, e.g. ?module-path=/usr/lib/softhsm/libsofthsm2.so).");
        }
        if (Text("type") is { } type && !type.Equals("private", StringComparison.OrdinalIgnoreCase))
        {
            throw Errors.Pkcs11UriInvalid(Redact(text), $"type={type} names no private key (use type=private or leave it out).");
        }
        ulong? slotId = null;
        if (Text("slot-id") is { } slot)
        {
            slotId = ulong.TryParse(slot, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed)
                ? parsed
                : throw Errors.Pkcs11UriInvalid(Redact(text), $"slot-id '{slot}' is not a decimal number.");
        }
        byte[]? id = attributes.TryGetValue("id", out var idBytes) ? idBytes : null;
        string? token = Text("token"), label = Text("object");
        if (label is null && id is null)
        {
            throw Errors.Pkcs11UriInvalid(Redact(text), "it names no key: add object=<label> or id=<percent-encoded bytes>.");
        }
        return new Pkcs11Uri
        {
            Text = text,
            ModulePath = module,
            Token = token,
            Object = label,
            Id = id,
            SlotId = slotId,
            Serial = Text("serial"),
            Manufacturer = Text("manufacturer"),
            Model = Text("model"),
        };
    }

    /// <summary>
    /// Percent-decodes a value into bytes. MSBuild itself decodes %XX sequences before a task sees a property, so characters
    /// up to U+00FF are taken as the bytes they stand for (id=%01 arrives as U+0001); others as their UTF-8 bytes.
    /// </summary>
    private static byte[] Decode(string value, string uri)
    {
        var bytes = new List<byte>(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '%')
            {
                if (i + 2 >= value.Length || !byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
                {
                    throw Errors.Pkcs11UriInvalid(Redact(uri), $"'{Shorten(value)}' has a '%' that is not followed by two hex digits.");
                }
                bytes.Add(b);
                i += 2;
            }
            else if (c <= '\u00ff')
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value.Substring(i, char.IsHighSurrogate(c) && i + 1 < value.Length ? 2 : 1)));
                if (char.IsHighSurrogate(c)) i++;
            }
        }
        return bytes.ToArray();
    }

    /// <summary>The URI with the value of any pin-value/pin-source attribute replaced, so an error never repeats a PIN.</summary>
    public static string Redact(string uri)
    {
        var builder = new StringBuilder(uri.Length);
        int start = 0;
        for (int i = 0; i <= uri.Length; i++)
        {
            if (i < uri.Length && uri[i] is not (';' or '?' or '&')) continue;
            string part = uri[start..i];
            int equals = part.IndexOf('=');
            string name = equals > 0 ? part[..equals].Trim().ToLowerInvariant() : "";
            builder.Append(name is "pin-value" or "pin-source" ? part[..(equals + 1)] + "***" : part);
            if (i < uri.Length) builder.Append(uri[i]);
            start = i + 1;
        }
        return builder.ToString();
    }

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..57] + "...";

    /// <summary>The key's id in the URI's notation (%01%02), for messages.</summary>
    public static string FormatId(byte[] id) => string.Concat(id.Select(b => $"%{b:x2}"));

    /// <summary>What the URI selects, for messages: token and key, never the module's options.</summary>
    public string KeyDescription =>
        string.Join(", ", new[]
        {
            Object is { } o ? $"object={o}" : null,
            Id is { } i ? $"id={FormatId(i)}" : null,
        }.Where(x => x is not null));

    public string TokenDescription =>
        string.Join(", ", new[]
        {
            Token is { } t ? $"token={t}" : null,
            Serial is { } s ? $"serial={s}" : null,
            SlotId is { } slot ? $"slot-id={slot}" : null,
            Manufacturer is { } m ? $"manufacturer={m}" : null,
            Model is { } model ? $"model={model}" : null,
        }.Where(x => x is not null)) is { Length: > 0 } d ? d : "any token";

    public override string ToString() => Text;
}
