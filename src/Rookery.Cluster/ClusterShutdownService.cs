using Microsoft.Extensions.Hosting;

namespace Rookery.Cluster;

/// <summary>
/// SIGTERM in cluster mode: before the streams are closed with <c>system-shutdown</c>, the node drains (clients are sent
/// to a live node with <c>see-other-host</c>) and leaves the cluster. Registered after the stream shutdown service, so
/// that the host's reverse-order stop runs this first.
/// </summary>
public sealed class ClusterShutdownService(ClusterNode node) : IHostedLifecycleService
{
    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => node.LeaveAsync(cancellationToken);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
