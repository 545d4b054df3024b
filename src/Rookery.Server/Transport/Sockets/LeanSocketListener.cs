using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Rookery.Server.Transport.Sockets;

/// <summary>
/// One listening socket of the <see cref="LeanSocketTransportFactory"/>: accepts connections for Kestrel, which keeps
/// its own part (connection middleware such as direct TLS marking, handlers, shutdown and connection limits) above it.
/// </summary>
internal sealed partial class LeanSocketListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly ILogger _logger;

    private LeanSocketListener(Socket socket, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        EndPoint = socket.LocalEndPoint!;
    }

    /// <inheritdoc />
    public EndPoint EndPoint { get; }

    /// <summary>Binds and listens on <paramref name="endpoint"/> (port 0 picks a free port, read back from <see cref="EndPoint"/>).</summary>
    internal static LeanSocketListener Bind(IPEndPoint endpoint, int backlog, ILogger logger)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                // As Kestrel: [::] also takes IPv4 clients.
                socket.DualMode = true;
            }

            socket.Bind(endpoint);
            socket.Listen(backlog);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new LeanSocketListener(socket, logger);
    }

    /// <inheritdoc />
    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return null; // unbound
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                return null; // unbound while accepting
            }
            catch (SocketException e)
            {
                // A client that reset before it was accepted (ECONNABORTED, ECONNRESET) or a transient shortage of
                // descriptors: the listener goes on, as Kestrel's does.
                Log.AcceptFailed(_logger, EndPoint, e.SocketErrorCode);
                if (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    // Out of descriptors: give closing connections a moment instead of spinning on the accept queue.
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            // As Kestrel's default: XMPP writes are batched by the writer loop, so Nagle only adds latency.
            accepted.NoDelay = true;
            // Synchronous sends must never block a thread (SocketOutput sends without waiting first); asynchronous
            // operations work the same on a non-blocking socket.
            accepted.Blocking = false;
            return new LeanSocketConnection(accepted);
        }
    }

    /// <inheritdoc />
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5100, Level = LogLevel.Warning, Message = "Accepting a connection on {EndPoint} failed: {Error}")]
        public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, SocketError error);
    }
}
