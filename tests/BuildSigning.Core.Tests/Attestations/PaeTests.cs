using System.Text;
using BuildSigning.Core.Attestations;

namespace BuildSigning.Core.Tests.Attestations;

public sealed class PaeTests
{
    [Fact]
    public void Dsse_specification_test_vector()
    {
        byte[] encoded = Pae.Encode("http://example.com/HelloWorld", "hello world"u8);

        Assert.Equal("DSSEv1 29 http://example.com/HelloWorld 11 hello world"u8.ToArray(), encoded);
    }

    [Fact]
    public void Empty_type_and_body()
    {
        Assert.Equal("DSSEv1 0  0 "u8.ToArray(), Pae.Encode("", ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Lengths_count_utf8_bytes_not_characters()
    {
        // "é" is two bytes in UTF-8, "€" three.
        byte[] body = Encoding.UTF8.GetBytes("€");
        byte[] encoded = Pae.Encode("typé", body);

        byte[] expected = [.. "DSSEv1 5 "u8, .. Encoding.UTF8.GetBytes("typé"), .. " 3 "u8, .. body];
        Assert.Equal(expected, encoded);
    }

    [Fact]
    public void Binary_body_is_copied_verbatim_and_length_is_decimal()
    {
        byte[] body = new byte[1234];
        for (int i = 0; i < body.Length; i++) body[i] = (byte)(i * 7);

        byte[] encoded = Pae.Encode("application/vnd.in-toto+json", body);

        byte[] prefix = "DSSEv1 28 application/vnd.in-toto+json 1234 "u8.ToArray();
        Assert.Equal(prefix, encoded[..prefix.Length]);
        Assert.Equal(body, encoded[prefix.Length..]);
    }
}
