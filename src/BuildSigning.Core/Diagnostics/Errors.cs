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
    public static BuildSigningException OutputFileUnreadable(string path, Exception e) => Create(nameof(OutputFileUnreadable), e, path, Sentence(e));
    public static BuildSigningException OutputDirectoryMissing(string path) => Create(nameof(OutputDirectoryMissing), null, path);
    public static BuildSigningException FileWriteFailed(string path, Exception e) => Create(nameof(FileWriteFailed), e, path, Sentence(e));
    public static BuildSigningException BundleMalformed(string path, string reason, Exception? e = null) => Create(nameof(BundleMalformed), e, path, EndSentence(reason));
    public static BuildSigningException BundleSignatureInvalid(string path, string keyId) => Create(nameof(BundleSignatureInvalid), null, path, keyId);
    public static BuildSigningException BundleKeyNotTrusted(string path, string keyId) => Create(nameof(BundleKeyNotTrusted), null, path, keyId);
    public static BuildSigningException NoAttestations(string path) => Create(nameof(NoAttestations), null, path);
    public static BuildSigningException ManifestIncomplete(string path, string reason) => Create(nameof(ManifestIncomplete), null, path, EndSentence(reason));

    /// <summary>Exception messages become the middle sentence of ours; make sure it ends like one.</summary>
    internal static string Sentence(Exception e) => EndSentence(e.Message);

    internal static string EndSentence(string text)
    {
        text = text.Trim();
        return text.Length == 0 || text.EndsWith('.') ? text : text + ".";
    }
}
