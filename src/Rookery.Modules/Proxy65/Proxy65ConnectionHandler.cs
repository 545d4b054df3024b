using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rookery.Modules.Proxy65;

/// <summary>
/// Kestrel's entry point for the SOCKS5 listener of XEP-0065 mediated connections: the SOCKS5 handshake, then the wait
/// for the peer and the requester's activation (<see cref="BytestreamRegistry"/>), then the relay of bytes in both
/// directions until either side closes. A connection not activated within <c>ActivationTimeoutSeconds</c> is closed.
/// </summary>
public sealed partial class Proxy65ConnectionHandler(
    BytestreamRegistry registry,
    IOptions<Proxy65Options> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<Proxy65ConnectionHandler> logger) : ConnectionHandler
{
    /// <inheritdoc />
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var scope = logger.BeginScope("SOCKS5 connection {ConnectionId} from {Remote}", connection.ConnectionId, connection.RemoteEndPoint);
        using var deadline = new CancellationTokenSource(options.Value.ActivationTimeout, time);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, lifetime.ApplicationStopping);
        try
        {
            var hash = await HandshakeAsync(connection.Transport, handshake.Token).ConfigureAwait(false);
            if (hash is null)
            {
                return;
            }

            using var proxied = new ProxiedConnection(hash, connection.ConnectionId, connection.Transport);
            await ProxyAsync(proxied, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (handshake.IsCancellationRequested)
        {
            Log.HandshakeTimedOut(logger);
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            Log.Disconnected(logger, e.Message);
        }
        catch (Exception e)
        {
            Log.Failed(logger, e);
        }
    }

    /// <summary>The method selection and the CONNECT request; returns the stream hash, or null after refusing (and replying).</summary>
    private async Task<string?> HandshakeAsync(IDuplexPipe transport, CancellationToken ct)
    {
        var input = transport.Input;
        var output = transport.Output;
        var greeted = false;
        while (true)
        {
            var result = await input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (!greeted)
            {
                var greeting = Socks5Handshake.ReadGreeting(buffer, out var consumed);
                switch (greeting)
                {
                    case Socks5Greeting.NoAuthentication:
                        input.AdvanceTo(buffer.GetPosition(consumed));
                        Socks5Handshake.WriteMethodSelection(output, Socks5Handshake.NoAuthenticationMethod);
                        await output.FlushAsync(ct).ConfigureAwait(false);
                        greeted = true;
                        // The request may have come with the greeting: parse what is buffered before reading again.
                        continue;
                    case Socks5Greeting.NoAcceptableMethod:
                        input.AdvanceTo(buffer.GetPosition(consumed));
                        Socks5Handshake.WriteMethodSelection(output, Socks5Handshake.NoAcceptableMethod);
                        await output.FlushAsync(ct).ConfigureAwait(false);
                        Log.NoAcceptableMethod(logger);
                        return null;
                    case Socks5Greeting.NotSocks5:
                        input.AdvanceTo(buffer.Start);
                        Log.NotSocks5(logger);
                        return null;
                }
            }
            else if (Socks5Handshake.TryReadRequest(buffer, out var consumed, out var request))
            {
                input.AdvanceTo(buffer.GetPosition(consumed));
                if (request.IsAccepted)
                {
                    return request.Hash;
                }

                Socks5Handshake.WriteReply(output, request.Error);
                await output.FlushAsync(ct).ConfigureAwait(false);
                Log.RequestRefused(logger, request.Error);
                return null;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.End);
                Log.ClosedDuringHandshake(logger);
                return null;
            }

            // Incomplete: keep the bytes, wait for more. Both messages are short, so the buffer stays small.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Joins the stream, replies, waits for activation, relays.</summary>
    private async Task ProxyAsync(ProxiedConnection connection, CancellationToken deadline)
    {
        var output = connection.Transport.Output;
        if (registry.Join(connection) is not { } pair)
        {
            // XEP-0065 §6.3.2: a stream is the target's and the requester's connection, no third.
            Socks5Handshake.WriteReply(output, Socks5ReplyCode.NotAllowedByRuleset);
            await output.FlushAsync(deadline).ConfigureAwait(false);
            Log.ThirdConnectionRefused(logger, connection.Hash);
            return;
        }

        var role = ReferenceEquals(pair.Target, connection) ? "first (target)" : "second (requester)";
        var active = false;
        try
        {
            Socks5Handshake.WriteReply(output, Socks5ReplyCode.Succeeded, connection.Hash);
            await output.FlushAsync(deadline).ConfigureAwait(false);
            registry.MarkReady(connection);
            Log.Waiting(logger, connection.Hash, role);
            active = await WaitForActivationAsync(connection, deadline).ConfigureAwait(false);
        }
        catch (Exception e) when (IsDisconnect(e) || (e is OperationCanceledException && deadline.IsCancellationRequested))
        {
            Log.Disconnected(logger, e.Message);
        }
        finally
        {
            // Activation wins over a timeout or a close at the same moment: the requester was told the stream is active,
            // and the peer relays into this connection, so it takes part in the relay (which ends at once if it is gone).
            if (!active && !registry.TryLeave(connection))
            {
                active = true;
            }
        }

        if (active)
        {
            await RelayAsync(connection, pair).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for activation, noticing a client that leaves meanwhile: reads without consuming, and stops reading once a
    /// client sends early bytes (they stay buffered for the relay; RFC 1928 leaves the connection to the client).
    /// </summary>
    private async Task<bool> WaitForActivationAsync(ProxiedConnection connection, CancellationToken deadline)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(deadline, lifetime.ApplicationStopping, connection.Activation);
        var input = connection.Transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(wait.Token).ConfigureAwait(false);
                // Consume and examine nothing: whatever came is the peer's once the stream is active.
                input.AdvanceTo(result.Buffer.Start);
                if (result.IsCompleted || result.IsCanceled)
                {
                    Log.LeftBeforeActivation(logger, connection.Hash);
                    return false;
                }

                if (!result.Buffer.IsEmpty)
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, time, wait.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
            if (connection.Activation.IsCancellationRequested)
            {
                return true;
            }

            if (deadline.IsCancellationRequested)
            {
                Log.NotActivatedInTime(logger, connection.Hash, options.Value.ActivationTimeoutSeconds);
            }

            return false;
        }
    }

    /// <summary>Copies this connection's bytes to its peer until either side ends, then waits for the peer's relay to stop.</summary>
    private async Task RelayAsync(ProxiedConnection connection, BytestreamPair pair)
    {
        var peer = pair.PeerOf(connection);
        using var relay = CancellationTokenSource.CreateLinkedTokenSource(pair.Stopping, lifetime.ApplicationStopping);
        try
        {
            await CopyAsync(connection, peer.Transport.Output, relay.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (relay.IsCancellationRequested)
        {
            // The other direction ended first, or the node stops.
        }
        catch (Exception e) when (IsDisconnect(e))
        {
            Log.Disconnected(logger, e.Message);
        }
        finally
        {
            pair.Stop();
            if (pair.RelayStopped())
            {
                registry.Remove(pair);
                Log.RelayEnded(logger, pair.Hash, pair.Target.BytesRelayed, pair.Initiator?.BytesRelayed ?? 0);
            }
        }

        // The peer's relay may still be writing to this connection: it is closed only when that has stopped too.
        await pair.Ended.ConfigureAwait(false);
    }

    /// <summary>One direction: reads the connection's input, writes it to the peer's output, flushes, until the input ends.</summary>
    private static async Task CopyAsync(ProxiedConnection from, PipeWriter to, CancellationToken ct)
    {
        var input = from.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                foreach (var segment in buffer)
                {
                    to.Write(segment.Span);
                }

                from.BytesRelayed += buffer.Length;
                var flush = await to.FlushAsync(ct).ConfigureAwait(false);
                input.AdvanceTo(buffer.End);
                if (flush.IsCompleted)
                {
                    // The peer is gone: nothing more can be delivered.
                    return;
                }
            }
            else
            {
                input.AdvanceTo(buffer.End);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>A peer that reset or vanished: expected, logged at Debug (STYLE §5).</summary>
    private static bool IsDisconnect(Exception e) =>
        e is ConnectionResetException or ConnectionAbortedException or IOException or SocketException or ObjectDisposedException;

    private static partial class Log
    {
        [LoggerMessage(EventId = 5501, Level = LogLevel.Debug, Message = "SOCKS5 client offers no 'no authentication' method: refused")]
        public static partial void NoAcceptableMethod(ILogger logger);

        [LoggerMessage(EventId = 5502, Level = LogLevel.Debug, Message = "Not a SOCKS5 client (first byte is not version 5): closed")]
        public static partial void NotSocks5(ILogger logger);

        [LoggerMessage(EventId = 5503, Level = LogLevel.Debug, Message = "SOCKS5 request refused with reply {Reply}")]
        public static partial void RequestRefused(ILogger logger, Socks5ReplyCode reply);

        [LoggerMessage(EventId = 5504, Level = LogLevel.Debug, Message = "SOCKS5 client closed during the handshake")]
        public static partial void ClosedDuringHandshake(ILogger logger);

        [LoggerMessage(EventId = 5505, Level = LogLevel.Debug, Message = "SOCKS5 handshake not completed in time, or the node stops: closed")]
        public static partial void HandshakeTimedOut(ILogger logger);

        [LoggerMessage(EventId = 5506, Level = LogLevel.Information, Message = "Third connection for bytestream {Hash} refused")]
        public static partial void ThirdConnectionRefused(ILogger logger, string hash);

        [LoggerMessage(EventId = 5507, Level = LogLevel.Debug, Message = "Bytestream {Hash}: {Role} connection waits for activation")]
        public static partial void Waiting(ILogger logger, string hash, string role);

        [LoggerMessage(EventId = 5508, Level = LogLevel.Debug, Message = "Bytestream {Hash}: a connection left before activation")]
        public static partial void LeftBeforeActivation(ILogger logger, string hash);

        [LoggerMessage(EventId = 5509, Level = LogLevel.Information, Message = "Bytestream {Hash}: connection not activated within {Seconds} s, closed")]
        public static partial void NotActivatedInTime(ILogger logger, string hash, int seconds);

        [LoggerMessage(EventId = 5510, Level = LogLevel.Information, Message = "Bytestream {Hash} ended: {TargetBytes} bytes relayed from the target, {RequesterBytes} from the requester")]
        public static partial void RelayEnded(ILogger logger, string hash, long targetBytes, long requesterBytes);

        [LoggerMessage(EventId = 5511, Level = LogLevel.Debug, Message = "SOCKS5 connection lost: {Reason}")]
        public static partial void Disconnected(ILogger logger, string reason);

        [LoggerMessage(EventId = 5512, Level = LogLevel.Error, Message = "SOCKS5 connection failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
