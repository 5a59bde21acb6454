namespace BuildSigning.Core.Diagnostics;

/// <summary>Factories for every coded failure, so call sites read as what went wrong.</summary>
public static class Errors
{
    public static BuildSigningException Create(string resourceName, Exception? inner, params object?[] arguments) =>
        new(new Diagnostic(resourceName, arguments), inner);

    /// <summary>A failure at a place in a user's file: the message starts "file(line,column): " and the diagnostic carries the location.</summary>
    private static BuildSigningException At(string path, long line, long column, string resourceName, params object?[] rest) =>
        new(new Diagnostic(resourceName, [path, line, column, .. rest]) { Location = new SourceLocation(path, line, column) });

    public static BuildSigningException KeyFileNotFound(string path) => Create(nameof(KeyFileNotFound), null, path);
    public static BuildSigningException KeyFileUnreadable(string path, Exception e) => Create(nameof(KeyFileUnreadable), e, path, Sentence(e));
    public static BuildSigningException KeyPasswordWrong(string path, string variable, Exception? e = null) => Create(nameof(KeyPasswordWrong), e, path, variable);
    public static BuildSigningException KeyPasswordVariableNotSet(string path, string variable) => Create(nameof(KeyPasswordVariableNotSet), null, path, variable);
    public static BuildSigningException KeyPasswordVariableNotConfigured(string path) => Create(nameof(KeyPasswordVariableNotConfigured), null, path);
    public static BuildSigningException UnsupportedKeyType(string path, string description) => Create(nameof(UnsupportedKeyType), null, path, description);
    public static BuildSigningException KeyFileMalformed(string path, string reason, Exception? e = null) => Create(nameof(KeyFileMalformed), e, path, reason);
    public static BuildSigningException CertificateFileUnusable(string path, string reason, Exception? e = null) => Create(nameof(CertificateFileUnusable), e, path, reason);
    public static BuildSigningException CertificateKeyMismatch(string certificatePath, string keyPath) => Create(nameof(CertificateKeyMismatch), null, certificatePath, keyPath);
    public static BuildSigningException SigningKeyRequired(string reason) => Create(nameof(SigningKeyRequired), null, reason, "no signing key is configured");
    public static BuildSigningException SigningKeyRequiredButDevelopmentKeyConfigured(string reason, string keyFile, string keyId) =>
        Create(nameof(SigningKeyRequired), null, reason, $"BuildSigningKeyFile '{keyFile}' holds this machine's per-user development key (key id {keyId})");
    public static BuildSigningException PrivateKeyFileNotPrivate(string path, UnixFileMode mode) => Create(nameof(PrivateKeyFileNotPrivate), null, path, Octal(mode));
    public static BuildSigningException DevelopmentKeyIsLink(string path, string target) => Create(nameof(DevelopmentKeyIsLink), null, path, target);
    public static BuildSigningException DevelopmentKeyFolderUnsafe(string directory, string problem) => Create(nameof(DevelopmentKeyFolderUnsafe), null, directory, problem);
    public static BuildSigningException KeyFileIsFolder(string path) => Create(nameof(KeyFileIsFolder), null, path);
    public static BuildSigningException DevelopmentKeyUnavailable(string directory, Exception e) => Create(nameof(DevelopmentKeyUnavailable), e, directory, Sentence(e));
    public static BuildSigningException PublicKeyFileUnusable(string path, string reason, Exception? e = null) => Create(nameof(PublicKeyFileUnusable), e, path, reason);
    public static BuildSigningException Pkcs11UriInvalid(string uri, string reason) => Create(nameof(Pkcs11UriInvalid), null, uri, EndSentence(reason));
    public static BuildSigningException Pkcs11PinInUri(string redactedUri, string attribute) => Create(nameof(Pkcs11PinInUri), null, redactedUri, attribute);
    public static BuildSigningException Pkcs11ModuleNotLoaded(string module, string reason, Exception? e = null) => Create(nameof(Pkcs11ModuleNotLoaded), e, module, EndSentence(reason));
    public static BuildSigningException Pkcs11TokenNotFound(string selection, string module, string present) => Create(nameof(Pkcs11TokenNotFound), null, selection, module, present);
    public static BuildSigningException Pkcs11KeyNotFound(string token, string selection) => Create(nameof(Pkcs11KeyNotFound), null, token, selection);
    public static BuildSigningException Pkcs11KeyAmbiguous(string token, string selection, int count) => Create(nameof(Pkcs11KeyAmbiguous), null, token, selection, count);
    public static BuildSigningException Pkcs11PinWrong(string token, string variable, string returnValue, Exception? e = null) => Create(nameof(Pkcs11PinWrong), e, token, variable, returnValue);
    public static BuildSigningException Pkcs11PinVariableNotConfigured(string token) => Create(nameof(Pkcs11PinVariableNotConfigured), null, token);
    public static BuildSigningException Pkcs11PinVariableNotSet(string token, string variable) => Create(nameof(Pkcs11PinVariableNotSet), null, token, variable);
    public static BuildSigningException Pkcs11KeyUnsupported(string key, string description) => Create(nameof(Pkcs11KeyUnsupported), null, key, description);
    public static BuildSigningException Pkcs11OperationFailed(string token, string operation, string reason, Exception? e = null) => Create(nameof(Pkcs11OperationFailed), e, token, operation, EndSentence(reason));
    public static BuildSigningException Pkcs11CertificateMissing(string token, string key) => Create(nameof(Pkcs11CertificateMissing), null, token, key);
    public static BuildSigningException Pkcs11PublicKeyMissing(string token, string key) => Create(nameof(Pkcs11PublicKeyMissing), null, token, key);
    public static BuildSigningException KeyOutputExists(string path) => Create(nameof(KeyOutputExists), null, path);
    public static BuildSigningException KeygenPasswordVariableNotSet(string variable) => Create(nameof(KeygenPasswordVariableNotSet), null, variable);
    public static BuildSigningException NoVerificationKey() => Create(nameof(NoVerificationKey), null);
    public static BuildSigningException CertificateSubjectInvalid(string subject, Exception e) => Create(nameof(CertificateSubjectInvalid), e, subject, Sentence(e));
    public static BuildSigningException NuGetCertificateNeedsRsa(string type) => Create(nameof(NuGetCertificateNeedsRsa), null, type);
    public static BuildSigningException UsageError(string problem, string command) => Create(nameof(UsageError), null, EndSentence(problem), command);
    public static BuildSigningException NotAVerifiablePath(string path) => Create(nameof(NotAVerifiablePath), null, path);
    public static BuildSigningException DevelopmentKeyMissing(string path) => Create(nameof(DevelopmentKeyMissing), null, path);
    public static BuildSigningException FingerprintOnlyForPackages(string path) => Create(nameof(FingerprintOnlyForPackages), null, path);
    public static BuildSigningException NoSignedPackageContent(string path, string pattern) => Create(nameof(NoSignedPackageContent), null, path, pattern);
    public static BuildSigningException KeyPasswordVariableEmpty(string variable, string path) => Create(nameof(KeyPasswordVariableEmpty), null, variable, path);
    public static BuildSigningException AssetsFileMissing(string path) => Create(nameof(AssetsFileMissing), null, path);
    public static BuildSigningException AssetsFileCorrupt(string path, string reason, Exception? e = null) => Create(nameof(AssetsFileCorrupt), e, path, EndSentence(reason));
    public static BuildSigningException AssetsTargetMissing(string path, string target, string available) => Create(nameof(AssetsTargetMissing), null, path, target, available);
    public static BuildSigningException OutputFileUnreadable(string path, Exception e) => Create(nameof(OutputFileUnreadable), e, path, Sentence(e));
    public static BuildSigningException LinkedDirectoryInOutput(string root, string name) => Create(nameof(LinkedDirectoryInOutput), null, root, name);
    public static BuildSigningException UnsupportedFileInOutput(string root, string name, string description) => Create(nameof(UnsupportedFileInOutput), null, root, name, description);
    public static BuildSigningException ExternalLinkInOutput(string root, string name, string target) => Create(nameof(ExternalLinkInOutput), null, root, name, target);
    public static BuildSigningException OutputFileNotRegular(string path, string found) => Create(nameof(OutputFileNotRegular), null, path, EndSentence(found));
    public static BuildSigningException DirectoryLockTimeout(string directory, Exception e) => Create(nameof(DirectoryLockTimeout), e, directory);
    public static BuildSigningException LockFolderUnsafe(string lockDirectory, string problem) => Create(nameof(LockFolderUnsafe), null, lockDirectory, problem);
    public static BuildSigningException DirectoryLockFailed(string directory, string lockDirectory, Exception e) => Create(nameof(DirectoryLockFailed), e, directory, lockDirectory, Sentence(e));
    public static BuildSigningException SbomFormatUnknown(string format) => Create(nameof(SbomFormatUnknown), null, format);
    public static BuildSigningException SbomFormatCycloneDxTwice(string first, string second) => Create(nameof(SbomFormatCycloneDxTwice), null, first, second);
    public static BuildSigningException SbomNamespaceInvalid(string value) => Create(nameof(SbomNamespaceInvalid), null, value);
    public static BuildSigningException AttestationSubjectsMismatch(string bundle, string subject) => Create(nameof(AttestationSubjectsMismatch), null, bundle, subject);
    public static BuildSigningException AttestationDocumentModified(string document, string bundle) => Create(nameof(AttestationDocumentModified), null, document, bundle);
    public static BuildSigningException PackageCertificateRequired(string keyFile) => Create(nameof(PackageCertificateRequired), null, keyFile);
    public static BuildSigningException PackageHashAlgorithmUnknown(string value) => Create(nameof(PackageHashAlgorithmUnknown), null, value);
    public static BuildSigningException PackageSbomMismatch(string entry, string package, string describes, string expected) => Create(nameof(PackageSbomMismatch), null, entry, package, describes, expected);
    public static BuildSigningException PackageNotSigned(string package) => Create(nameof(PackageNotSigned), null, package);
    public static BuildSigningException PackageContentsNotSigned(string package, string reason) => Create(nameof(PackageContentsNotSigned), null, package, EndSentence(reason));
    public static BuildSigningException PackageContentsInvalid(string package, string entry, string problem) => Create(nameof(PackageContentsInvalid), null, package, entry, EndSentence(problem));
    public static BuildSigningException PackageCertificateNotPinned(string package, string subject, string fingerprint, string issues) =>
        Create(nameof(PackageCertificateNotPinned), null, package, subject, fingerprint, issues.TrimEnd('.'));
    public static BuildSigningException PackageNuGetSignatureInvalid(string package, string reason) => Create(nameof(PackageNuGetSignatureInvalid), null, package, EndSentence(reason));
    public static BuildSigningException PackageCertificateNotExpected(string package, string actual, string expected) => Create(nameof(PackageCertificateNotExpected), null, package, actual, expected);
    public static BuildSigningException NuGetTrustedRootsMissing(string bundle) => Create(nameof(NuGetTrustedRootsMissing), null, bundle);
    public static BuildSigningException OutputDirectoryMissing(string path) => Create(nameof(OutputDirectoryMissing), null, path);
    public static BuildSigningException FileWriteFailed(string path, Exception e) => Create(nameof(FileWriteFailed), e, path, Sentence(e));
    public static BuildSigningException BundleMalformed(string path, string reason, Exception? e = null) => Create(nameof(BundleMalformed), e, path, EndSentence(reason));
    public static BuildSigningException BundleSignatureInvalid(string path, string keyId) => Create(nameof(BundleSignatureInvalid), null, path, keyId);
    public static BuildSigningException BundleKeyNotTrusted(string path, string keyId) => Create(nameof(BundleKeyNotTrusted), null, path, keyId);
    public static BuildSigningException NoAttestations(string path) => Create(nameof(NoAttestations), null, path);
    public static BuildSigningException ManifestIncomplete(string path, string reason) => Create(nameof(ManifestIncomplete), null, path, EndSentence(reason));
    public static BuildSigningException GatePolicyUnreadable(string path, string reason) => Create(nameof(GatePolicyUnreadable), null, path, EndSentence(reason));
    public static BuildSigningException GatePolicyJsonInvalid(string path, long line, long column, string message) => At(path, line, column, nameof(GatePolicyJsonInvalid), message);
    public static BuildSigningException GatePolicyInvalidValue(string path, long line, long column, string reason) => At(path, line, column, nameof(GatePolicyInvalidValue), EndSentence(reason));
    public static BuildSigningException ApprovalTargetUnverified(string path, string reason) => Create(nameof(ApprovalTargetUnverified), null, path, EndSentence(reason));
    public static BuildSigningException ApprovalTrustMissing() => Create(nameof(ApprovalTrustMissing), null);
    public static BuildSigningException GateInputNotFound(string path) => Create(nameof(GateInputNotFound), null, path);
    public static BuildSigningException GateFormatNeedsPolicy() => Create(nameof(GateFormatNeedsPolicy), null);
    public static BuildSigningException GateKeysInPolicy() => Create(nameof(GateKeysInPolicy), null);
    public static BuildSigningException SignerPublicKeyFileMissing() => Create(nameof(SignerPublicKeyFileMissing), null);
    public static BuildSigningException SignerAndKeyFileBothSet(string keyFile) => Create(nameof(SignerAndKeyFileBothSet), null, keyFile);
    public static BuildSigningException SignerCommandNotStarted(Exception e) => Create(nameof(SignerCommandNotStarted), e, Sentence(e));
    public static BuildSigningException SignerCommandFailed(int exitCode, string standardError) => Create(nameof(SignerCommandFailed), null, exitCode, standardError);
    public static BuildSigningException SignerCommandTimedOut(int seconds, string standardError) => Create(nameof(SignerCommandTimedOut), null, seconds, standardError);
    public static BuildSigningException SignerOutputUnreadable(string reason, string standardError) => Create(nameof(SignerOutputUnreadable), null, EndSentence(reason), standardError);
    public static BuildSigningException SignerSignatureInvalid(string publicKeyFile, string keyId, string scheme, string standardError) =>
        Create(nameof(SignerSignatureInvalid), null, publicKeyFile, keyId, scheme, standardError);
    public static BuildSigningException SignerTimeoutInvalid(string value) => Create(nameof(SignerTimeoutInvalid), null, value);
    public static BuildSigningException Ed25519PackageSignature(string keyFile) => Create(nameof(Ed25519PackageSignature), null, keyFile);
    public static BuildSigningException SignerPackageSignature(string reason) => Create(nameof(SignerPackageSignature), null, EndSentence(reason));
    public static BuildSigningException SignerPublicKeyUnsupported(string publicKeyFile) => Create(nameof(SignerPublicKeyUnsupported), null, publicKeyFile);

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

    public static BuildSigningException TrustPolicyFileNotFound(string path) => Create(nameof(TrustPolicyFileNotFound), null, path);
    public static BuildSigningException TrustPolicyFileUnreadable(string path, Exception e) => Create(nameof(TrustPolicyFileUnreadable), e, path, Sentence(e));
    public static BuildSigningException TrustPolicyJsonInvalid(string path, long line, long column, string reason) => At(path, line, column, nameof(TrustPolicyJsonInvalid), reason.Trim().TrimEnd('.'));
    public static BuildSigningException TrustPolicyUnknownField(string path, long line, long column, string field, string where, string known) => At(path, line, column, nameof(TrustPolicyUnknownField), field, where, known);
    public static BuildSigningException TrustPolicyInvalidValue(string path, long line, long column, string reason) => At(path, line, column, nameof(TrustPolicyInvalidValue), EndSentence(reason));
    public static BuildSigningException TrustPolicyInvalidFingerprint(string path, long line, long column, string value, string algorithm, string reason) => At(path, line, column, nameof(TrustPolicyInvalidFingerprint), value, algorithm, EndSentence(reason));
    public static BuildSigningException TrustPolicyInvalidPattern(string path, long line, long column, string value, string reason) => At(path, line, column, nameof(TrustPolicyInvalidPattern), value, EndSentence(reason));
    public static BuildSigningException TrustPolicyInvalidVersionRange(string path, long line, long column, string value, string reason) => At(path, line, column, nameof(TrustPolicyInvalidVersionRange), value, EndSentence(reason));
    public static BuildSigningException TrustPolicyInvalidItem(string itemType, string identity, string reason) => Create(nameof(TrustPolicyInvalidItem), null, itemType, identity, EndSentence(reason));
    public static BuildSigningException PackageInventoryUnreadable(string package, string reason, Exception? e = null) => Create(nameof(PackageInventoryUnreadable), e, package, EndSentence(reason));
    public static BuildSigningException PackageSbomEntryMissing(string package, string entry, string targetFramework) => Create(nameof(PackageSbomEntryMissing), null, package, entry, targetFramework);
    public static BuildSigningException PackageSbomInventoryMismatch(string entry, string package, string difference) => Create(nameof(PackageSbomInventoryMismatch), null, entry, package, difference);

    /// <summary>A Unix file mode as chmod writes it (0644).</summary>
    internal static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    public static BuildSigningException TransparencyLogUrlInvalid(string url) => Create(nameof(TransparencyLogUrlInvalid), null, url);
    public static BuildSigningException TransparencyLogUnreachable(string url, Exception e) => Create(nameof(TransparencyLogUnreachable), e, url, Sentence(e));
    public static BuildSigningException TransparencyLogHttpError(string url, string what, int status, string detail) => Create(nameof(TransparencyLogHttpError), null, url, what, status, EndSentence(detail));
    public static BuildSigningException TransparencyLogResponseInvalid(string url, string what, string reason, Exception? e = null) => Create(nameof(TransparencyLogResponseInvalid), e, url, what, reason.TrimEnd('.'));
    public static BuildSigningException TransparencyLogProofInvalid(string url, string what, long index, string reason) => Create(nameof(TransparencyLogProofInvalid), null, url, what, index, reason.TrimEnd('.'));
    public static BuildSigningException TransparencyLogEntryInvalid(string path, string check, string reason) => Create(nameof(TransparencyLogEntryInvalid), null, path, check, reason.TrimEnd('.'));
    public static BuildSigningException TransparencyLogEntryMissing(string path) => Create(nameof(TransparencyLogEntryMissing), null, path);
    public static BuildSigningException TransparencyLogNotTrusted(string path, string logId) => Create(nameof(TransparencyLogNotTrusted), null, path, logId);
    public static BuildSigningException TransparencyLogKeyUnusable(string path, string reason) => Create(nameof(TransparencyLogKeyUnusable), null, path, EndSentence(reason));
    public static BuildSigningException AuditLogWriteFailed(string path, Exception e) => Create(nameof(AuditLogWriteFailed), e, path, Sentence(e));
    public static BuildSigningException AuditLogBusy(string path, int seconds) => Create(nameof(AuditLogBusy), null, path, seconds);
    public static BuildSigningException AuditLogBroken(string path, int line, string reason) => Create(nameof(AuditLogBroken), null, path, line, reason.TrimEnd('.'));
    public static BuildSigningException AuditLogNotInTransparencyLog(string path, int line, long index, string bundle, string reason) => Create(nameof(AuditLogNotInTransparencyLog), null, path, line, index, bundle, reason.TrimEnd('.'));
    public static BuildSigningException AuditLogUnreadable(string path, Exception e) => Create(nameof(AuditLogUnreadable), e, path, Sentence(e));

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
    public static Diagnostic SbomPackageHashUnknown(string id, string version, string directory) => Create(nameof(SbomPackageHashUnknown), id, version, directory);
    public static Diagnostic SbomPackageFolderMissing(string id, string version, string folders) => Create(nameof(SbomPackageFolderMissing), id, version, folders);
    public static Diagnostic SbomNuspecUnreadable(string id, string version, string path, string reason) => Create(nameof(SbomNuspecUnreadable), id, version, path, Errors.EndSentence(reason));
    public static Diagnostic SbomPackageNoLicense(string id, string version) => Create(nameof(SbomPackageNoLicense), id, version);
    public static Diagnostic SbomPackageIdUnusual(string id) => Create(nameof(SbomPackageIdUnusual), id);
    public static Diagnostic SbomDependencyUnresolved(string id, string version, string dependency, string target) => Create(nameof(SbomDependencyUnresolved), id, version, dependency, target);
    public static Diagnostic SbomLicenseExpressionInvalid(string id, string version, string expression) => Create(nameof(SbomLicenseExpressionInvalid), id, version, expression);
    public static Diagnostic SourceDateEpochInvalid(string value) => Create(nameof(SourceDateEpochInvalid), value);
    public static Diagnostic SourceRevisionInvalid(string value) => Create(nameof(SourceRevisionInvalid), value);
    public static Diagnostic GitRepositoryUnreadable(string path, string reason) => Create(nameof(GitRepositoryUnreadable), path, Errors.EndSentence(reason));
    public static Diagnostic PasswordVariableInBinlog(string variable) => Create(nameof(PasswordVariableInBinlog), variable);
    public static Diagnostic OutputShared(string directory, string previousProject, string project) => Create(nameof(OutputShared), directory, previousProject, project);
    public static Diagnostic BuilderIdInvalid(string configured, string used) => Create(nameof(BuilderIdInvalid), configured, used);
}

/// <summary>`buildsign init` and `buildsign trust` (BS4028-BS4037).</summary>
public static class TrustEditErrors
{
    private static BuildSigningException Create(string name, params object?[] arguments) => Errors.Create(name, null, arguments);
    public static BuildSigningException TrustPolicyToEditNotFound(string path) => Create(nameof(TrustPolicyToEditNotFound), path);
    public static BuildSigningException TrustPolicyNotEditable(string path, string reason) => Create(nameof(TrustPolicyNotEditable), path, Errors.EndSentence(reason));
    public static BuildSigningException TrustPolicyEditInvalid(string path, string error) => Create(nameof(TrustPolicyEditInvalid), path, error.TrimEnd('.'));
    public static BuildSigningException TrustPolicyEntryNotFound(string path, string name) => Create(nameof(TrustPolicyEntryNotFound), path, name);
    public static BuildSigningException TrustPolicyNameTaken(string path, string name) => Create(nameof(TrustPolicyNameTaken), path, name);
    public static BuildSigningException TrustPackageNotFound(string package, string where) => Create(nameof(TrustPackageNotFound), package, Errors.EndSentence(where));
    public static BuildSigningException TrustPackageHasNoSignature(string package, string wanted, string has) => Create(nameof(TrustPackageHasNoSignature), package, wanted, has);
    public static BuildSigningException InitRestoreFailed(string target, int exitCode) => Create(nameof(InitRestoreFailed), target, exitCode);
    public static BuildSigningException InitFileUnusable(string path, string reason, string version) => Create(nameof(InitFileUnusable), path, Errors.EndSentence(reason), version);
    /// <summary>Logged by BuildSigning.targets itself (an &lt;Error&gt; with this text), where no BuildSigning task can load.</summary>
    public static BuildSigningException VisualStudioMSBuildTooOld(string msbuildVersion) => Create(nameof(VisualStudioMSBuildTooOld), msbuildVersion);
    public static BuildSigningException TrustArgumentInvalid(string what, string value, string reason) => Create(nameof(TrustArgumentInvalid), what, value, Errors.EndSentence(reason));
}

/// <summary>Per-package verdicts of dependency verification (BS4010-BS4024): errors in enforce mode, warnings in audit mode.</summary>
public static class TrustMessages
{
    private static Diagnostic Create(string resourceName, params object?[] arguments) => new(resourceName, arguments);
    private static string Date(DateTimeOffset time) => time.UtcDateTime.TimeOfDay == TimeSpan.Zero
        ? time.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)
        : time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
    private static string Optional(DateTimeOffset? time) => time is { } t ? Date(t) : "any time";

    public static Diagnostic PackageUnsigned(string id, string version, string policy) => Create(nameof(PackageUnsigned), id, version, policy);
    public static Diagnostic PackageExceptionExpired(string id, string version, string exception, string policy, DateTimeOffset expired, string reason) => Create(nameof(PackageExceptionExpired), id, version, exception, policy, Date(expired), reason);
    public static Diagnostic PackageSignerNotTrusted(string id, string version, string signedBy, string policy) => Create(nameof(PackageSignerNotTrusted), id, version, signedBy, policy);
    public static Diagnostic PackageRuleNotSatisfied(string id, string version, string pattern, string policy, string required, string signedBy) => Create(nameof(PackageRuleNotSatisfied), id, version, pattern, policy, required, signedBy);
    public static Diagnostic PackageOwnersNotTrusted(string id, string version, string signer, string owners, string trustedOwners, string policy) => Create(nameof(PackageOwnersNotTrusted), id, version, signer, owners, trustedOwners, policy);
    public static Diagnostic PackageIntegrityFailed(string id, string version, string path, string reason, string folder) => Create(nameof(PackageIntegrityFailed), id, version, path, Errors.EndSentence(reason), folder);
    public static Diagnostic PackageSignatureInvalid(string id, string version, string signature, string reason, string folder) => Create(nameof(PackageSignatureInvalid), id, version, signature, Errors.EndSentence(reason), folder);
    public static Diagnostic PackageCertificateRevoked(string id, string version, string signature, string fingerprint, string policy, DateTimeOffset revokedOn, string? reason) => Create(nameof(PackageCertificateRevoked), id, version, signature, fingerprint, policy, Date(revokedOn), string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason);
    public static Diagnostic PackageKeyRevoked(string id, string version, string keyId, string policy, DateTimeOffset revokedOn, string? reason) => Create(nameof(PackageKeyRevoked), id, version, keyId, policy, Date(revokedOn), string.IsNullOrWhiteSpace(reason) ? "no reason given" : reason);
    public static Diagnostic PackageChangedAfterRestore(string id, string version, string path, string actual, string recorded, string folder) => Create(nameof(PackageChangedAfterRestore), id, version, path, actual, recorded, folder);
    public static Diagnostic PackageNupkgMissing(string id, string version, string folder) => Create(nameof(PackageNupkgMissing), id, version, folder);
    public static Diagnostic PackageSignedOutsideWindow(string id, string version, string signer, DateTimeOffset signedAt, string policy, DateTimeOffset? notBefore, DateTimeOffset? notAfter) => Create(nameof(PackageSignedOutsideWindow), id, version, signer, Date(signedAt), policy, Optional(notBefore), Optional(notAfter));
    public static Diagnostic PackageUntrustedRoot(string id, string version, string signature, string fingerprint, string signer, string detail, string policy) => Create(nameof(PackageUntrustedRoot), id, version, signature, fingerprint, signer, Errors.EndSentence(detail), policy);
    public static Diagnostic PackageBundleInvalid(string id, string version, string entry, string reason, string folder) => Create(nameof(PackageBundleInvalid), id, version, entry, Errors.EndSentence(reason), folder);
    public static Diagnostic PackageUnreadable(string id, string version, string path, string reason, string folder) => Create(nameof(PackageUnreadable), id, version, path, Errors.EndSentence(reason), folder);
    public static Diagnostic PackageNupkgNotTheExpectedFile(string id, string version, string folder, string expectedFileName, IEnumerable<string> found) => Create(nameof(PackageNupkgNotTheExpectedFile), id, version, folder, expectedFileName, string.Join(", ", found.Select(f => $"'{f}'")));
    public static Diagnostic PackageSha512FileMissing(string id, string version, string path, string folder) => Create(nameof(PackageSha512FileMissing), id, version, path, folder);
    public static Diagnostic PackageExtractedFileChanged(string id, string version, string path, string entry, string nupkg, string expected, string actual, string folder) => Create(nameof(PackageExtractedFileChanged), id, version, path, entry, nupkg, expected, actual, folder);
    public static Diagnostic PackageIdentityMismatch(string id, string version, string path, string actualId, string actualVersion, string folder) => Create(nameof(PackageIdentityMismatch), id, version, path, actualId, actualVersion, folder);
}

/// <summary>Factories for what verification finds in a signed folder (BS3xxx findings collected into a report, not thrown).</summary>
public static class Findings
{
    private static Diagnostic Create(string resourceName, params object?[] arguments) => new(resourceName, arguments);

    public static Diagnostic AttestationDocumentModified(string documentPath, string bundlePath) => Create(nameof(AttestationDocumentModified), documentPath, bundlePath);
    public static Diagnostic AttestationEntryUnexpected(string entry, string attestationDirectory) => Create(nameof(AttestationEntryUnexpected), entry, attestationDirectory);
    public static Diagnostic AttestationIncomplete(string name, int missing, int total, string example) => Create(nameof(AttestationIncomplete), name, missing, total, example);
    public static Diagnostic AttestationMissing(string name, string attestationDirectory) => Create(nameof(AttestationMissing), name, attestationDirectory);
    public static Diagnostic AttestationStale(string bundlePath, string attestedManifest, string signedManifest) => Create(nameof(AttestationStale), bundlePath, attestedManifest, signedManifest);
    public static Diagnostic AttestationSubjectsMismatch(string bundlePath, string subject) => Create(nameof(AttestationSubjectsMismatch), bundlePath, subject);
    public static Diagnostic ManifestFileDisagrees(string path, string actual, string signedManifest) => Create(nameof(ManifestFileDisagrees), path, actual, signedManifest);
    public static Diagnostic SignedDirectoryMissing(string name, string root) => Create(nameof(SignedDirectoryMissing), name, root);
    public static Diagnostic SignedDirectoryUnverified(string name, string root, string reason) => Create(nameof(SignedDirectoryUnverified), name, root, reason);
    public static Diagnostic SignedFileMissing(string name) => Create(nameof(SignedFileMissing), name);
    public static Diagnostic SignedFileModified(string name, string signedSha256, string actualSha256) => Create(nameof(SignedFileModified), name, signedSha256, actualSha256);
    public static Diagnostic SignedLinkChanged(string name, string was, string now) => Create(nameof(SignedLinkChanged), name, was, now);
    public static Diagnostic UnsignedFileFound(string name) => Create(nameof(UnsignedFileFound), name);
    public static Diagnostic UnsupportedFileFound(string name, string description) => Create(nameof(UnsupportedFileFound), name, description);
}
