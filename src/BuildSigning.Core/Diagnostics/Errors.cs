namespace BuildSigning.Core.Diagnostics;

/// <summary>Factories for every coded failure, so call sites read as what went wrong.</summary>
public static class Errors
{
    public static BuildSigningException Create(string resourceName, Exception? inner, params object?[] arguments) =>
        new(new Diagnostic(resourceName, arguments), inner);

    public static BuildSigningException KeyFileNotFound(string path) => Create(nameof(KeyFileNotFound), null, path);
    public static BuildSigningException KeyFileUnreadable(string path, Exception e) => Create(nameof(KeyFileUnreadable), e, path, Sentence(e));
    public static BuildSigningException KeyPasswordWrong(string path, string variable, Exception? e = null) => Create(nameof(KeyPasswordWrong), e, path, variable);
    public static BuildSigningException KeyPasswordVariableNotSet(string path, string variable) => Create(nameof(KeyPasswordVariableNotSet), null, path, variable);
    public static BuildSigningException KeyPasswordVariableNotConfigured(string path) => Create(nameof(KeyPasswordVariableNotConfigured), null, path);
    public static BuildSigningException UnsupportedKeyType(string path, string description) => Create(nameof(UnsupportedKeyType), null, path, description);
    public static BuildSigningException KeyFileMalformed(string path, string reason, Exception? e = null) => Create(nameof(KeyFileMalformed), e, path, reason);
    public static BuildSigningException CertificateFileUnusable(string path, string reason, Exception? e = null) => Create(nameof(CertificateFileUnusable), e, path, reason);
    public static BuildSigningException CertificateKeyMismatch(string certificatePath, string keyPath) => Create(nameof(CertificateKeyMismatch), null, certificatePath, keyPath);
    public static BuildSigningException SigningKeyRequired(string reason) => Create(nameof(SigningKeyRequired), null, reason);
    public static BuildSigningException DevelopmentKeyUnavailable(string directory, Exception e) => Create(nameof(DevelopmentKeyUnavailable), e, directory, Sentence(e));
    public static BuildSigningException PublicKeyFileUnusable(string path, string reason, Exception? e = null) => Create(nameof(PublicKeyFileUnusable), e, path, reason);
    public static BuildSigningException KeyOutputExists(string path) => Create(nameof(KeyOutputExists), null, path);
    public static BuildSigningException KeygenPasswordVariableNotSet(string variable) => Create(nameof(KeygenPasswordVariableNotSet), null, variable);
    public static BuildSigningException NoVerificationKey() => Create(nameof(NoVerificationKey), null);
    public static BuildSigningException AssetsFileMissing(string path) => Create(nameof(AssetsFileMissing), null, path);
    public static BuildSigningException AssetsFileCorrupt(string path, string reason, Exception? e = null) => Create(nameof(AssetsFileCorrupt), e, path, EndSentence(reason));
    public static BuildSigningException AssetsTargetMissing(string path, string target, string available) => Create(nameof(AssetsTargetMissing), null, path, target, available);
    public static BuildSigningException OutputFileUnreadable(string path, Exception e) => Create(nameof(OutputFileUnreadable), e, path, Sentence(e));
    public static BuildSigningException OutputDirectoryMissing(string path) => Create(nameof(OutputDirectoryMissing), null, path);
    public static BuildSigningException FileWriteFailed(string path, Exception e) => Create(nameof(FileWriteFailed), e, path, Sentence(e));
    public static BuildSigningException BundleMalformed(string path, string reason, Exception? e = null) => Create(nameof(BundleMalformed), e, path, EndSentence(reason));
    public static BuildSigningException BundleSignatureInvalid(string path, string keyId) => Create(nameof(BundleSignatureInvalid), null, path, keyId);
    public static BuildSigningException BundleKeyNotTrusted(string path, string keyId) => Create(nameof(BundleKeyNotTrusted), null, path, keyId);
    public static BuildSigningException NoAttestations(string path) => Create(nameof(NoAttestations), null, path);
    public static BuildSigningException ManifestIncomplete(string path, string reason) => Create(nameof(ManifestIncomplete), null, path, EndSentence(reason));

    public static BuildSigningException CodeSigningCertificateNoCodeSigningEku(string subject, string fingerprint) => Create(nameof(CodeSigningCertificateNoCodeSigningEku), null, subject, fingerprint);
    public static BuildSigningException CodeSigningCertificateExpired(string subject, string fingerprint, DateTime notAfter) => Create(nameof(CodeSigningCertificateExpired), null, subject, fingerprint, notAfter.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture));
    public static BuildSigningException CodeSigningCertificateNotYetValid(string subject, string fingerprint, DateTime notBefore) => Create(nameof(CodeSigningCertificateNotYetValid), null, subject, fingerprint, notBefore.ToUniversalTime().ToString("u", System.Globalization.CultureInfo.InvariantCulture));
    public static BuildSigningException CodeSigningCertificateKeyUnsupported(string subject, string fingerprint, string description) => Create(nameof(CodeSigningCertificateKeyUnsupported), null, subject, fingerprint, description);
    public static BuildSigningException CodeSigningCertificateNoPrivateKey(string subject, string fingerprint) => Create(nameof(CodeSigningCertificateNoPrivateKey), null, subject, fingerprint);
    public static BuildSigningException PackageAlreadySigned(string path) => Create(nameof(PackageAlreadySigned), null, path);
    public static BuildSigningException TimestampAuthorityUnreachable(string url, string reason, Exception? e = null) => Create(nameof(TimestampAuthorityUnreachable), e, url, EndSentence(reason));
    public static BuildSigningException TimestampAuthorityFailed(string url, string reason, Exception? e = null) => Create(nameof(TimestampAuthorityFailed), e, url, EndSentence(reason));
    public static BuildSigningException TimestampResponseInvalid(string url, string reason, Exception? e = null) => Create(nameof(TimestampResponseInvalid), e, url, EndSentence(reason));
    public static BuildSigningException TimestampAuthorityNotTrusted(string url, string reason, Exception? e = null) => Create(nameof(TimestampAuthorityNotTrusted), e, url, EndSentence(reason));
    public static BuildSigningException CodeSigningChainInvalid(string subject, string fingerprint, string reason, Exception? e = null) => Create(nameof(CodeSigningChainInvalid), e, subject, fingerprint, EndSentence(reason));
    public static BuildSigningException PackageSigningFailed(string path, string reason, Exception? e = null) => Create(nameof(PackageSigningFailed), e, path, EndSentence(reason));
    public static BuildSigningException PackageFileMissing(string path) => Create(nameof(PackageFileMissing), null, path);
    public static BuildSigningException TimestampUrlInvalid(string url) => Create(nameof(TimestampUrlInvalid), null, url);
    public static BuildSigningException TimestampInvalid(string source, string reason, Exception? e = null) => Create(nameof(TimestampInvalid), e, source, EndSentence(reason));

    /// <summary>Exception messages become the middle sentence of ours; make sure it ends like one.</summary>
    internal static string Sentence(Exception e) => EndSentence(e.Message);

    internal static string EndSentence(string text)
    {
        text = text.Trim();
        return text.Length == 0 || text.EndsWith('.') ? text : text + ".";
    }
}

/// <summary>Factories for coded warnings: problems worth reporting that do not stop the work (SBOM and provenance, BS5xxx).</summary>
public static class Warnings
{
    private static Diagnostic Create(string resourceName, params object?[] arguments) => new(resourceName, arguments);

    public static Diagnostic SbomPackageHashFileUnusable(string id, string version, string path, string reason) => Create(nameof(SbomPackageHashFileUnusable), id, version, path, Errors.EndSentence(reason));
    public static Diagnostic SbomPackageHashUnknown(string id, string version) => Create(nameof(SbomPackageHashUnknown), id, version);
    public static Diagnostic SbomPackageHashMismatch(string id, string version, string path) => Create(nameof(SbomPackageHashMismatch), id, version, path);
    public static Diagnostic SbomPackageFolderMissing(string id, string version, string folders) => Create(nameof(SbomPackageFolderMissing), id, version, folders);
    public static Diagnostic SbomNuspecUnreadable(string id, string version, string path, string reason) => Create(nameof(SbomNuspecUnreadable), id, version, path, Errors.EndSentence(reason));
    public static Diagnostic SbomPackageNoLicense(string id, string version) => Create(nameof(SbomPackageNoLicense), id, version);
    public static Diagnostic SbomPackageIdUnusual(string id) => Create(nameof(SbomPackageIdUnusual), id);
    public static Diagnostic SbomDependencyUnresolved(string id, string version, string dependency, string target) => Create(nameof(SbomDependencyUnresolved), id, version, dependency, target);
    public static Diagnostic SbomLicenseExpressionInvalid(string id, string version, string expression) => Create(nameof(SbomLicenseExpressionInvalid), id, version, expression);
    public static Diagnostic SourceDateEpochInvalid(string value) => Create(nameof(SourceDateEpochInvalid), value);
    public static Diagnostic SourceRevisionInvalid(string value) => Create(nameof(SourceRevisionInvalid), value);
    public static Diagnostic GitRepositoryUnreadable(string path, string reason) => Create(nameof(GitRepositoryUnreadable), path, Errors.EndSentence(reason));
    public static Diagnostic BuilderIdInvalid(string configured, string used) => Create(nameof(BuilderIdInvalid), configured, used);
}
