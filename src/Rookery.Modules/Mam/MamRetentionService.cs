using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Storage;

namespace Rookery.Modules.Mam;

/// <summary>
/// Removes archived messages older than <see cref="MamOptions.RetentionDays"/> (XEP-0313 §3.2 lets a server expire
/// messages by age): once at start-up, then every <see cref="Interval"/> on the injected clock. Does nothing when the
/// retention is 0 (keep forever).
/// </summary>
internal sealed partial class MamRetentionService(IMessageArchiveStore store, IOptions<MamOptions> options, TimeProvider time, ILogger<MamRetentionService> logger)
    : PeriodicService(Interval, time)
{
    /// <summary>How often expired messages are removed.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    private readonly int _retentionDays = options.Value.RetentionDays;

    /// <summary>Removes the messages older than the retention, now; returns how many (0 when retention is off).</summary>
    public async Task<int> PruneOnceAsync(CancellationToken ct)
    {
        if (_retentionDays == 0)
        {
            return 0;
        }

        var removed = await store.PruneAsync(Time.GetUtcNow().AddDays(-_retentionDays), ct).ConfigureAwait(false);
        if (removed > 0)
        {
            Log.Pruned(logger, removed, _retentionDays);
        }

        return removed;
    }

    /// <inheritdoc />
    protected override bool IsOn => _retentionDays > 0;

    /// <inheritdoc />
    protected override Task RunRoundAsync(CancellationToken ct) => PruneOnceAsync(ct);

    /// <inheritdoc />
    protected override void OnRoundFailed(Exception e) => Log.PruneFailed(logger, e);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1320, Level = LogLevel.Information, Message = "Removed {Count} archived messages older than {Days} days")]
        public static partial void Pruned(ILogger logger, int count, int days);

        [LoggerMessage(EventId = 1321, Level = LogLevel.Error, Message = "Removing expired archived messages failed")]
        public static partial void PruneFailed(ILogger logger, Exception e);

        // Next free EventId: 1322 (1300-1399 are the mam module's)
    }
}
