using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rookery.Modules.HttpUpload;

/// <summary>
/// Keeps the upload folder from growing for ever: once at start-up, then every <see cref="Interval"/> on the injected
/// clock, deletes the files older than <see cref="HttpUploadOptions.ExpireAfterDays"/> (when set) and what unfinished
/// uploads left behind a day ago or more. On a cluster every node sweeps the shared folder; two nodes deleting the same
/// file is harmless. Does nothing on a node that takes no uploads.
/// </summary>
internal sealed partial class UploadExpiryService(
    UploadFolder folder,
    HttpUploadSite site,
    IOptions<HttpUploadOptions> options,
    TimeProvider time,
    ILogger<UploadExpiryService> logger) : PeriodicService(Interval, time)
{
    /// <summary>How often the folder is swept.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>How old a leftover of an unfinished upload must be before it is deleted: far longer than any upload takes.</summary>
    public static readonly TimeSpan LeftoverAge = TimeSpan.FromDays(1);

    private readonly int _expireAfterDays = options.Value.ExpireAfterDays;

    /// <summary>Sweeps the folder now; returns the number of expired files and of leftovers deleted.</summary>
    public (int Expired, int Leftovers) SweepOnce()
    {
        var now = Time.GetUtcNow();
        var expired = _expireAfterDays > 0 ? folder.DeleteUploadedBefore(now.AddDays(-_expireAfterDays)) : 0;
        var leftovers = folder.DeleteLeftovers(now - LeftoverAge);
        if (expired > 0 || leftovers > 0)
        {
            Log.Swept(logger, expired, _expireAfterDays, leftovers);
        }

        return (expired, leftovers);
    }

    /// <inheritdoc />
    protected override bool IsOn => site.IsServed;

    /// <inheritdoc />
    protected override Task RunRoundAsync(CancellationToken ct)
    {
        SweepOnce();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override void OnRoundFailed(Exception e) => Log.SweepFailed(logger, e, folder.Path);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4720, Level = LogLevel.Information, Message = "Upload folder swept: {Expired} files older than {Days} days and {Leftovers} leftovers of unfinished uploads deleted")]
        public static partial void Swept(ILogger logger, int expired, int days, int leftovers);

        [LoggerMessage(EventId = 4721, Level = LogLevel.Warning, Message = "Sweeping the upload folder {Folder} failed; trying again in an hour")]
        public static partial void SweepFailed(ILogger logger, Exception e, string folder);
    }
}
