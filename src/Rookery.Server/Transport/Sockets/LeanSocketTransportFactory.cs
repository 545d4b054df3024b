using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Rookery.Server.Transport.Sockets;

/// <summary>
/// Kestrel transport for Rookery's listeners (issue #6: memory per idle connection): each accepted socket is a
/// <see cref="LeanSocketConnection"/> read and written directly by its stream, instead of Kestrel's socket transport
/// with two <see cref="System.IO.Pipelines.Pipe"/>s and a receive and a send loop per connection. Registered after
/// Kestrel's own, it takes every IP endpoint; Kestrel's hosting, middleware and connection management stay as they are.
/// </summary>
public sealed class LeanSocketTransportFactory(ILoggerFactory loggerFactory) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    // Kestrel's SocketTransportOptions.Backlog default: a login storm queues in the kernel rather than being refused.
    private const int Backlog = 512;

    /// <inheritdoc />
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"The lean socket transport listens on IP endpoints only, not {endpoint}");
        }

        IConnectionListener listener = LeanSocketListener.Bind(ip, Backlog, loggerFactory.CreateLogger<LeanSocketTransportFactory>());
        return ValueTask.FromResult(listener);
    }

    /// <inheritdoc />
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;
}
