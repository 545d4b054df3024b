using Microsoft.Extensions.Hosting;

namespace Rookery.Modules;

/// <summary>
/// Housekeeping a node repeats on its clock (expiring archives, sweeping uploads): one round at start-up, then one every
/// interval of the injected <see cref="TimeProvider"/> (so tests drive it by hand), until the node stops. A round that
/// fails is reported through <see cref="OnRoundFailed"/> and the next tick tries again: housekeeping must never stop
/// the node.
/// </summary>
internal abstract class PeriodicService(TimeSpan interval, TimeProvider time) : BackgroundService
{
    /// <summary>The node's clock, which also paces the rounds.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>False when there is nothing to do on this node (the feature is off): no round runs at all.</summary>
    protected abstract bool IsOn { get; }

    /// <summary>One round of the work.</summary>
    protected abstract Task RunRoundAsync(CancellationToken ct);

    /// <summary>Reports a round that threw; the next one runs at the next tick.</summary>
    protected abstract void OnRoundFailed(Exception e);

    /// <inheritdoc />
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!IsOn)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, Time);
        do
        {
            try
            {
                await RunRoundAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                OnRoundFailed(e);
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
}
