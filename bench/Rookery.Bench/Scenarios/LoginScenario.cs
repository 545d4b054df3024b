using System.Diagnostics;
using System.Globalization;
using Rookery.Bench.Reporting;

namespace Rookery.Bench.Scenarios;

/// <summary>The login storm: N users connect, authenticate, bind and send initial presence, C at a time.</summary>
internal static class LoginScenario
{
    /// <summary>Runs the scenario and fills <see cref="BenchResult.Login"/>.</summary>
    public static async Task RunAsync(BenchContext ctx, BenchResult result, CancellationToken ct)
    {
        var o = ctx.Options;
        var swarm = new Swarm(o, ctx.Keys, inner: null);
        await using (swarm.ConfigureAwait(false))
        {
            var started = Stopwatch.GetTimestamp();
            var progress = ctx.StartProgress(() => string.Create(
                CultureInfo.InvariantCulture,
                $"[login] {Stopwatch.GetElapsedTime(started).TotalSeconds:F1}s online {swarm.Online}/{o.Users} failed {swarm.Failed} in flight {swarm.Attempted - swarm.Online - swarm.Failed}"));
            await using (progress.ConfigureAwait(false))
            {
                result.Login = await swarm.LoginAllAsync(Swarm.Plan(o, 0, o.Users, o.Targets), ct).ConfigureAwait(false);
            }

            ctx.CaptureServerRss();
        }
    }
}
