using System.Runtime.InteropServices;
using System.Text.Json;
using Rookery.Bench.Metrics;
using Rookery.Bench.Net;
using Rookery.Bench.Provisioning;
using Rookery.Bench.Reporting;
using Rookery.Bench.Scenarios;

namespace Rookery.Bench;

/// <summary>
/// Runs one scenario end to end: validates the options (loopback only, file limit), provisions accounts when asked,
/// runs the scenario while measuring its own and the server's CPU and memory, and judges whether the run was clean.
/// This is the API the tests call; the command line is a thin layer over it.
/// </summary>
internal static class BenchRunner
{
    /// <summary>The command name of a scenario.</summary>
    public static string CommandName(Scenario s) => s switch
    {
        Scenario.Login => "login",
        Scenario.Idle => "idle",
        Scenario.Messaging => "messaging",
        Scenario.Muc => "muc",
        _ => "cross-node",
    };

    /// <summary>Runs the scenario. Progress lines go to <paramref name="progress"/> (overwritten in place when <paramref name="overwriteProgress"/>).</summary>
    public static async Task<BenchResult> RunAsync(BenchOptions options, TextWriter? progress = null, bool overwriteProgress = false, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        progress = progress is null ? TextWriter.Null : TextWriter.Synchronized(progress);
        var keys = ScramKeyCache.Load(options.ScramCachePath);
        var result = new BenchResult
        {
            Scenario = CommandName(options.Scenario),
            StartedUtc = DateTimeOffset.UtcNow,
            Machine = $"{MachineCores()} cores ({Environment.ProcessorCount} usable by the bench), {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}",
            Targets = string.Join(",", options.Targets),
            ReceiverTargets = options.ReceiverTargets.Count > 0 ? string.Join(",", options.ReceiverTargets) : null,
            Domain = options.Domain,
            Users = options.Users,
            Tls = options.Tls,
            Mechanism = options.Mechanism,
            Smoke = options.Smoke,
        };

        if (options.ProvisionOnceCommand is not null)
        {
            result.Provision = await OnceProvisioner.RunAsync(options, progress, ct).ConfigureAwait(false);
        }
        else if (ProvisioningPhase.Select(options) is { } provisioner)
        {
            result.Provision = await ProvisioningPhase.RunAsync(options, provisioner, progress, ct).ConfigureAwait(false);
        }

        var context = new BenchContext(options, keys, progress, overwriteProgress);
        var rssBefore = options.ServerPid is { } pid ? ProcessProbe.ReadRssKiB(pid) : null;
        var meter = new CpuMeter(options.ServerPid);
        switch (options.Scenario)
        {
            case Scenario.Login:
                await LoginScenario.RunAsync(context, result, ct).ConfigureAwait(false);
                break;
            case Scenario.Idle:
                await IdleScenario.RunAsync(context, result, ct).ConfigureAwait(false);
                break;
            case Scenario.Messaging:
                await MessagingScenario.RunAsync(context, result, crossNode: false, ct).ConfigureAwait(false);
                break;
            case Scenario.CrossNode:
                await MessagingScenario.RunAsync(context, result, crossNode: true, ct).ConfigureAwait(false);
                break;
            case Scenario.Muc:
                await MessagingScenario.RunMucAsync(context, result, ct).ConfigureAwait(false);
                break;
        }

        var wall = meter.Elapsed;
        var own = meter.OwnCpu;
        result.WallSeconds = Math.Round(wall.TotalSeconds, 2);
        result.BenchCpuSeconds = Math.Round(own.TotalSeconds, 3);
        result.BenchCpuPercent = CpuMeter.Percent(own, wall);
        if (options.ServerPid is { } serverPid)
        {
            var serverCpu = meter.ServerCpu;
            result.Server = new ServerResult
            {
                Pid = serverPid,
                RssBeforeKiB = rssBefore,
                RssAfterKiB = context.ServerRssLoadedKiB,
                CpuSeconds = serverCpu is { } c ? Math.Round(c.TotalSeconds, 2) : null,
                CpuPercent = serverCpu is { } c2 ? CpuMeter.Percent(c2, wall) : null,
            };
        }

        if (options.ScramCachePath is { } cachePath)
        {
            keys.Save(cachePath);
        }

        Judge(result);
        if (options.JsonPath is { } json)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(result, BenchJsonContext.Default.BenchResult), CancellationToken.None).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>Cores of the machine, whatever this process's affinity (the bench is usually pinned to one).</summary>
    private static int MachineCores()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return Environment.ProcessorCount;
        }
    }

    /// <summary>Lists what went wrong; a run is clean when the list is empty.</summary>
    private static void Judge(BenchResult r)
    {
        if (r.Provision is { Failed: > 0 } p)
        {
            r.Problems.Add($"{p.Failed} accounts could not be provisioned (first: {p.FirstError})");
        }

        if (r.Login is { Failed: > 0 } l)
        {
            r.Problems.Add($"{l.Failed} of {l.Attempted} logins failed (first: {l.FirstError})");
        }

        if (r.Idle is { Dropped: > 0 } i)
        {
            r.Problems.Add($"{i.Dropped} idle connections dropped");
        }

        if (r.Messaging is { } m)
        {
            if (m.Steps.Count == 0)
            {
                r.Problems.Add("no messaging step ran: " + m.StopReason);
            }

            if (m.JoinFailures > 0)
            {
                r.Problems.Add($"{m.JoinFailures} users could not enter their room (first: {m.FirstJoinError})");
            }

            if (m.Lost > 0)
            {
                r.Problems.Add(m.ExpectedDeliveries is { } expected
                    ? $"{m.Lost} of {expected} fan-out deliveries missing ({m.Sent} groupchat messages sent, {m.Errors} errors received)"
                    : $"{m.Lost} of {m.Sent} messages not delivered ({m.Errors} errors received)");
            }

            if (m.Lost < 0)
            {
                // More copies than owed: the server delivered some message twice (or to someone it should not have).
                r.Problems.Add($"{-m.Lost} deliveries more than owed ({m.Delivered} of {m.ExpectedDeliveries ?? m.Sent}): duplicates");
            }

            if (m.Dropped > 0)
            {
                r.Problems.Add($"{m.Dropped} connections dropped during messaging");
            }

            // A smoke run proves the tool and the server's accounting, not a rate: on a busy CI machine the generator's
            // own one-second steps may fall a few messages short, which says nothing about either. Every message must
            // still be delivered or accounted for (the checks above), and the server must keep up with what was sent.
            if (r.Smoke && m.Steps.Any(s => !s.Sustained && !s.Verdict.StartsWith("bench could not offer", StringComparison.Ordinal)))
            {
                r.Problems.Add("a smoke step was not sustained: " + m.StopReason);
            }
        }

        r.Clean = r.Problems.Count == 0;
    }
}
