namespace BuildSigning.TestSupport;

/// <summary>How a test signing command answers (see docs/signing-keys.md, "External signers").</summary>
public enum SignerBehaviour
{
    /// <summary>openssl signs the digest; the signature is printed as DER in base64.</summary>
    Der,
    /// <summary>openssl signs; the ECDSA signature is turned into IEEE P1363 r||s (what some KMSs return), then base64.</summary>
    P1363,
    /// <summary>Exits with code 3 after writing "access denied by test KMS" to stderr.</summary>
    Fail,
    /// <summary>Sleeps far longer than any timeout a test sets.</summary>
    Hang,
    /// <summary>Signs a different digest (the SHA-256 of the digest's hex): a valid signature over the wrong thing.</summary>
    WrongDigest,
}

/// <summary>
/// A stand-in for a cloud KMS: a POSIX shell script that signs the digest on its standard input with openssl, using a private
/// key kept outside the project, and prints the signature in base64 (the BuildSigningSignerCommand protocol).
/// </summary>
public static class OpenSslSigner
{
    public static string WriteScript(string path, string privateKeyPem, SignerBehaviour behaviour = SignerBehaviour.Der)
    {
        string body = behaviour switch
        {
            SignerBehaviour.Fail => "cat > /dev/null\necho 'access denied by test KMS' >&2\nexit 3\n",
            SignerBehaviour.Hang => "echo 'waiting for the test KMS' >&2\nexec sleep 300\n",
            _ => $$"""
                case "$BUILDSIGNING_DIGEST_ALGORITHM" in
                  SHA256) d=sha256; n=64 ;;
                  SHA384) d=sha384; n=96 ;;
                  SHA512) d=sha512; n=132 ;;
                  *) echo "unexpected digest algorithm '$BUILDSIGNING_DIGEST_ALGORITHM'" >&2; exit 2 ;;
                esac
                work=$(mktemp -d)
                trap 'rm -rf "$work"' EXIT
                cat > "$work/digest"
                [ "$(od -An -v -tx1 "$work/digest" | tr -d ' \n')" = "$BUILDSIGNING_DIGEST_HEX" ] || { echo 'stdin and BUILDSIGNING_DIGEST_HEX differ' >&2; exit 4; }
                {{(behaviour == SignerBehaviour.WrongDigest ? "printf '%s' \"$BUILDSIGNING_DIGEST_HEX\" | openssl dgst -$d -binary > \"$work/digest\"\n" : "")}}openssl pkeyutl -sign -inkey '{{privateKeyPem}}' -pkeyopt digest:$d -in "$work/digest" -out "$work/sig" || exit 5
                {{(behaviour == SignerBehaviour.P1363
                    ? "openssl asn1parse -inform DER -in \"$work/sig\" | awk -F: '/INTEGER/ {print $NF}' | while read h; do printf \"%${n}s\" \"$h\" | tr ' ' 0; done | xxd -r -p > \"$work/raw\"\nbase64 -w0 \"$work/raw\"\n"
                    : "base64 -w0 \"$work/sig\"\n")}}
                """,
        };
        File.WriteAllText(path, "#!/bin/sh\n# Test signing command: a local stand-in for a KMS (BuildSigningSignerCommand protocol).\n" + body);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }
}
