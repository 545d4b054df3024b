using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Rookery.Cluster.Links;

/// <summary>
/// Opens links: dials a peer or takes an accepted socket through the handshake (HELLO both ways, version negotiation,
/// HMAC proofs both ways, see <see cref="LinkHandshake"/>). A peer that cannot prove the secret is refused and logged.
/// </summary>
internal sealed partial class LinkEstablisher(byte[] key, int queueCapacity, TimeSpan timeout, ILogger logger)
{
    /// <summary>Dials <paramref name="host"/>:<paramref name="port"/>; null (logged) when the link cannot be set up.</summary>
    public async Task<NodeLink?> DialAsync(string host, int port, long ownId, string ownName, long expectedPeer, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            await socket.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: false);
            var input = new BufferedStream(network, 64 * 1024);
            var output = new BufferedStream(network, 64 * 1024);
            var ownHello = LinkHandshake.Hello(ownId, ownName);
            await SendAsync(output, ownHello, cts.Token).ConfigureAwait(false);
            var peerHello = await ReceiveAsync(input, cts.Token).ConfigureAwait(false);
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

            return new NodeLink(socket, input, output, peerId, peerName, version, queueCapacity, dialled: true);
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
            var network = new NetworkStream(socket, ownsSocket: false);
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

            return new NodeLink(socket, input, output, peerId, peerName, version, queueCapacity, dialled: false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException)
        {
            socket.Dispose();
            Log.HandshakeFailed(logger, remote, e.Message);
            return null;
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
    }
}
