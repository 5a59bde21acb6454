using System.Text;
using System.Text.Json;
using BuildSigning.Core.Json;

namespace BuildSigning.Core.Tests.Json;

public sealed class JsonTokensTests
{
    private static bool Equal(string left, string right) => JsonTokens.Equal(Encoding.UTF8.GetBytes(left), Encoding.UTF8.GetBytes(right));

    [Theory]
    [InlineData("""{"a":[1,true,null,"x"],"b":{}}""", "{\n  \"a\": [ 1, true, null, \"x\" ],\n  \"b\": {}\n}\n")]
    [InlineData("[]", " [ ] ")]
    public void The_same_tokens_with_other_whitespace_are_equal(string left, string right) => Assert.True(Equal(left, right));

    [Theory]
    [InlineData("""{"a":1,"b":2}""", """{"b":2,"a":1}""")] // same value, other order: for the semantic comparison
    [InlineData("""{"a":1}""", """{"a":1.0}""")]
    [InlineData("""{"a":"A"}""", """{"a":"\u0041"}""")]
    [InlineData("""{"a":1}""", """{"a":1,"b":2}""")]
    [InlineData("""{"a":[1]}""", """{"a":[1,2]}""")]
    [InlineData("""{"a":true}""", """{"a":false}""")]
    [InlineData("""{"a":"x"}""", """{"a":"y"}""")]
    public void Other_tokens_or_another_order_are_not_equal(string left, string right) => Assert.False(Equal(left, right));

    [Fact]
    public void Malformed_text_throws() => Assert.ThrowsAny<JsonException>(() => Equal("""{"a":""", """{"a":1}"""));
}
