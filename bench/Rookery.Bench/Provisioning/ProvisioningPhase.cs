using System.Diagnostics;
using Rookery.Bench.Reporting;

namespace Rookery.Bench.Provisioning;

/// <summary>Creates all accounts with a provisioner, a bounded number at a time, and tallies the outcome.</summary>
internal static class ProvisioningPhase
{
    /// <summary>The provisioner the options ask for, or null when the accounts exist already.</summary>
    public static IUserProvisioner? Select(BenchOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.Provisioner is not null)
        {
            return o.Provisioner;
        }

        if (o.ProvisionCommand is not null)
        {
            return new CommandProvisioner(o.ProvisionCommand);
        }

        return o.Register ? new RegistrationProvisioner(o) : null;
    }

    /// <summary>Provisions users 0..Users-1.</summary>
    public static async Task<ProvisionResult> RunAsync(BenchOptions o, IUserProvisioner provisioner, TextWriter progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(provisioner);
        var started = Stopwatch.GetTimestamp();
        int created = 0, existing = 0, failed = 0;
        string? firstError = null;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, o.Users),
            new ParallelOptions { MaxDegreeOfParallelism = o.ProvisionParallelism, CancellationToken = ct },
            async (i, token) =>
            {
                try
                {
                    var isNew = await provisioner.ProvisionAsync(i, o.UserName(i), o.Domain, o.Password, token).ConfigureAwait(false);
                    Interlocked.Increment(ref isNew ? ref created : ref existing);
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"{o.UserName(i)}: {e.Message}", null);
                }

                var done = Volatile.Read(ref created) + Volatile.Read(ref existing) + Volatile.Read(ref failed);
                if (done % 100 == 0)
                {
                    await progress.WriteLineAsync($"[provision] {done}/{o.Users}").ConfigureAwait(false);
                }
            }).ConfigureAwait(false);

        return new ProvisionResult
        {
            Method = provisioner.Method,
            Requested = o.Users,
            Created = created,
            Existing = existing,
            Failed = failed,
            Seconds = Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 2),
            FirstError = firstError,
        };
    }
}
