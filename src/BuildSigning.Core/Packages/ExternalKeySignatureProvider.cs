using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using NuGet.Common;
using NuGet.Packaging.Signing;

namespace BuildSigning.Core.Packages;

/// <summary>
/// NuGet author signatures with a private key that is not attached to the certificate (a PKCS#11 token key). NuGet's own
/// public pieces build the signer: SigningUtility.CreateCmsSigner gives the CmsSigner with NuGet's signed attributes
/// (signing time, commitment type, signing-certificate-v2) and the chain it built in SigningUtility.Verify; only the
/// private key is ours (CmsSigner.PrivateKey), and CMS then asks it for one RSA SignHash. The timestamp, when asked
/// for, is requested as NuGet's X509SignatureProvider requests it: over the signature value.
/// </summary>
internal sealed class ExternalKeySignatureProvider(RSA privateKey, ITimestampProvider? timestampProvider) : ISignatureProvider
{
    public async Task<PrimarySignature> CreatePrimarySignatureAsync(SignPackageRequest request, SignatureContent signatureContent, ILogger logger, CancellationToken token)
    {
        if (request is not AuthorSignPackageRequest) throw new NotSupportedException($"Only author signatures are made with an external key, not {request.GetType().Name}.");
        var signer = SigningUtility.CreateCmsSigner(request, logger);
        signer.PrivateKey = privateKey;
        var cms = new SignedCms(new ContentInfo(signatureContent.GetBytes()));
        cms.ComputeSignature(signer, silent: true);
        var signature = PrimarySignature.Load(cms);
        if (timestampProvider is null) return signature;

        byte[] signatureValue = signature.GetSignatureValue();
        byte[] messageHash = request.TimestampHashAlgorithm switch
        {
            NuGet.Common.HashAlgorithmName.SHA384 => SHA384.HashData(signatureValue),
            NuGet.Common.HashAlgorithmName.SHA512 => SHA512.HashData(signatureValue),
            _ => SHA256.HashData(signatureValue),
        };
        var timestampRequest = new TimestampRequest(SigningSpecifications.V1, messageHash, request.TimestampHashAlgorithm, SignaturePlacement.PrimarySignature);
        return await timestampProvider.TimestampSignatureAsync(signature, timestampRequest, logger, token);
    }

    public Task<PrimarySignature> CreateRepositoryCountersignatureAsync(RepositorySignPackageRequest request, PrimarySignature primarySignature, ILogger logger, CancellationToken token) =>
        throw new NotSupportedException("Repository countersignatures are not made with an external key.");
}
