using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.IO;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.Core.Packages;

namespace BuildSigning.Core.Gate;

/// <summary>What an approval did: the bundles it wrote, and the ones it left alone with why.</summary>
public sealed record ApprovalResult(string Target, KeyId Key, IReadOnlyList<string> Written, IReadOnlyList<string> Skipped);

/// <summary>
/// Adds one more signature over each statement (and a package's file signature) of a signed folder or package: a separate
/// Sigstore bundle per statement under <see cref="ApprovalLayout"/>. The existing signatures are verified first; no existing
/// file is changed; a key that already signed (or approved) adds nothing.
/// </summary>
public static class Approver
{
    /// <remarks>With a <paramref name="recorder"/>, each approval goes to the transparency log and the audit log like any signing.</remarks>
    public static ApprovalResult Approve(string target, SigningKey key, IReadOnlyCollection<VerificationKey> trustedKeys, Uri? timestampUrl = null,
        Transparency.SigningRecorder? recorder = null)
    {
        if (trustedKeys.Count == 0) throw Errors.ApprovalTrustMissing();
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(target));
        var written = new List<string>();
        var skipped = new List<string>();
        string keyDirectory = ApprovalLayout.KeyDirectory(full, key.Id);

        void Write(string originalBundle, KeyId originalSigner, Func<string, SigstoreBundle> sign)
        {
            string name = Path.GetFileName(originalBundle);
            if (originalSigner.Equals(key.Id)) { skipped.Add($"{name}: already signed by key {key.Id.Hex}"); return; }
            string path = Path.Combine(keyDirectory, name);
            if (File.Exists(path)) { skipped.Add($"{name}: already approved by key {key.Id.Hex}"); return; }
            Directory.CreateDirectory(keyDirectory);
            if (AtomicFile.TryCreateNew(path, sign(path).ToJsonBytes())) written.Add(path);
            else skipped.Add($"{name}: already approved by key {key.Id.Hex}");
        }

        if (ApprovalLayout.IsPackage(full))
        {
            PackageVerificationReport report;
            try
            {
                report = PackageVerifier.Verify(full, trustedKeys);
            }
            catch (BuildSigningException e)
            {
                throw Errors.ApprovalTargetUnverified(full, e.Message);
            }
            if (report.BundleSigner is null)
            {
                throw Errors.ApprovalTargetUnverified(full, $"it has no Sigstore bundle beside it ('{Path.GetFileName(PackageAttestor.BlobBundlePath(full))}'), and approvals sign that bundle's subject; pack it with a signing key that writes one.");
            }
            Write(PackageAttestor.BlobBundlePath(full), report.BundleSigner.Id, path =>
            {
                using var stream = File.OpenRead(full);
                return AttestationSigner.SignBlob(stream, key, timestampUrl, recorder, path);
            });
            foreach (var statement in report.Attestations) Write(statement.BundlePath, statement.SignedBy.Id, path => Resign(statement, key, timestampUrl, recorder, path));
        }
        else
        {
            if (!Directory.Exists(full)) throw Errors.GateInputNotFound(full);
            OutputVerificationReport report;
            try
            {
                report = OutputVerifier.Verify(full, trustedKeys);
            }
            catch (BuildSigningException e)
            {
                throw Errors.ApprovalTargetUnverified(full, e.Message);
            }
            if (!report.Succeeded)
            {
                var problems = report.Problems.Take(3).Select(p => p.Diagnostic.Formatted).ToList();
                if (report.Problems.Count > 3) problems.Add($"and {report.Problems.Count - 3} more problem(s).");
                if (problems.Count == 0) problems.Add("a subfolder signed on its own does not verify.");
                throw Errors.ApprovalTargetUnverified(full, string.Join(" ", problems));
            }
            foreach (var statement in report.FileStatements.Concat(report.Attestations)) Write(statement.BundlePath, statement.SignedBy.Id, path => Resign(statement, key, timestampUrl, recorder, path));
        }
        return new ApprovalResult(full, key.Id, written, skipped);
    }

    /// <summary>The same payload bytes, signed by another key: the statement is not re-serialized.</summary>
    private static SigstoreBundle Resign(VerifiedStatement statement, SigningKey key, Uri? timestampUrl, Transparency.SigningRecorder? recorder, string bundlePath)
    {
        var envelope = statement.Bundle.Dsse!;
        return AttestationSigner.SignPayload(envelope.PayloadType, envelope.Payload, key, timestampUrl, recorder, bundlePath);
    }
}
