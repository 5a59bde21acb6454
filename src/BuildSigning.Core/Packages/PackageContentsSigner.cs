using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Trust;

namespace BuildSigning.Core.Packages;

/// <summary>
/// Signs a package by key, inside the package: a DSSE statement whose subjects are every entry of the .nupkg (except
/// <c>.signature.p7s</c> and <c>.buildsigning/</c>) with its SHA-256, stored as <see cref="EntryName"/>. It is added after
/// pack and before the NuGet author signature (which then covers it too), so a team can trust its own packages by key
/// (EC, RSA, Ed25519, HSM) at restore, through the trust policy's <c>trustedKeys</c>, without a code-signing certificate.
/// </summary>
public static class PackageContentsSigner
{
    public const string EntryName = ".buildsigning/package.sigstore.json";
    public const string PredicateType = "https://buildsigning.dev/attestation/package-contents/v1";

    /// <summary>
    /// Replaces any carried bundle with one signed by <paramref name="key"/>. A package that already has a NuGet signature
    /// is left alone (changing an entry would break that signature) unless <paramref name="removeNuGetSignature"/> is set,
    /// as when the package is about to be signed again. Returns false when the package was left alone.
    /// </summary>
    public static bool Embed(string packagePath, SigningKey key, Uri? timestampUrl, bool removeNuGetSignature, Transparency.SigningRecorder? recorder = null) =>
        PackageRewriter.Rewrite(packagePath, new Dictionary<string, byte[]>(), new PackageContentsStatement(key, timestampUrl, removeNuGetSignature, recorder)).ContentsSigned;

    /// <summary>
    /// The carried bundles of a package that verify with one of <paramref name="keys"/> and cover exactly its entries,
    /// as restore checks them for <c>trustedKeys</c>; a bundle by one of these keys that does not hold throws.
    /// </summary>
    public static VerificationKey? VerifyCarried(string packagePath, IReadOnlyCollection<VerificationKey> keys)
    {
        using var package = PackageSignatureInspector.Open(packagePath);
        var trusted = keys.Select(k => new TrustedKey(k.Id.Hex, k.Id, k)).ToList();
        VerificationKey? signer = null;
        foreach (var bundle in package.CheckBundles(trusted))
        {
            if (bundle.TrustedKey is null) continue;
            if (bundle.Problem is not null) throw Errors.PackageContentsInvalid(packagePath, bundle.Entry, bundle.Problem);
            signer ??= bundle.TrustedKey.PublicKey;
        }
        return signer;
    }
}
