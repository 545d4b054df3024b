using System.Net;
using System.Net.Sockets;
using Rookery.Cluster.Links;
using Rookery.Protocol.Addressing;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A link's writer over a real loopback socket: the ACKs of a burst go out as one cumulative ACK to a peer that announced
/// <see cref="LinkCapabilities.CumulativeAck"/> (no frame built per stanza), one each to an older peer; frames written in
/// one batch read back one by one. And the per-link cache of forwarded stanzas' targets.
/// </summary>
public sealed class NodeLinkTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task QueueAck_CumulativePeer_OneAckWithTheNewestNumberPerBurst()
    {
        var (link, peer) = await ConnectAsync();
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        link.CoalesceAcks = true;
        // Before the writer runs: a hundred stanzas handled are one marker in the queue, so one ACK frame.
        for (var i = 1; i <= 100; i++)
        {
            link.QueueAck(i);
        }

        link.TryEnqueue(Frame.Empty(FrameType.Ping)).Should().BeTrue();
        var running = link.RunAsync((_, _) => ValueTask.CompletedTask);

        var first = await ReadAsync(peerStream);
        first.Type.Should().Be(FrameType.Ping, "frames keep their order; the ACK of the burst goes at its end");
        var ack = await ReadAsync(peerStream);
        ack.Type.Should().Be(FrameType.Ack);
        new PayloadReader(ack.Payload.Span).Int64().Should().Be(100);

        link.QueueAck(101);
        var next = await ReadAsync(peerStream);
        next.Type.Should().Be(FrameType.Ack, "no ACK 1..99 ever follows: one frame stood for all of them");
        new PayloadReader(next.Payload.Span).Int64().Should().Be(101);

        link.Abort();
        await running.WaitAsync(Wait);
    }

    [Fact]
    public async Task QueueAck_OlderPeer_OneAckFramePerStanza_InOrder()
    {
        var (link, peer) = await ConnectAsync();
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        for (var i = 1; i <= 3; i++)
        {
            link.QueueAck(i);
        }

        var running = link.RunAsync((_, _) => ValueTask.CompletedTask);
        for (var i = 1; i <= 3; i++)
        {
            var ack = await ReadAsync(peerStream);
            ack.Type.Should().Be(FrameType.Ack);
            new PayloadReader(ack.Payload.Span).Int64().Should().Be(i);
        }

        link.Abort();
        await running.WaitAsync(Wait);
    }

    [Fact]
    public async Task Writer_BatchWithABigFrame_EveryFrameReadsBackInOrder()
    {
        var (link, peer) = await ConnectAsync();
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        var big = new byte[100_000];
        Random.Shared.NextBytes(big);
        var frames = new List<Frame>();
        for (var i = 0; i < 50; i++)
        {
            frames.Add(new PayloadWriter().Int64(i).String("bob@example.org/phone").String($"<message id='m{i}'/>").ToFrame(FrameType.Stanza));
        }

        frames.Insert(25, new Frame(FrameType.Stanza, big));
        foreach (var frame in frames)
        {
            link.TryEnqueue(frame).Should().BeTrue();
        }

        var running = link.RunAsync((_, _) => ValueTask.CompletedTask);
        foreach (var expected in frames)
        {
            var frame = await ReadAsync(peerStream);
            frame.Type.Should().Be(expected.Type);
            frame.Payload.ToArray().Should().Equal(expected.Payload.ToArray());
        }

        link.Abort();
        await running.WaitAsync(Wait);
    }

    [Fact]
    public void ForwardedTargets_SameBytes_SameJid_ParsedOnce_InvalidRefused()
    {
        var targets = new ForwardedTargets();

        targets.TryResolve("bob@example.org/phone"u8, out var first).Should().BeTrue();
        targets.TryResolve("bob@example.org/phone"u8, out var again).Should().BeTrue();
        targets.TryResolve("bob@example.org/desk"u8, out var other).Should().BeTrue();

        first.Should().Be(Jid.Parse("bob@example.org/phone"));
        again.Should().BeSameAs(first);
        other.Should().Be(Jid.Parse("bob@example.org/desk"));
        targets.TryResolve("@example.org/x"u8, out _).Should().BeFalse();
    }

    private static async Task<Frame> ReadAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(Wait);
        var frame = await FrameCodec.ReadAsync(stream, timeout.Token);
        frame.Should().NotBeNull();
        return frame!.Value;
    }

    private static async Task<(NodeLink Link, Socket Peer)> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var ours = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await ours.ConnectAsync(listener.LocalEndPoint!);
        var peer = await listener.AcceptAsync();
        var stream = new NetworkStream(ours, ownsSocket: false);
        var link = new NodeLink(ours, new BufferedStream(stream), new BufferedStream(stream), 2, "peer", 1, 1000, dialled: true);
        return (link, peer);
    }
}
