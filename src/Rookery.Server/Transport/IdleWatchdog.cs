using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Rookery.Server.Hosts;

namespace Rookery.Server.Transport;

/// <summary>
/// Pings bound clients that have been silent for <see cref="WatchdogOptions.IdleSeconds"/> and closes those that do
/// not answer within <see cref="WatchdogOptions.TimeoutSeconds"/> (XEP-0199 §4.2): half-open TCP connections would
/// otherwise keep sessions "online" and swallow messages. One timer for all connections, none per connection.
/// </summary>
public sealed class IdleWatchdog(ClientConnections connections, IOptions<ServerOptions> options, TimeProvider time) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Watchdog;
        if (settings.IdleSeconds <= 0)
        {
            return;
        }

        var idle = TimeSpan.FromSeconds(settings.IdleSeconds);
        var timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds);
        // Scanning at a quarter of the shorter period keeps the detection delay within 25% of what is configured.
        var period = TimeSpan.FromMilliseconds(Math.Max(100, Math.Min(idle.TotalMilliseconds, timeout.TotalMilliseconds) / 4));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                foreach (var stream in connections.Snapshot())
                {
                    stream.CheckIdle(idle, timeout);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }
}
