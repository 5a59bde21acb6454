using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BuildSigning.Core.Diagnostics;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace BuildSigning.Core.Keys.Pkcs11;

/// <summary>
/// Opens a private key held in a PKCS#11 token (HSM, smart card, SoftHSM2) from an RFC 7512 URI: loads the module, finds
/// the token, logs in with the PIN from the environment variable named by BuildSigningKeyPasswordVariable, finds exactly
/// one private key, and returns an <see cref="ECDsa"/> or <see cref="RSA"/> whose signing is a C_Sign in the token. Every
/// failure is coded (BS1030-BS1042) and happens here, before anything is signed or written.
/// </summary>
public static class Pkcs11KeyLoader
{
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string P384Oid = "1.3.132.0.34";

    /// <summary>A token key for DSSE signing (build, publish and pack bundles).</summary>
    public static SigningKey LoadSigningKey(string uriText, string? pinVariable, string? certificateFile, Func<string, string?>? environment = null)
    {
        var uri = Pkcs11Uri.Parse(uriText);
        var (key, _, _) = Open(uri, pinVariable, environment ?? Environment.GetEnvironmentVariable, readCertificate: false);
        X509Certificate2? certificate = null;
        try
        {
            var algorithm = SignatureAlgorithms.ForKey(key, out string description) ?? throw Errors.Pkcs11KeyUnsupported(uri.KeyDescription, description);
            if (certificateFile is { Length: > 0 }) certificate = SigningKeyLoader.LoadCertificate(certificateFile);
            var signingKey = new SigningKey(key, algorithm, uri.Text, certificate, isDevelopmentKey: false);
            if (certificate is not null && !certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(signingKey.PublicKey.SubjectPublicKeyInfo))
            {
                throw Errors.CertificateKeyMismatch(certificateFile!, uri.Text);
            }
            return signingKey;
        }
        catch
        {
            key.Dispose();
            certificate?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A token RSA key with its code-signing certificate, for the NuGet author signature: the certificate from
    /// BuildSigningCertificateFile, else the one stored in the token beside the key (same CKA_ID, else same label).
    /// </summary>
    public static CodeSigningCertificate LoadCodeSigningCertificate(string uriText, string? pinVariable, string? certificateFile, Func<string, string?>? environment = null)
    {
        var uri = Pkcs11Uri.Parse(uriText);
        var (key, tokenCertificate, token) = Open(uri, pinVariable, environment ?? Environment.GetEnvironmentVariable, readCertificate: certificateFile is not { Length: > 0 });
        X509Certificate2? certificate = null;
        try
        {
            certificate = certificateFile is { Length: > 0 }
                ? SigningKeyLoader.LoadCertificate(certificateFile)
                : tokenCertificate ?? throw Errors.Pkcs11CertificateMissing(token, uri.KeyDescription);
            byte[] spki = key switch
            {
                RSA rsa => rsa.ExportSubjectPublicKeyInfo(),
                ECDsa ec => ec.ExportSubjectPublicKeyInfo(),
                _ => [],
            };
            if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(spki))
            {
                throw Errors.CertificateKeyMismatch(certificateFile is { Length: > 0 } ? certificateFile : $"the token '{token}'", uri.Text);
            }
            return new CodeSigningCertificate(certificate, source: uri.Text, privateKey: key);
        }
        catch
        {
            key.Dispose();
            certificate?.Dispose();
            throw;
        }
    }

    private static (AsymmetricAlgorithm Key, X509Certificate2? Certificate, string Token) Open(Pkcs11Uri uri, string? pinVariable, Func<string, string?> environment, bool readCertificate)
    {
        var module = Pkcs11Module.Acquire(uri.ModulePath);
        ISession? session = null;
        Pkcs11KeyHandle? handle = null;
        try
        {
            var (slot, token) = FindToken(module, uri);
            string tokenLabel = token.Label.Trim();
            string? pin = null;
            if (token.TokenFlags.LoginRequired)
            {
                if (string.IsNullOrWhiteSpace(pinVariable)) throw Errors.Pkcs11PinVariableNotConfigured(tokenLabel);
                pin = environment(pinVariable) ?? throw Errors.Pkcs11PinVariableNotSet(tokenLabel, pinVariable);
            }

            lock (module.Lock)
            {
                session = Call(tokenLabel, "open a session", () => slot.OpenSession(SessionType.ReadOnly));
                if (pin is not null) Login(session, tokenLabel, pinVariable!, pin);

                var factory = module.Factories.ObjectAttributeFactory;
                var template = new List<IObjectAttribute> { factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY) };
                if (uri.Object is { } label) template.Add(factory.Create(CKA.CKA_LABEL, label));
                if (uri.Id is { } id) template.Add(factory.Create(CKA.CKA_ID, id));
                var keys = Call(tokenLabel, "search for the key", () => session.FindAllObjects(template));
                if (keys.Count == 0) throw Errors.Pkcs11KeyNotFound(tokenLabel, uri.KeyDescription);
                if (keys.Count > 1) throw Errors.Pkcs11KeyAmbiguous(tokenLabel, uri.KeyDescription, keys.Count);
                var privateKey = keys[0];

                var s = session;
                var attributes = Call(tokenLabel, "read the key's attributes", () => s.GetAttributeValue(privateKey, [CKA.CKA_KEY_TYPE, CKA.CKA_ID, CKA.CKA_LABEL]));
                ulong keyType = attributes[0].GetValueAsUlong();
                byte[] keyId = attributes[1].CannotBeRead ? [] : attributes[1].GetValueAsByteArray() ?? [];
                string keyLabel = attributes[2].CannotBeRead ? "" : attributes[2].GetValueAsString() ?? "";
                string keyDescription = Describe(keyLabel, keyId, uri);
                X509Certificate2? certificate = readCertificate ? FindCertificate(module, s, tokenLabel, keyId, keyLabel) : null;

                AsymmetricAlgorithm key;
                if (keyType == (ulong)CKK.CKK_EC)
                {
                    var parameters = EcPublicKey(module, s, tokenLabel, privateKey, keyId, keyLabel, keyDescription, certificate);
                    handle = new Pkcs11KeyHandle(module, s, privateKey, tokenLabel, keyDescription);
                    key = new Pkcs11ECDsa(handle, parameters);
                }
                else if (keyType == (ulong)CKK.CKK_RSA)
                {
                    var parameters = RsaPublicKey(module, s, tokenLabel, privateKey, keyId, keyLabel, keyDescription, certificate);
                    handle = new Pkcs11KeyHandle(module, s, privateKey, tokenLabel, keyDescription);
                    key = new Pkcs11Rsa(handle, parameters);
                }
                else
                {
                    string name = Enum.IsDefined(typeof(CKK), keyType) ? ((CKK)keyType).ToString() : $"key type 0x{keyType:x}";
                    throw Errors.Pkcs11KeyUnsupported(keyDescription, $"a {name} key");
                }
                return (key, certificate, tokenLabel);
            }
        }
        catch
        {
            if (handle is not null)
            {
                handle.Dispose();
            }
            else
            {
                try
                {
                    session?.Dispose();
                }
                catch (Pkcs11Exception)
                {
                }
                module.Release();
            }
            throw;
        }
    }

    private static (ISlot Slot, ITokenInfo Token) FindToken(Pkcs11Module module, Pkcs11Uri uri)
    {
        var slots = Call(Path.GetFileName(uri.ModulePath), "list its slots", () => module.Library.GetSlotList(SlotsType.WithTokenPresent));
        var present = new List<string>();
        foreach (var slot in slots)
        {
            ITokenInfo info;
            try
            {
                info = slot.GetTokenInfo();
            }
            catch (Pkcs11Exception)
            {
                continue;
            }
            present.Add($"'{info.Label.Trim()}' (slot-id={slot.SlotId}, serial={info.SerialNumber.Trim()})");
            if (uri.SlotId is { } slotId && slot.SlotId != slotId) continue;
            if (uri.Token is { } label && info.Label.Trim() != label) continue;
            if (uri.Serial is { } serial && info.SerialNumber.Trim() != serial) continue;
            if (uri.Manufacturer is { } manufacturer && info.ManufacturerId.Trim() != manufacturer) continue;
            if (uri.Model is { } model && info.Model.Trim() != model) continue;
            if (!info.TokenFlags.TokenInitialized) continue;
            return (slot, info);
        }
        throw Errors.Pkcs11TokenNotFound(uri.TokenDescription, uri.ModulePath, present.Count == 0 ? "none" : string.Join(", ", present));
    }

    private static void Login(ISession session, string token, string variable, string pin)
    {
        try
        {
            session.Login(CKU.CKU_USER, pin);
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Another key of this build (the NuGet signing key, say) logged this application in already.
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_EXPIRED)
        {
            throw Errors.Pkcs11PinWrong(token, variable, e.RV.ToString(), e);
        }
        catch (Pkcs11Exception e)
        {
            throw Errors.Pkcs11OperationFailed(token, "log in", $"{e.Method} returned {e.RV}", e);
        }
    }

    private static ECParameters EcPublicKey(Pkcs11Module module, ISession session, string token, IObjectHandle privateKey, byte[] keyId, string keyLabel, string keyDescription, X509Certificate2? certificate)
    {
        var parameters = Call(token, "read the key's curve", () => session.GetAttributeValue(privateKey, [CKA.CKA_EC_PARAMS]));
        string? curveOid = parameters[0].CannotBeRead ? null : CurveOid(parameters[0].GetValueAsByteArray());
        if (curveOid is not (P256Oid or P384Oid))
        {
            throw Errors.Pkcs11KeyUnsupported(keyDescription, curveOid is null ? "an ECDSA key on an explicit or unknown curve" : $"an ECDSA key on curve {curveOid}");
        }
        int size = curveOid == P256Oid ? 32 : 48;
        foreach (var publicKey in FindObjects(module, session, token, CKO.CKO_PUBLIC_KEY, keyId, keyLabel))
        {
            var point = Call(token, "read the public key", () => session.GetAttributeValue(publicKey, [CKA.CKA_EC_POINT]));
            if (point[0].CannotBeRead) continue;
            if (EcPoint(point[0].GetValueAsByteArray(), size) is { } q)
            {
                return new ECParameters { Curve = ECCurve.CreateFromValue(curveOid), Q = q };
            }
        }
        if (certificate?.GetECDsaPublicKey() is { } fromCertificate)
        {
            using (fromCertificate) return fromCertificate.ExportParameters(false);
        }
        throw Errors.Pkcs11PublicKeyMissing(token, keyDescription);
    }

    private static RSAParameters RsaPublicKey(Pkcs11Module module, ISession session, string token, IObjectHandle privateKey, byte[] keyId, string keyLabel, string keyDescription, X509Certificate2? certificate)
    {
        // The modulus and public exponent are public attributes of an RSA private key object (PKCS#11 section 2.1.3).
        var values = Call(token, "read the public key", () => session.GetAttributeValue(privateKey, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]));
        if (!values[0].CannotBeRead && !values[1].CannotBeRead)
        {
            return new RSAParameters { Modulus = TrimLeadingZeros(values[0].GetValueAsByteArray()), Exponent = TrimLeadingZeros(values[1].GetValueAsByteArray()) };
        }
        foreach (var publicKey in FindObjects(module, session, token, CKO.CKO_PUBLIC_KEY, keyId, keyLabel))
        {
            var fromPublic = Call(token, "read the public key", () => session.GetAttributeValue(publicKey, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]));
            if (!fromPublic[0].CannotBeRead && !fromPublic[1].CannotBeRead)
            {
                return new RSAParameters { Modulus = TrimLeadingZeros(fromPublic[0].GetValueAsByteArray()), Exponent = TrimLeadingZeros(fromPublic[1].GetValueAsByteArray()) };
            }
        }
        if (certificate?.GetRSAPublicKey() is { } fromCertificate)
        {
            using (fromCertificate) return fromCertificate.ExportParameters(false);
        }
        throw Errors.Pkcs11PublicKeyMissing(token, keyDescription);
    }

    private static X509Certificate2? FindCertificate(Pkcs11Module module, ISession session, string token, byte[] keyId, string keyLabel)
    {
        foreach (var handle in FindObjects(module, session, token, CKO.CKO_CERTIFICATE, keyId, keyLabel))
        {
            var value = Call(token, "read the certificate", () => session.GetAttributeValue(handle, [CKA.CKA_VALUE]));
            if (value[0].CannotBeRead) continue;
            try
            {
                return X509CertificateLoader.LoadCertificate(value[0].GetValueAsByteArray());
            }
            catch (CryptographicException)
            {
                // Not an X.509 certificate we can read: look at the next.
            }
        }
        return null;
    }

    /// <summary>Objects of a class that belong to the key: same CKA_ID when the key has one, else same label.</summary>
    private static List<IObjectHandle> FindObjects(Pkcs11Module module, ISession session, string token, CKO objectClass, byte[] keyId, string keyLabel)
    {
        var factory = module.Factories.ObjectAttributeFactory;
        var template = new List<IObjectAttribute> { factory.Create(CKA.CKA_CLASS, objectClass) };
        if (keyId.Length > 0) template.Add(factory.Create(CKA.CKA_ID, keyId));
        else if (keyLabel.Length > 0) template.Add(factory.Create(CKA.CKA_LABEL, keyLabel));
        else return [];
        return Call(token, "search the token", () => session.FindAllObjects(template));
    }

    private static string? CurveOid(byte[] ecParameters)
    {
        try
        {
            var reader = new AsnReader(ecParameters, AsnEncodingRules.DER);
            return reader.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier) ? reader.ReadObjectIdentifier() : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (04 || X || Y); some tokens give the point bare.</summary>
    private static ECPoint? EcPoint(byte[] value, int size)
    {
        byte[] point = value;
        if (value.Length != 1 + 2 * size)
        {
            try
            {
                point = new AsnReader(value, AsnEncodingRules.BER).ReadOctetString();
            }
            catch (AsnContentException)
            {
                return null;
            }
        }
        if (point.Length != 1 + 2 * size || point[0] != 0x04) return null;
        return new ECPoint { X = point[1..(1 + size)], Y = point[(1 + size)..] };
    }

    private static byte[] TrimLeadingZeros(byte[] value)
    {
        int start = 0;
        while (start < value.Length - 1 && value[start] == 0) start++;
        return value[start..];
    }

    private static string Describe(string label, byte[] id, Pkcs11Uri uri)
    {
        var parts = new List<string>();
        if (label.Length > 0) parts.Add($"object={label}");
        if (id.Length > 0) parts.Add($"id={Pkcs11Uri.FormatId(id)}");
        return parts.Count > 0 ? string.Join(", ", parts) : uri.KeyDescription;
    }

    private static T Call<T>(string token, string operation, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (Pkcs11Exception e)
        {
            throw Errors.Pkcs11OperationFailed(token, operation, $"{e.Method} returned {e.RV}", e);
        }
    }
}
