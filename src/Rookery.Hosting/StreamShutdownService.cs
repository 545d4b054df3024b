using Microsoft.Extensions.Hosting;
using Rookery.Server.Transport;

namespace Rookery.Hosting;

/// <summary>
/// On shutdown, sends every client <c>&lt;system-shutdown/&gt;</c> and closes its stream before Kestrel tears the
/// connections down (hosted services stop in reverse order, so this runs before the web host's own stop).
/// </summary>
internal sealed class StreamShutdownService(ClientConnections connections) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => connections.CloseAllAsync(TimeSpan.FromSeconds(5), cancellationToken);
}
