using Newtonsoft.Json;

namespace Contoso.Greetings;

public static class Greeting
{
    public static string ToJson(string name) => JsonConvert.SerializeObject(new { greeting = $"Hello, {name}" });
}
