using Microsoft.Extensions.Hosting;
using Rookery.Server.Routing;
using Rookery.Server.Transport;

namespace Rookery.Hosting;

/// <summary>
/// On shutdown, sends every client and every external component <c>&lt;system-shutdown/&gt;</c> and closes its stream before Kestrel tears the
/// connections down. This happens in <see cref="StoppingAsync"/>, which the host runs before any hosted service's
/// <c>StopAsync</c>: <c>WebApplication</c> registers Kestrel's service after ours, so in the reverse-order stop Kestrel
/// would go first and wait for the still-open streams until the shutdown timeout.
/// </summary>
internal sealed class StreamShutdownService(ClientConnections connections, ComponentConnections components, S2SManager s2s) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.WhenAll(
        connections.CloseAllAsync(TimeSpan.FromSeconds(5), cancellationToken),
        components.CloseAllAsync(TimeSpan.FromSeconds(5), cancellationToken),
        s2s.CloseAllAsync(TimeSpan.FromSeconds(5), cancellationToken));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
