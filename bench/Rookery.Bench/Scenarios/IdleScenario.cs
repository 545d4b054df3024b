using System.Diagnostics;
using System.Globalization;
using Rookery.Bench.Metrics;
using Rookery.Bench.Reporting;

namespace Rookery.Bench.Scenarios;

/// <summary>
/// N authenticated connections held open from several loopback source addresses; the server's RSS before the first
/// connection and after the hold gives its memory per idle connection.
/// </summary>
internal static class IdleScenario
{
    /// <summary>Runs the scenario and fills <see cref="BenchResult.Login"/> and <see cref="BenchResult.Idle"/>.</summary>
    public static async Task RunAsync(BenchContext ctx, BenchResult result, CancellationToken ct)
    {
        var o = ctx.Options;
        var pid = o.ServerPid;
        var rssBefore = pid is { } p0 ? ProcessProbe.ReadRssKiB(p0) : null;
        var swarm = new Swarm(o, ctx.Keys, inner: null);
        await using (swarm.ConfigureAwait(false))
        {
            var started = Stopwatch.GetTimestamp();
            var phase = "login";
            var progress = ctx.StartProgress(() => string.Create(
                CultureInfo.InvariantCulture,
                $"[idle:{phase}] {Stopwatch.GetElapsedTime(started).TotalSeconds:F1}s online {swarm.Online}/{o.Users} failed {swarm.Failed} dropped {swarm.Dropped}{Rss(pid)}"));
            await using (progress.ConfigureAwait(false))
            {
                result.Login = await swarm.LoginAllAsync(Swarm.Plan(o, 0, o.Users, o.Targets), ct).ConfigureAwait(false);
                phase = "settle";
                await Delay(o.Settle, ct).ConfigureAwait(false);
                var rssOnline = pid is { } p1 ? ProcessProbe.ReadRssKiB(p1) : null;
                phase = "hold";
                var held = new CpuMeter(pid);
                await Delay(o.Duration, ct).ConfigureAwait(false);
                var rssAfter = ctx.CaptureServerRss();
                var connections = result.Login.Succeeded;
                result.Idle = new IdleResult
                {
                    Connections = connections,
                    HeldSeconds = Math.Round(held.Elapsed.TotalSeconds, 2),
                    Dropped = swarm.Dropped,
                    RssBeforeKiB = rssBefore,
                    RssOnlineKiB = rssOnline,
                    RssAfterHoldKiB = rssAfter,
                    BytesPerConnection = rssBefore is { } b && rssAfter is { } a && connections > 0 ? Math.Round((a - b) * 1024.0 / connections) : null,
                    ServerCpuPercentWhileHeld = held.ServerPercent,
                };
            }
        }
    }

    private static string Rss(int? pid) => pid is { } p && ProcessProbe.ReadRssKiB(p) is { } kib
        ? string.Create(CultureInfo.InvariantCulture, $" server RSS {kib / 1024.0:F1} MiB")
        : string.Empty;

    private static async Task Delay(TimeSpan span, CancellationToken ct)
    {
        try
        {
            await Task.Delay(span, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C ends the hold early; the report still comes.
        }
    }
}
