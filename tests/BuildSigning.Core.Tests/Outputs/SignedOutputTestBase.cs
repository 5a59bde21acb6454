using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BuildSigning.Core.Attestations;
using BuildSigning.Core.Diagnostics;
using BuildSigning.Core.Keys;
using BuildSigning.Core.Outputs;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Outputs;

/// <summary>A temporary output folder, a test key, and the signer and verifier as the MSBuild tasks call them.</summary>
public abstract class SignedOutputTestBase : IDisposable
{
    private protected readonly TempDirectory _temp = new("bs-outputs");
    private protected readonly SigningKey _key;

    protected SignedOutputTestBase() => _key = TestKeys.LoadSigningKey(_temp);

    public void Dispose()
    {
        _key.Dispose();
        _temp.Dispose();
    }

    protected string Root => _temp.Combine("out");

    protected string AttestationDirectory => Path.Combine(Root, ".buildsigning");

    protected string SingleBundle => Path.Combine(AttestationDirectory, "files.sigstore.json");

    protected static readonly OutputDescription Description = new(OutputDescription.BuildKind, "App.csproj", "Release", "net10.0");

    /// <summary>Writes an output file dated a minute ago, as a build left it (older than the digest cache's racy window).</summary>
    protected string Write(string relative, string content)
    {
        string path = _temp.WriteFile(Path.Combine("out", relative), content);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(-1));
        return path;
    }

    protected void CreateOutput()
    {
        Write("App.dll", "pretend this is IL");
        Write("App.pdb", "symbols");
        Write("sub/dir/data.json", "{\"a\":1}");
        Write("runtimes/linux-x64/native/libx.so", "native");
        Write("name with spaces.txt", "spaces");
    }

    protected void CreateManyFiles(int count)
    {
        for (int i = 0; i < count; i++)
        {
            string path = Path.Combine(Root, $"d{i % 10}", $"f{i:D5}.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    protected OutputSigningResult Sign(SigningKey? key = null, IReadOnlyList<string>? excluded = null, string? cache = null, OutputDescription? description = null) =>
        OutputSigner.Sign(new OutputSigningRequest(Root, description ?? Description, excluded, cache), key ?? _key);

    protected OutputVerificationReport Verify(SigningKey? key = null) => OutputVerifier.Verify(Root, [(key ?? _key).PublicKey]);

    protected static string Sha256(string text) => Hex.Lower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
