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
        var context = new TrustPolicyContext(UntrustedJson.WithoutByteOrderMark(json).ToArray(), source);
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

        var policy = new TrustPolicySchema(context).Build(root);
        return context.Errors.Count > 0 ? new TrustPolicyReadResult(null, context.Errors) : new TrustPolicyReadResult(policy, []);
    }

    internal static TrustPolicyReadResult Fail(Diagnostic error) => new(null, [error]);

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
            var root = PositionedJson.ReadNode(ref reader);
            return reader.Read() ? null : root;
        }
        catch (Exception e) when (e is JsonException or DuplicateFieldException or InvalidTextException)
        {
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
