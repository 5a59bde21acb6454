using System.Globalization;
using BuildSigning.Core.Diagnostics;

namespace BuildSigning.Core.Sbom;

/// <summary>
/// SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/): when set, every timestamp we write is
/// that time, so two builds of the same inputs produce the same bytes.
/// </summary>
public static class SourceDateEpoch
{
    public const string VariableName = "SOURCE_DATE_EPOCH";

    /// <summary>
    /// The time to write: SOURCE_DATE_EPOCH when it is set to a valid value, otherwise <paramref name="now"/> (truncated
    /// to whole seconds). An invalid value yields a BS5008 warning.
    /// </summary>
    public static DateTimeOffset Resolve(Func<string, string?> environment, DateTimeOffset now, out Diagnostic? warning)
    {
        warning = null;
        string? value = environment(VariableName);
        if (string.IsNullOrWhiteSpace(value)) return Truncate(now);
        if (TryParse(value, out var time)) return time;
        warning = Warnings.SourceDateEpochInvalid(value);
        return Truncate(now);
    }

    /// <summary>Reads the process environment.</summary>
    public static DateTimeOffset Resolve(DateTimeOffset now, out Diagnostic? warning) =>
        Resolve(Environment.GetEnvironmentVariable, now, out warning);

    public static bool TryParse(string value, out DateTimeOffset time)
    {
        time = default;
        // The spec: an ASCII decimal integer of seconds since the epoch; no sign, no fraction.
        if (!long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)) return false;
        if (seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()) return false;
        time = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return true;
    }

    private static DateTimeOffset Truncate(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds());
}
