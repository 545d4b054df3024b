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
