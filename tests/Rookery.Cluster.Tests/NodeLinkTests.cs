using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Rookery.Cluster.Links;
using Rookery.Protocol.Addressing;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A link over a real loopback socket (issue #4, cross-node wake-ups): what is queued while no write is under way is
/// written by one thread-pool work item, never by the thread that queued it, a burst in one write; with a write
/// interval, what is queued right after a write waits for the interval and joins one burst; a write the kernel does
/// not take finishes on the thread pool with everything after it in order; a full queue ends the link. ACKs: one per receive with the newest
/// number to a peer that announced <see cref="LinkCapabilities.CumulativeAck"/>, one each to an older peer, and to a peer
/// that announced <see cref="LinkCapabilities.DelayedAck"/> with the next frame, after the delay, or every quarter of its
/// limit. The reader handles every frame of a receive in order, big frames included. And the per-link cache of
/// forwarded stanzas' targets.
/// </summary>
public sealed class NodeLinkTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Writer_FramesQueuedInOneBurst_OneWriteByAWorkItem_NotByTheCaller()
    {
        var (link, peer, output) = await ConnectAsync();
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        var frames = Enumerable.Range(1, 50).Select(i => Stanza(i)).ToList();
        using var inCall = new ThreadLocal<bool>();
        output.Marker = () => inCall.Value;

        // What a routing thread does for N stanzas of one burst: queued under the peer's lock, flushed once out of it.
        foreach (var frame in frames)
        {
            link.TryEnqueueHeld(frame).Should().BeTrue();
        }

        output.Writes.Should().BeEmpty("held frames wait for the flush");
        inCall.Value = true;
        link.Flush();
        inCall.Value = false;
        foreach (var expected in frames)
        {
            var frame = await ReadAsync(peerStream);
            frame.Payload.ToArray().Should().Equal(expected.Payload.ToArray());
        }

        output.Writes.Should().ContainSingle("the burst is one write, by one work item: the peer is woken once")
            .Which.Marked.Should().BeFalse("the caller (a socket engine thread routing a round of ready sockets) goes on routing");
        link.Abort();
    }

    [Fact]
    public async Task Writer_FramesQueuedOneByOne_WrittenInOrder_NeverByTheCaller()
    {
        // The write goes behind the pool's waiting work, so that the stanzas routed meanwhile join the burst.
        var (link, peer, output) = await ConnectAsync();
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        var frames = Enumerable.Range(1, 50).Select(i => Stanza(i)).ToList();
        using var inTryEnqueue = new ThreadLocal<bool>();
        output.Marker = () => inTryEnqueue.Value;

        foreach (var frame in frames)
        {
            inTryEnqueue.Value = true;
            link.TryEnqueue(frame).Should().BeTrue();
            inTryEnqueue.Value = false;
        }

        foreach (var expected in frames)
        {
            var frame = await ReadAsync(peerStream);
            frame.Payload.ToArray().Should().Equal(expected.Payload.ToArray());
        }

        output.Writes.Should().NotBeEmpty().And.OnlyContain(w => !w.Marked, "a queued work item wrote, never the caller within TryEnqueue");
        link.Abort();
    }

    [Fact]
    public async Task Writer_WithWriteInterval_FramesQueuedRightAfterAWrite_WaitForTheIntervalAndGoOutTogether()
    {
        var interval = TimeSpan.FromMilliseconds(500);
        using var pacer = new LinkWritePacer(interval);
        var (link, peer, output) = await ConnectAsync(pacer: pacer);
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);

        // A quiet link: the first frame goes out at once.
        var clock = Stopwatch.StartNew();
        link.TryEnqueue(Stanza(1)).Should().BeTrue();
        (await ReadAsync(peerStream)).Payload.ToArray().Should().Equal(Stanza(1).Payload.ToArray());
        var firstArrived = clock.Elapsed;
        firstArrived.Should().BeLessThan(interval * 0.8, "nothing was written before it, so it does not wait");

        // Queued one by one right after that write: each would have started a write of its own.
        var rest = Enumerable.Range(2, 30).Select(i => Stanza(i)).ToList();
        foreach (var frame in rest)
        {
            link.TryEnqueue(frame).Should().BeTrue();
        }

        foreach (var expected in rest)
        {
            (await ReadAsync(peerStream)).Payload.ToArray().Should().Equal(expected.Payload.ToArray());
        }

        clock.Elapsed.Should().BeGreaterThanOrEqualTo(interval * 0.9, "the second burst waits for the interval after the first write");
        output.Writes.Should().HaveCount(2, "everything queued within the interval goes out as one burst");

        // Quiet again for longer than the interval: the next frame goes out at once.
        await Task.Delay(interval);
        var quiet = Stopwatch.StartNew();
        link.TryEnqueue(Stanza(99)).Should().BeTrue();
        (await ReadAsync(peerStream)).Payload.ToArray().Should().Equal(Stanza(99).Payload.ToArray());
        quiet.Elapsed.Should().BeLessThan(interval * 0.8);
        link.Abort();
    }

    [Fact]
    public async Task Writer_BacklogOfMegabytes_WrittenInBatchesOfAboutThirtyTwoKilobytes_InOrder()
    {
        // A peer that fell behind leaves a backlog: encoded into one buffer, it grew that buffer on the large object heap
        // at every burst, and the sending node ran gen2 collections several times a second (bench/cluster.sh, 17:34).
        var (link, peer, output) = await ConnectAsync(capacity: 5000);
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        var frames = Enumerable.Range(0, 2000).Select(i => new Frame(FrameType.Stanza, Filled(1000, (byte)i))).ToList();

        foreach (var frame in frames)
        {
            link.TryEnqueueHeld(frame).Should().BeTrue();
        }

        link.Flush();
        foreach (var expected in frames)
        {
            var frame = await ReadAsync(peerStream);
            frame.Payload.ToArray().Should().Equal(expected.Payload.ToArray());
        }

        output.Writes.Should().HaveCountGreaterThan(50, "two megabytes go out in many writes")
            .And.OnlyContain(w => w.Bytes <= 32 * 1024 + 1100, "a write holds about 32 KiB: the frames up to that, plus the one that crossed it");
        link.Abort();
    }

    [Fact]
    public async Task Writer_KernelTakesNoMore_CallerNotBlocked_RestFollowsInOrder()
    {
        var (link, peer, _) = await ConnectAsync(capacity: 1000, smallBuffers: true);
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        // Far more than the two socket buffers hold while the peer reads nothing: the first write cannot complete at once.
        var frames = Enumerable.Range(0, 16).Select(i => new Frame(FrameType.Stanza, Filled(16 * 1024, (byte)i))).ToList();

        var queued = Task.Run(() => frames.All(link.TryEnqueue));
        (await queued.WaitAsync(Wait)).Should().BeTrue("queueing never waits for the peer: the pool finishes the write");

        foreach (var expected in frames)
        {
            var frame = await ReadAsync(peerStream);
            frame.Payload.ToArray().Should().Equal(expected.Payload.ToArray());
        }

        link.IsClosed.Should().BeFalse();
        link.Abort();
    }

    [Fact]
    public async Task Writer_PeerReadsNothing_QueueFills_LinkAborted()
    {
        var (link, peer, _) = await ConnectAsync(capacity: 16, smallBuffers: true);
        using var peerSocket = peer;
        var accepted = 0;
        while (link.TryEnqueue(new Frame(FrameType.Stanza, new byte[64 * 1024])))
        {
            accepted++;
            accepted.Should().BeLessThan(1000, "the queue is bounded");
        }

        link.IsClosed.Should().BeTrue("a peer that cannot keep up loses the link; what it carried is re-sent on the next one");
        link.TryEnqueue(Frame.Empty(FrameType.Ping)).Should().BeFalse();
    }

    [Fact]
    public async Task QueueAck_CumulativePeer_OneAckWithTheNewestNumberPerReceive()
    {
        var (link, peer, _) = await ConnectAsync();
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        link.CoalesceAcks = true;
        // One receive's worth of stanzas handled: one marker waits, and the ACK travels with the next frame written.
        for (var i = 1; i <= 100; i++)
        {
            link.QueueAck(i);
        }

        link.TryEnqueue(Frame.Empty(FrameType.Ping)).Should().BeTrue();
        var first = await ReadAsync(peerStream);
        first.Type.Should().Be(FrameType.Ping, "frames keep their order; the ACK of the burst goes at its end");
        var ack = await ReadAsync(peerStream);
        ack.Type.Should().Be(FrameType.Ack);
        new PayloadReader(ack.Payload.Span).Int64().Should().Be(100);

        // The reader flushes once it has handled every frame of a receive.
        link.QueueAck(101);
        link.Flush();
        var next = await ReadAsync(peerStream);
        next.Type.Should().Be(FrameType.Ack, "no ACK 1..99 ever follows: one frame stood for all of them");
        new PayloadReader(next.Payload.Span).Int64().Should().Be(101);

        link.Abort();
    }

    [Fact]
    public async Task QueueAck_OlderPeer_OneAckFramePerStanza_InOrder()
    {
        var (link, peer, _) = await ConnectAsync();
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        for (var i = 1; i <= 3; i++)
        {
            link.QueueAck(i);
        }

        link.Flush();
        for (var i = 1; i <= 3; i++)
        {
            var ack = await ReadAsync(peerStream);
            ack.Type.Should().Be(FrameType.Ack);
            new PayloadReader(ack.Payload.Span).Int64().Should().Be(i);
        }

        link.Abort();
    }

    [Fact]
    public async Task QueueAck_DelayedPeer_AckTravelsWithTheNextFrame_OrGoesEveryQuarterOfThePeersLimit()
    {
        // No timer within the test's life: only a frame to travel with, or the count, sends an ACK.
        var (link, peer, _) = await ConnectAsync(ackDelay: TimeSpan.FromHours(1));
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        link.UseDelayedAcks(peerMaxUnacked: 400);
        for (var i = 1; i <= 250; i++)
        {
            link.QueueAck(i);
            link.Flush(); // as the reader does after each receive
        }

        link.TryEnqueue(Frame.Empty(FrameType.Ping)).Should().BeTrue();

        // The writer runs on the pool: an ACK carries the newest number recorded when its burst is written.
        var acks = new List<long>();
        var pinged = false;
        while (!pinged || acks.LastOrDefault() != 250)
        {
            var frame = await ReadAsync(peerStream);
            if (frame.Type == FrameType.Ping)
            {
                pinged = true;
            }
            else
            {
                frame.Type.Should().Be(FrameType.Ack);
                acks.Add(new PayloadReader(frame.Payload.Span).Int64());
            }
        }

        acks.Should().HaveCountLessThanOrEqualTo(3, "250 stanzas, one per receive, cost an ACK per hundred and one with the ping, not 250")
            .And.BeInAscendingOrder().And.OnlyHaveUniqueItems();
        acks[0].Should().BeGreaterThanOrEqualTo(100, "no ACK goes before a quarter of the peer's limit waits, or a frame to travel with");
        link.Abort();
    }

    [Fact]
    public async Task QueueAck_DelayedPeer_NothingElseToSend_OneAckAfterTheDelay()
    {
        var (link, peer, output) = await ConnectAsync(ackDelay: TimeSpan.FromMilliseconds(50));
        using var peerSocket = peer;
        await using var peerStream = new NetworkStream(peer);
        link.UseDelayedAcks(peerMaxUnacked: 100_000);
        for (var i = 1; i <= 10; i++)
        {
            link.QueueAck(i);
            link.Flush();
        }

        var ack = await ReadAsync(peerStream);
        ack.Type.Should().Be(FrameType.Ack);
        new PayloadReader(ack.Payload.Span).Int64().Should().Be(10, "one ACK after the delay stands for the ten");
        output.Writes.Should().ContainSingle();

        link.QueueAck(11);
        var next = await ReadAsync(peerStream);
        new PayloadReader(next.Payload.Span).Int64().Should().Be(11, "the timer is armed again by the next stanza");
        link.Abort();
    }

    [Fact]
    public async Task RunAsync_RealLinkPair_StanzasOneByOne_DelayedAcksCounted()
    {
        // Two links over one loopback connection, both running: node a forwards 200 stanzas one at a time (each handled
        // by b before the next is sent, the worst case for ACKs: one receive per stanza), b acknowledges each.
        var (a, b) = await ConnectPairAsync(ackDelay: TimeSpan.FromHours(1));
        b.UseDelayedAcks(peerMaxUnacked: 400);
        var handled = new SemaphoreSlim(0);
        var acks = new ConcurrentQueue<long>();
        var runA = a.RunAsync((_, frame) =>
        {
            if (frame.Type == FrameType.Ack)
            {
                acks.Enqueue(new PayloadReader(frame.Payload.Span).Int64());
            }

            return ValueTask.CompletedTask;
        });
        var runB = b.RunAsync((link, frame) =>
        {
            link.QueueAck(new PayloadReader(frame.Payload.Span).Int64());
            handled.Release();
            return ValueTask.CompletedTask;
        });

        for (var i = 1; i <= 200; i++)
        {
            a.TryEnqueue(Stanza(i)).Should().BeTrue();
            (await handled.WaitAsync(Wait)).Should().BeTrue();
        }

        await UntilAsync(() => acks.Count >= 2, "the ACKs for 100 and 200 arrive");
        acks.Should().Equal(100L, 200L);

        a.Abort();
        await Task.WhenAll(runA, runB).WaitAsync(Wait);
    }

    [Fact]
    public async Task RunAsync_FramesBiggerThanTheReadBuffer_AmongSmallOnes_HandledInOrder()
    {
        var (a, b) = await ConnectPairAsync();
        var frames = new List<Frame>();
        for (var i = 0; i < 40; i++)
        {
            frames.Add(Stanza(i));
            if (i % 10 == 5)
            {
                frames.Add(new Frame(FrameType.Stanza, Filled(100_000 * (i + 1) / 6, (byte)i)));
            }
        }

        var received = new ConcurrentQueue<Frame>();
        var runA = a.RunAsync((_, _) => ValueTask.CompletedTask);
        var runB = b.RunAsync(async (_, frame) =>
        {
            received.Enqueue(frame);
            await Task.Yield(); // a handler that does not complete at once holds the reader back, in order
        });
        foreach (var frame in frames)
        {
            a.TryEnqueue(frame).Should().BeTrue();
        }

        await UntilAsync(() => received.Count == frames.Count, "every frame arrives");
        received.Select(f => f.Payload.ToArray()).Should().Equal(frames.Select(f => f.Payload.ToArray()), (x, y) => x.AsSpan().SequenceEqual(y));

        a.Abort();
        await Task.WhenAll(runA, runB).WaitAsync(Wait);
    }

    [Fact]
    public async Task Writer_BatchWithABigFrame_EveryFrameReadsBackInOrder()
    {
        var (link, peer, _) = await ConnectAsync();
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
            link.TryEnqueueHeld(frame).Should().BeTrue();
        }

        link.Flush();
        foreach (var expected in frames)
        {
            var frame = await ReadAsync(peerStream);
            frame.Type.Should().Be(expected.Type);
            frame.Payload.ToArray().Should().Equal(expected.Payload.ToArray());
        }

        link.Abort();
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

    /// <summary>A link over one end of a loopback connection (its writes recorded), and the other end's socket.</summary>
    internal static async Task<(NodeLink Link, Socket Peer, RecordingStream Output)> ConnectAsync(
        int capacity = 1000, TimeSpan? ackDelay = null, bool smallBuffers = false, LinkWritePacer? pacer = null)
    {
        var (ours, peer) = await SocketPairAsync(smallBuffers);
        var stream = new NetworkStream(ours, ownsSocket: false);
        var output = new RecordingStream(stream);
        var link = new NodeLink(ours, new BufferedStream(stream), output, 2, "peer", 1, capacity, dialled: true)
        {
            AckDelay = ackDelay ?? NodeLink.DefaultAckDelay,
            Pacer = pacer,
        };
        return (link, peer, output);
    }

    private static async Task<(NodeLink A, NodeLink B)> ConnectPairAsync(TimeSpan? ackDelay = null)
    {
        var (left, right) = await SocketPairAsync(smallBuffers: false);
        var l = new NetworkStream(left, ownsSocket: false);
        var r = new NetworkStream(right, ownsSocket: false);
        var a = new NodeLink(left, new BufferedStream(l), l, 2, "b", 1, 1000, dialled: true) { AckDelay = ackDelay ?? NodeLink.DefaultAckDelay };
        var b = new NodeLink(right, new BufferedStream(r), r, 1, "a", 1, 1000, dialled: false) { AckDelay = ackDelay ?? NodeLink.DefaultAckDelay };
        return (a, b);
    }

    private static async Task<(Socket Ours, Socket Peer)> SocketPairAsync(bool smallBuffers)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var ours = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (smallBuffers)
        {
            ours.SendBufferSize = 4096;
        }

        await ours.ConnectAsync(listener.LocalEndPoint!);
        var peer = await listener.AcceptAsync();
        if (smallBuffers)
        {
            peer.ReceiveBufferSize = 4096;
        }

        return (ours, peer);
    }

    private static Frame Stanza(long sequence) =>
        new PayloadWriter().Int64(sequence).String("bob@example.org/phone").String($"<message id='m{sequence}'/>").ToFrame(FrameType.Stanza);

    private static byte[] Filled(int length, byte value)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill(value);
        bytes[0] = (byte)(length >> 16);
        return bytes;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, what);
            await Task.Delay(20);
        }
    }

    private static async Task<Frame> ReadAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(Wait);
        var frame = await FrameCodec.ReadAsync(stream, timeout.Token);
        frame.Should().NotBeNull();
        return frame!.Value;
    }
}
