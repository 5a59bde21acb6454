using BuildSigning.Core.IO;
using BuildSigning.TestSupport;

namespace BuildSigning.Core.Tests.IO;

public sealed class FileStampTests : IDisposable
{
    private readonly TempDirectory _temp = new("bs-stamp");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_file_rewritten_in_place_with_its_size_and_modification_time_restored_gets_a_new_stamp()
    {
        string path = _temp.WriteFile("a.nupkg", "original content");
        var written = File.GetLastWriteTimeUtc(path);
        var before = FileStamp.Get(path)!.Value;
        Assert.Equal(before, FileStamp.Get(path));
        Assert.True(FileStamp.TryParse(before.ToString(), out var parsed));
        Assert.Equal(before, parsed);

        Thread.Sleep(20);
        File.WriteAllText(path, "modified content");
        File.SetLastWriteTimeUtc(path, written);
        var after = FileStamp.Get(path)!.Value;

        Assert.Equal(before.Length, after.Length);
        if (OperatingSystem.IsLinux())
        {
            // Size and mtime can be made equal again; the inode change time cannot be set back.
            Assert.NotEqual(0, before.ChangeTicks);
            Assert.NotEqual(0, before.Inode);
            Assert.Equal(before.Inode, after.Inode);
            Assert.NotEqual(before.ChangeTicks, after.ChangeTicks);
        }
        Assert.NotEqual(before, after);
        Assert.Null(FileStamp.Get(_temp.Combine("missing")));
    }
}
