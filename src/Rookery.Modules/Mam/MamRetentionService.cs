using Microsoft.Extensions.Hosting;
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
    : BackgroundService
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

        var removed = await store.PruneAsync(time.GetUtcNow().AddDays(-_retentionDays), ct).ConfigureAwait(false);
        if (removed > 0)
        {
            Log.Pruned(logger, removed, _retentionDays);
        }

        return removed;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_retentionDays == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await PruneOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The next tick tries again; a failing prune must not stop the node.
                Log.PruneFailed(logger, e);
            }
        }
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1320, Level = LogLevel.Information, Message = "Removed {Count} archived messages older than {Days} days")]
        public static partial void Pruned(ILogger logger, int count, int days);

        [LoggerMessage(EventId = 1321, Level = LogLevel.Error, Message = "Removing expired archived messages failed")]
        public static partial void PruneFailed(ILogger logger, Exception e);

        // Next free EventId: 1322 (1300-1399 are the mam module's)
    }
}
