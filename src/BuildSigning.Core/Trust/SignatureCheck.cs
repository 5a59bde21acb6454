using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;

namespace BuildSigning.Core.Trust;

/// <summary>NuGet's verdict on one signature: cryptography, certificate chain, timestamp and validity at signing time.</summary>
/// <param name="Valid">Everything checked out, including a chain to a trusted root.</param>
/// <param name="OnlyUntrustedRoot">Everything checked out except that the chain ends in an untrusted root (NU3018).</param>
/// <param name="Issues">NuGet's error messages ("NU3037: …").</param>
/// <param name="TrustedTime">The signing time NuGet verified (the timestamp's), or null when not timestamped or not verified.</param>
public sealed record SignatureCheck(bool Valid, bool OnlyUntrustedRoot, IReadOnlyList<string> Issues, DateTimeOffset? TrustedTime)
{
    public string IssuesText => Issues.Count == 0 ? "NuGet rejected it without details." : string.Join(" ", Issues.Select(i => Errors.EndSentence(i)));
}

/// <summary>A BuildSigning Sigstore bundle carried in a package, checked against the trusted keys.</summary>
/// <param name="Entry">Its path inside the .nupkg.</param>
/// <param name="KeyId">The key that signed it (as the bundle names it), when it could be read.</param>
/// <param name="TrustedKey">The trusted key that verified it, or null.</param>
/// <param name="Problem">Why a bundle by a trusted key does not hold (bad signature, package content differs), else null.</param>
public sealed record CarriedBundle(string Entry, KeyId? KeyId, TrustedKey? TrustedKey, string? Problem)
{
    public bool Verified => TrustedKey is not null && Problem is null;
}
