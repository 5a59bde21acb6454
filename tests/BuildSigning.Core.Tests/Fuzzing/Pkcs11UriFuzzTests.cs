using System.Text;
using BuildSigning.Core.Keys.Pkcs11;

namespace BuildSigning.Core.Tests.Fuzzing;

/// <summary>The pkcs11: URI parser over mutated URIs: a parsed URI or a coded error (BS1030/BS1031), nothing else; never a PIN in a message.</summary>
public sealed class Pkcs11UriFuzzTests
{
    private static readonly byte[][] Seeds =
    [
        Encoding.UTF8.GetBytes("pkcs11:token=ci;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so"),
        Encoding.UTF8.GetBytes("pkcs11:serial=0a1b;slot-id=17;id=%01%a2;object=my%20key;type=private?module-path=/opt/p11.so"),
        Encoding.UTF8.GetBytes("pkcs11:token=ci;object=k?module-path=/m.so&pin-value=s3cret-pin"),
    ];

    /// <summary>Whether a mutation moved the PIN text into the value of an attribute that names a token, key or module (shown in messages by design).</summary>
    private static bool SafelyPlaced(string text) =>
        text.Split([';', '?', '&']).Any(part => part.Contains("s3cret-pin", StringComparison.Ordinal) && part.IndexOf('=') is > 0 and var equals
            && part.IndexOf("s3cret-pin", StringComparison.Ordinal) > equals
            && new[] { "token", "object", "id", "type", "slot-id", "serial", "manufacturer", "model", "module-path", "module-name" }
                .Contains(part[..equals].Trim().ToLowerInvariant().Replace("pkcs11:", "")));

    [Fact]
    public void MutatedUris_ParseOrFailCoded()
    {
        Fuzz.Run(seed: 7512, cases: 3000, Seeds, input =>
        {
            string text = Encoding.UTF8.GetString(input);
            try
            {
                var uri = Pkcs11Uri.Parse(text);
                if (string.IsNullOrWhiteSpace(uri.ModulePath)) throw new InvalidOperationException("parsed without a module path");
                if (uri.Object is null && uri.Id is null) throw new InvalidOperationException("parsed without a key selector");
            }
            catch (Diagnostics.BuildSigningException e) when (e.Message.Contains("s3cret-pin", StringComparison.Ordinal) && !SafelyPlaced(text))
            {
                throw new InvalidOperationException($"a PIN reached an error message: {e.Message}");
            }
        });
    }
}
