using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;

namespace Rookery.Cluster.Links;

/// <summary>
/// Opens links: dials a peer or takes an accepted socket through the handshake (HELLO both ways, version negotiation,
/// HMAC proofs both ways, see <see cref="LinkHandshake"/>). A peer that cannot prove the secret is refused and logged.
/// With <paramref name="tls"/> the handshake runs inside TLS started right after the TCP connect; a TLS node and a
/// plain node tell each other apart by the first byte (a TLS record starts with 0x16, a frame length with 0x00 or
/// 0x01) and refuse the link with a logged reason instead of waiting for a handshake that cannot come. With
/// <paramref name="pacer"/> every link it opens paces its writes (<see cref="NodeLink.Pacer"/>).
/// </summary>
internal sealed partial class LinkEstablisher(byte[] key, int queueCapacity, TimeSpan timeout, ILogger logger, LinkTls? tls = null, LinkWritePacer? pacer = null)
{
    /// <summary>The first byte of a TLS handshake record (RFC 8446 §5.1, ContentType handshake(22)).</summary>
    private const byte TlsHandshakeRecord = 0x16;

    /// <summary>Dials <paramref name="host"/>:<paramref name="port"/>; null (logged) when the link cannot be set up.</summary>
    public async Task<NodeLink?> DialAsync(string host, int port, long ownId, string ownName, long expectedPeer, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            await socket.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
            Stream network = new NetworkStream(socket, ownsSocket: false);
            if (tls is not null)
            {
                var ssl = new SslStream(network, leaveInnerStreamOpen: false);
                try
                {
                    await ssl.AuthenticateAsClientAsync(tls.ClientOptions(), cts.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                    Log.TlsFailed(logger, host + ":" + port, e.Message);
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    socket.Dispose();
                    return null;
                }

                Log.LinkEncrypted(logger, socket.RemoteEndPoint, ssl.SslProtocol, ssl.NegotiatedCipherSuite);
                network = ssl;
            }

            var input = new BufferedStream(network, 64 * 1024);
            var output = new BufferedStream(network, 64 * 1024);
            var ownHello = LinkHandshake.Hello(ownId, ownName);
            await SendAsync(output, ownHello, cts.Token).ConfigureAwait(false);
            var peerHello = await ReceiveAsync(input, cts.Token).ConfigureAwait(false);
            if (peerHello.Type == FrameType.Refused)
            {
                Log.RefusedByPeer(logger, host + ":" + port, new PayloadReader(peerHello.Payload.Span).String());
                socket.Dispose();
                return null;
            }

            var (protocol, min, peerId, peerName) = LinkHandshake.ReadHello(peerHello);
            if (peerId != expectedPeer)
            {
                Log.UnexpectedPeer(logger, host, port, expectedPeer, peerId);
                socket.Dispose();
                return null;
            }

            if (LinkHandshake.Negotiate(LinkHandshake.ProtocolVersion, LinkHandshake.MinProtocolVersion, protocol, min) is not { } version)
            {
                Log.NoCommonProtocol(logger, peerName, protocol, min);
                socket.Dispose();
                return null;
            }

            await SendAsync(output, LinkHandshake.Auth(LinkHandshake.Proof(key, ownHello.Payload.Span, peerHello.Payload.Span)), cts.Token).ConfigureAwait(false);
            Frame? answer;
            try
            {
                answer = await FrameCodec.ReadAsync(input, cts.Token).ConfigureAwait(false);
            }
            catch (IOException)
            {
                answer = null;
            }

            if (answer is null)
            {
                // The acceptor closes without a word when our proof is wrong: it must not help a guesser.
                Log.Refused(logger, peerName + " at " + host + ":" + port, "the peer closed the link after our proof (is the cluster secret the same on both nodes?)");
                socket.Dispose();
                return null;
            }

            if (!LinkHandshake.Verify(key, peerHello.Payload.Span, ownHello.Payload.Span, LinkHandshake.ReadAuth(answer.Value)))
            {
                Log.Refused(logger, peerName + " at " + host + ":" + port, "its proof of the cluster secret is wrong");
                socket.Dispose();
                return null;
            }

            // The link writes whole bursts itself: the handshake's buffered writer (flushed after each frame) is left behind.
            return new NodeLink(socket, input, network, peerId, peerName, version, queueCapacity, dialled: true) { Pacer = pacer };
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException)
        {
            socket.Dispose();
            if (!ct.IsCancellationRequested)
            {
                Log.DialFailed(logger, host, port, e.Message);
            }

            return null;
        }
    }

    /// <summary>Runs the acceptor's side on an accepted socket; null (logged) when the peer is refused.</summary>
    public async Task<NodeLink?> AcceptAsync(Socket socket, long ownId, string ownName, Func<long, bool> isKnownPeer, CancellationToken ct)
    {
        var remote = socket.RemoteEndPoint as IPEndPoint;
        try
        {
            socket.NoDelay = true;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            Stream network = new NetworkStream(socket, ownsSocket: false);
            var first = new byte[1];
            if (await socket.ReceiveAsync(first, SocketFlags.Peek, cts.Token).ConfigureAwait(false) == 0)
            {
                throw new IOException("The link closed before its handshake");
            }

            var peerTls = first[0] == TlsHandshakeRecord;
            if (peerTls != tls is not null)
            {
                await RefuseAsync(socket, network, remote, peerTls
                    ? "it starts TLS but Cluster:Tls:Enabled is false on this node"
                    : "it does not use TLS but Cluster:Tls:Enabled is true on this node", cts.Token).ConfigureAwait(false);
                return null;
            }

            if (tls is not null)
            {
                var ssl = new SslStream(network, leaveInnerStreamOpen: false);
                try
                {
                    await ssl.AuthenticateAsServerAsync(tls.ServerOptions(), cts.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                    Log.TlsFailed(logger, remote?.ToString() ?? "?", e.Message);
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    socket.Dispose();
                    return null;
                }

                Log.LinkEncrypted(logger, remote, ssl.SslProtocol, ssl.NegotiatedCipherSuite);
                network = ssl;
            }

            var input = new BufferedStream(network, 64 * 1024);
            var output = new BufferedStream(network, 64 * 1024);
            var peerHello = await ReceiveAsync(input, cts.Token).ConfigureAwait(false);
            var (protocol, min, peerId, peerName) = LinkHandshake.ReadHello(peerHello);
            var ownHello = LinkHandshake.Hello(ownId, ownName);
            await SendAsync(output, ownHello, cts.Token).ConfigureAwait(false);
            var proof = LinkHandshake.ReadAuth(await ReceiveAsync(input, cts.Token).ConfigureAwait(false));
            if (!LinkHandshake.Verify(key, peerHello.Payload.Span, ownHello.Payload.Span, proof))
            {
                Log.Refused(logger, $"{peerName} (node {peerId}) from {remote}", "wrong cluster secret");
                socket.Dispose();
                return null;
            }

            if (LinkHandshake.Negotiate(LinkHandshake.ProtocolVersion, LinkHandshake.MinProtocolVersion, protocol, min) is not { } version)
            {
                Log.NoCommonProtocol(logger, peerName, protocol, min);
                socket.Dispose();
                return null;
            }

            await SendAsync(output, LinkHandshake.Auth(LinkHandshake.Proof(key, ownHello.Payload.Span, peerHello.Payload.Span)), cts.Token).ConfigureAwait(false);
            if (!isKnownPeer(peerId))
            {
                // Not (yet) live in our view of the registry: the dialler retries once our next round has seen it.
                Log.UnknownPeer(logger, peerName, peerId);
                socket.Dispose();
                return null;
            }

            return new NodeLink(socket, input, network, peerId, peerName, version, queueCapacity, dialled: false) { Pacer = pacer };
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException)
        {
            socket.Dispose();
            Log.HandshakeFailed(logger, remote, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Refuses a link whose TLS setting differs from ours: logs why, tells a plain peer in a <see cref="FrameType.Refused"/>
    /// frame (a TLS peer fails its handshake on the same bytes), and waits briefly for the peer to close so that the
    /// reason is not lost to a connection reset.
    /// </summary>
    private async Task RefuseAsync(Socket socket, Stream network, IPEndPoint? remote, string reason, CancellationToken ct)
    {
        Log.TlsMismatch(logger, remote?.ToString() ?? "?", reason);
        try
        {
            var answer = tls is not null
                ? "this node requires TLS on cluster links (Cluster:Tls:Enabled is true there)"
                : "this node does not use TLS on cluster links (Cluster:Tls:Enabled is false there)";
            await SendAsync(network, new PayloadWriter().String(answer).ToFrame(FrameType.Refused), ct).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
            var sink = new byte[4096];
            using var drain = CancellationTokenSource.CreateLinkedTokenSource(ct);
            drain.CancelAfter(TimeSpan.FromSeconds(2));
            while (await socket.ReceiveAsync(sink, SocketFlags.None, drain.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static async Task SendAsync(Stream stream, Frame frame, CancellationToken ct)
    {
        await FrameCodec.WriteAsync(stream, frame, ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task<Frame> ReceiveAsync(Stream stream, CancellationToken ct) =>
        await FrameCodec.ReadAsync(stream, ct).ConfigureAwait(false) ?? throw new IOException("The link closed during the handshake");

    private static partial class Log
    {
        [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Refused a cluster link with {Peer}: {Reason}")]
        public static partial void Refused(ILogger logger, string peer, string reason);

        [LoggerMessage(EventId = 4021, Level = LogLevel.Debug, Message = "Dialling the cluster link to {Host}:{Port} failed: {Reason}")]
        public static partial void DialFailed(ILogger logger, string host, int port, string reason);

        [LoggerMessage(EventId = 4022, Level = LogLevel.Warning, Message = "{Host}:{Port} answered as node {Actual}, not node {Expected}; closing")]
        public static partial void UnexpectedPeer(ILogger logger, string host, int port, long expected, long actual);

        [LoggerMessage(EventId = 4023, Level = LogLevel.Warning, Message = "No common link protocol with {Peer} (it speaks {Protocol}, down to {Min})")]
        public static partial void NoCommonProtocol(ILogger logger, string peer, int protocol, int min);

        [LoggerMessage(EventId = 4024, Level = LogLevel.Debug, Message = "A cluster link handshake from {Remote} failed: {Reason}")]
        public static partial void HandshakeFailed(ILogger logger, IPEndPoint? remote, string reason);

        [LoggerMessage(EventId = 4025, Level = LogLevel.Debug, Message = "A link from {Peer} (node {NodeId}) arrived before the registry showed that node; refused for now")]
        public static partial void UnknownPeer(ILogger logger, string peer, long nodeId);

        [LoggerMessage(EventId = 4060, Level = LogLevel.Information, Message = "Cluster link with {Peer} is encrypted ({Protocol}, {Cipher})")]
        public static partial void LinkEncrypted(ILogger logger, EndPoint? peer, SslProtocols protocol, TlsCipherSuite cipher);

        [LoggerMessage(EventId = 4061, Level = LogLevel.Warning, Message = "The TLS handshake of the cluster link with {Peer} failed: {Reason} (is Cluster:Tls the same on both nodes, and is the peer's certificate trusted?)")]
        public static partial void TlsFailed(ILogger logger, string peer, string reason);

        [LoggerMessage(EventId = 4062, Level = LogLevel.Warning, Message = "Refused a cluster link from {Remote}: {Reason}")]
        public static partial void TlsMismatch(ILogger logger, string remote, string reason);

        [LoggerMessage(EventId = 4063, Level = LogLevel.Warning, Message = "The cluster link to {Peer} was refused by the peer: {Reason}")]
        public static partial void RefusedByPeer(ILogger logger, string peer, string reason);

        // Next free EventId of this component: 4064 (4060-4079 are the links branch's range).
    }
}
