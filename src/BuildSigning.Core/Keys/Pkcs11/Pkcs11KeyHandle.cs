using BuildSigning.Core.Diagnostics;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace BuildSigning.Core.Keys.Pkcs11;

/// <summary>A logged-in session on a token and the handle of one private key in it. Signs; never exports the key.</summary>
internal sealed class Pkcs11KeyHandle : IDisposable
{
    private readonly Pkcs11Module _module;
    private readonly ISession _session;
    private readonly IObjectHandle _key;
    private int _disposed;

    public Pkcs11KeyHandle(Pkcs11Module module, ISession session, IObjectHandle key, string tokenLabel, string keyDescription)
    {
        _module = module;
        _session = session;
        _key = key;
        TokenLabel = tokenLabel;
        KeyDescription = keyDescription;
    }

    public string TokenLabel { get; }
    public string KeyDescription { get; }

    /// <summary>One C_Sign with the given mechanism (CKM_ECDSA over a digest, CKM_RSA_PKCS over a DigestInfo).</summary>
    public byte[] Sign(CKM mechanism, byte[] input)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_module.Lock)
        {
            try
            {
                using var m = _module.Factories.MechanismFactory.Create(mechanism);
                return _session.Sign(m, _key, input);
            }
            catch (Pkcs11Exception e)
            {
                throw Errors.Pkcs11OperationFailed(TokenLabel, $"sign with the key {KeyDescription}", $"{e.Method} returned {e.RV}", e);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (_module.Lock)
        {
            try
            {
                _session.Dispose();
            }
            catch (Pkcs11Exception)
            {
                // A session the token already closed (token removed) needs no closing.
            }
        }
        _module.Release();
    }
}
