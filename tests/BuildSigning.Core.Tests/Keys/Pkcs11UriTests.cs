using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys.Pkcs11;
using Xunit;

namespace BuildSigning.Core.Tests.Keys;

public sealed class Pkcs11UriTests
{
    [Fact]
    public void CosignForm_TokenObjectAndModulePath()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:token=ci;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so");
        Assert.Equal("ci", uri.Token);
        Assert.Equal("release", uri.Object);
        Assert.Equal("/usr/lib/softhsm/libsofthsm2.so", uri.ModulePath);
        Assert.Null(uri.Id);
        Assert.Null(uri.SlotId);
    }

    [Fact]
    public void IdSlotSerialAndPercentEncoding()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:serial=0a1b2c;slot-id=1234567;id=%01%a2;object=my%20key;type=private?module-path=/opt/hsm/lib%2Bp11.so");
        Assert.Equal("0a1b2c", uri.Serial);
        Assert.Equal(1234567UL, uri.SlotId);
        Assert.Equal(new byte[] { 0x01, 0xa2 }, uri.Id);
        Assert.Equal("my key", uri.Object);
        Assert.Equal("/opt/hsm/lib+p11.so", uri.ModulePath);
        Assert.Null(uri.Token);
    }

    [Fact]
    public void IdAlreadyUnescapedByMSBuild_IsTakenAsBytes()
    {
        // MSBuild turns %01 into U+0001 before the task sees the property.
        var uri = Pkcs11Uri.Parse("pkcs11:token=ci;id=\u0001\u00a2?module-path=/m.so");
        Assert.Equal(new byte[] { 0x01, 0xa2 }, uri.Id);
    }

    [Fact]
    public void SchemeIsCaseInsensitive_AndDetected()
    {
        Assert.True(Pkcs11Uri.IsPkcs11("PKCS11:token=a;object=b?module-path=/m.so"));
        Assert.True(Pkcs11Uri.IsPkcs11("  pkcs11:object=b"));
        Assert.False(Pkcs11Uri.IsPkcs11("/keys/release.pem"));
        Assert.False(Pkcs11Uri.IsPkcs11("pkcs11.pem"));
        Assert.False(Pkcs11Uri.IsPkcs11(null));
        Assert.Equal("b", Pkcs11Uri.Parse("PKCS11:token=a;object=b?module-path=/m.so").Object);
    }

    [Theory]
    [InlineData("pkcs11:token=ci;object=release?module-path=/m.so&pin-value=1234", "pin-value")]
    [InlineData("pkcs11:token=ci;object=release;pin-value=1234?module-path=/m.so", "pin-value")]
    [InlineData("pkcs11:token=ci;object=release?pin-source=file:/pin.txt&module-path=/m.so", "pin-source")]
    [InlineData("pkcs11:token=ci;object=release?module-path=/m.so&PIN-VALUE=1234", "pin-value")]
    public void PinInUri_IsRefused_WithoutRepeatingIt(string text, string attribute)
    {
        var e = Assert.Throws<BuildSigningException>(() => Pkcs11Uri.Parse(text));
        Assert.Equal("BS1031", e.Code);
        Assert.Contains(attribute, e.Message);
        Assert.DoesNotContain("1234", e.Message);
        Assert.DoesNotContain("pin.txt", e.Message);
    }

    [Theory]
    [InlineData("pkcs11:token=ci;object=release", "module-path")]
    [InlineData("pkcs11:token=ci;object=release?module-name=softhsm2", "module-name is not supported")]
    [InlineData("pkcs11:token=ci?module-path=/m.so", "names no key")]
    [InlineData("pkcs11:token=ci;object=a;object=b?module-path=/m.so", "appears twice")]
    [InlineData("pkcs11:token=ci;object?module-path=/m.so", "not a name=value")]
    [InlineData("pkcs11:token=ci;object=a;slot-id=x1?module-path=/m.so", "slot-id")]
    [InlineData("pkcs11:token=ci;object=a;type=cert?module-path=/m.so", "type=cert")]
    [InlineData("pkcs11:token=ci;id=%zz?module-path=/m.so", "two hex digits")]
    [InlineData("pkcs11:token=ci;id=%0?module-path=/m.so", "two hex digits")]
    public void MalformedUris_AreCoded(string text, string reason)
    {
        var e = Assert.Throws<BuildSigningException>(() => Pkcs11Uri.Parse(text));
        Assert.Equal("BS1030", e.Code);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Redact_HidesOnlyPinValues()
    {
        Assert.Equal("pkcs11:token=ci;object=k?module-path=/m.so&pin-value=***", Pkcs11Uri.Redact("pkcs11:token=ci;object=k?module-path=/m.so&pin-value=s3cret"));
        Assert.Equal("pkcs11:token=ci;object=k", Pkcs11Uri.Redact("pkcs11:token=ci;object=k"));
    }

    [Fact]
    public void Descriptions_NameTokenAndKey()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:token=ci;object=release;id=%01?module-path=/m.so");
        Assert.Equal("object=release, id=%01", uri.KeyDescription);
        Assert.Equal("token=ci", uri.TokenDescription);
    }
}
