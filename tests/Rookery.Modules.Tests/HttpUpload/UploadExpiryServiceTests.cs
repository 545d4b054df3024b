using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rookery.Modules.HttpUpload;

namespace Rookery.Modules.Tests.HttpUpload;

/// <summary>The sweeper: files older than <c>ExpireAfterDays</c> by the node's clock go, and with 0 every file stays.</summary>
public sealed class UploadExpiryServiceTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "rookery-upload-expiry-" + Guid.NewGuid().ToString("N"));
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        if (Directory.Exists(_path))
        {
            Directory.Delete(_path, recursive: true);
        }
    }

    [Fact]
    public async Task SweepOnce_ExpireAfterSevenDays_DeletesTheEightDayOldFile_KeepsTheSixDayOld()
    {
        var (service, folder) = Build(new HttpUploadOptions { ExpireAfterDays = 7 });
        var old = await StoreAsync(folder, _clock.GetUtcNow().AddDays(-8));
        var recent = await StoreAsync(folder, _clock.GetUtcNow().AddDays(-6));

        service.SweepOnce().Should().Be((1, 0));

        folder.Find(old).Should().BeNull();
        folder.Find(recent).Should().NotBeNull();

        _clock.Advance(TimeSpan.FromDays(2));
        service.SweepOnce().Should().Be((1, 0));
        folder.Find(recent).Should().BeNull();
    }

    [Fact]
    public async Task SweepOnce_NoExpiry_KeepsEveryFile()
    {
        var (service, folder) = Build(new HttpUploadOptions());
        var ancient = await StoreAsync(folder, _clock.GetUtcNow().AddYears(-3));

        service.SweepOnce().Should().Be((0, 0));

        folder.Find(ancient).Should().NotBeNull();
    }

    private (UploadExpiryService Service, UploadFolder Folder) Build(HttpUploadOptions options)
    {
        var folder = new UploadFolder(new HttpUploadSite(options, _path, _ => "http://localhost"));
        var site = new HttpUploadSite(options, _path, _ => "http://localhost");
        return (new UploadExpiryService(folder, site, Options.Create(options), _clock, NullLogger<UploadExpiryService>.Instance), folder);
    }

    private static async Task<string> StoreAsync(UploadFolder folder, DateTimeOffset uploaded)
    {
        var id = UploadSignatures.NewId();
        await folder.StoreAsync(id, "f.bin", "application/octet-stream", 1, new MemoryStream([7]), default);
        File.SetLastWriteTimeUtc(Path.Combine(folder.Path, id), uploaded.UtcDateTime);
        return id;
    }
}
