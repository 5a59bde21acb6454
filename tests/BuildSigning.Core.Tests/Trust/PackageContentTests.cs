using System.Security.Cryptography;
using BuildSigning.Core.Trust;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.Trust;

public sealed class PackageContentTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-packagecontent");

    public void Dispose() => _temp.Dispose();

    private string WriteFile(int length)
    {
        string path = _temp.Combine("a.1.0.0.nupkg");
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void A_package_is_read_once_into_memory_and_every_reader_sees_those_bytes_even_after_the_file_changes()
    {
        string path = WriteFile(300_000);
        byte[] original = File.ReadAllBytes(path);

        var content = PackageContent.Read(path);
        File.WriteAllBytes(path, new byte[10]);

        Assert.True(content.IsInMemory);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(original)), content.Sha512Hex);
        for (int i = 0; i < 2; i++)
        {
            using var stream = content.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Assert.Equal(original, copy.ToArray());
            Assert.False(stream.CanWrite);
        }
    }

    [Fact]
    public void A_package_above_the_limit_is_hashed_from_disk_and_opened_from_disk()
    {
        string path = WriteFile(5000);

        var content = PackageContent.Read(path, maxInMemoryBytes: 4096);

        Assert.False(content.IsInMemory);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(File.ReadAllBytes(path))), content.Sha512Hex);
        using var stream = content.Open();
        Assert.Equal(5000, stream.Length);
    }
}
