using Rookery.Modules.HttpUpload;

namespace Rookery.Modules.Tests.HttpUpload;

/// <summary>The upload folder: a file counts once stored whole with its sidecar, and a failed store leaves nothing.</summary>
public sealed class UploadFolderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "rookery-upload-test-" + Guid.NewGuid().ToString("N"));
    private readonly UploadFolder _folder;

    public UploadFolderTests()
    {
        _folder = new UploadFolder(new HttpUploadSite(new HttpUploadOptions(), _path, _ => "http://localhost"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }

    [Fact]
    public async Task Store_ExactSize_FoundWithNameAndContentType()
    {
        var id = UploadSignatures.NewId();

        var result = await _folder.StoreAsync(id, "a.txt", "text/plain", 5, new MemoryStream("hello"u8.ToArray()), default);

        result.Should().Be(UploadFolder.StoreResult.Stored);
        var file = _folder.Find(id)!;
        (file.Name, file.ContentType).Should().Be(("a.txt", "text/plain"));
        (await File.ReadAllTextAsync(file.Path)).Should().Be("hello");
        Directory.EnumerateFiles(_path).Select(Path.GetFileName).Should().BeEquivalentTo(id, id + ".meta");
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public async Task Store_OtherSize_WrongSizeAndNothingLeft(int length)
    {
        var id = UploadSignatures.NewId();

        var result = await _folder.StoreAsync(id, "a.txt", "text/plain", 5, new MemoryStream(new byte[length]), default);

        result.Should().Be(UploadFolder.StoreResult.WrongSize);
        _folder.Find(id).Should().BeNull();
        Directory.EnumerateFiles(_path).Should().BeEmpty();
    }

    [Fact]
    public async Task Store_BodyFails_ThrowsAndNothingLeft()
    {
        var id = UploadSignatures.NewId();

        var store = () => _folder.StoreAsync(id, "a.txt", "text/plain", 5, new FailingStream(), default);

        await store.Should().ThrowAsync<IOException>();
        Directory.EnumerateFiles(_path).Should().BeEmpty();
    }

    [Fact]
    public async Task Store_SameIdTwice_ExistsAndFirstKept()
    {
        var id = UploadSignatures.NewId();
        await _folder.StoreAsync(id, "a.txt", "text/plain", 5, new MemoryStream("first"u8.ToArray()), default);

        var second = await _folder.StoreAsync(id, "a.txt", "text/html", 5, new MemoryStream("other"u8.ToArray()), default);

        second.Should().Be(UploadFolder.StoreResult.Exists);
        (await File.ReadAllTextAsync(_folder.Find(id)!.Path)).Should().Be("first");
        _folder.Find(id)!.ContentType.Should().Be("text/plain");
        Directory.EnumerateFiles(_path).Should().HaveCount(2);
    }

    [Fact]
    public async Task Find_DataWithoutSidecar_Null()
    {
        var id = UploadSignatures.NewId();
        Directory.CreateDirectory(_path);
        await File.WriteAllTextAsync(Path.Combine(_path, id), "half-finished");

        _folder.Find(id).Should().BeNull();
    }

    [Fact]
    public async Task DeleteUploadedBefore_OlderFileGoesWithItsSidecar_NewerFileAndForeignFilesStay()
    {
        var now = DateTimeOffset.UtcNow;
        var old = await StoreAsync("old.txt", now.AddDays(-8));
        var recent = await StoreAsync("recent.txt", now.AddDays(-6));
        var foreign = Path.Combine(_path, "README");
        await File.WriteAllTextAsync(foreign, "the operator's");
        File.SetLastWriteTimeUtc(foreign, now.AddYears(-1).UtcDateTime);

        var deleted = _folder.DeleteUploadedBefore(now.AddDays(-7));

        deleted.Should().Be(1);
        _folder.Find(old).Should().BeNull();
        _folder.Find(recent)!.Name.Should().Be("recent.txt");
        Directory.EnumerateFiles(_path).Select(Path.GetFileName).Should().BeEquivalentTo(recent, recent + ".meta", "README");
    }

    [Fact]
    public async Task DeleteLeftovers_OldUnfinishedUploads_Deleted_RecentOnesAndCompleteFilesStay()
    {
        var now = DateTimeOffset.UtcNow;
        var complete = await StoreAsync("done.txt", now.AddDays(-30));
        var oldPart = Leftover(UploadSignatures.NewId() + ".0123456789abcdef.part", now.AddDays(-2));
        var oldData = Leftover(UploadSignatures.NewId(), now.AddDays(-2));
        var oldMeta = Leftover(UploadSignatures.NewId() + ".meta", now.AddDays(-2));
        var recentPart = Leftover(UploadSignatures.NewId() + ".fedcba9876543210.part", now.AddMinutes(-5));
        var recentData = Leftover(UploadSignatures.NewId(), now.AddMinutes(-5));

        var deleted = _folder.DeleteLeftovers(now.AddDays(-1));

        deleted.Should().Be(3);
        Directory.EnumerateFiles(_path).Select(Path.GetFileName).Should().BeEquivalentTo(complete, complete + ".meta", recentPart, recentData);
        new[] { oldPart, oldData, oldMeta }.Should().OnlyContain(name => !File.Exists(Path.Combine(_path, name)));
    }

    [Fact]
    public void Sweeps_NoFolderYet_DeleteNothing()
    {
        _folder.DeleteUploadedBefore(DateTimeOffset.UtcNow).Should().Be(0);
        _folder.DeleteLeftovers(DateTimeOffset.UtcNow).Should().Be(0);
    }

    /// <summary>Stores a file and dates its upload at <paramref name="uploaded"/>; returns its id.</summary>
    private async Task<string> StoreAsync(string name, DateTimeOffset uploaded)
    {
        var id = UploadSignatures.NewId();
        (await _folder.StoreAsync(id, name, "text/plain", 2, new MemoryStream("hi"u8.ToArray()), default)).Should().Be(UploadFolder.StoreResult.Stored);
        File.SetLastWriteTimeUtc(Path.Combine(_path, id), uploaded.UtcDateTime);
        return id;
    }

    /// <summary>Writes a file of an unfinished upload, last written at <paramref name="written"/>; returns its name.</summary>
    private string Leftover(string name, DateTimeOffset written)
    {
        Directory.CreateDirectory(_path);
        var path = Path.Combine(_path, name);
        File.WriteAllText(path, "partial");
        File.SetLastWriteTimeUtc(path, written.UtcDateTime);
        return name;
    }

    /// <summary>Yields two bytes, then fails as a dropped connection does.</summary>
    private sealed class FailingStream : Stream
    {
        private bool _sent;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sent)
            {
                throw new IOException("connection reset");
            }

            _sent = true;
            buffer.Span[..2].Fill(1);
            return ValueTask.FromResult(2);
        }
    }
}
