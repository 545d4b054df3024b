using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Rookery.Cluster.Links;

/// <summary>
/// One authenticated connection to a peer node. Frames to send go through a bounded channel drained by one writer
/// loop (the only code that writes to the socket), which flushes once per burst; the read loop hands each frame, in
/// order, to the handler. A full channel means the peer cannot keep up: the link is aborted, and what it carried is
/// recovered on the next link (stanzas are re-sent until acknowledged, sessions are synced in full).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The token source only signals the close; cancelling it is the end of the link's life, and nothing waits on its handle.")]
internal sealed class NodeLink
{
    // One write per burst: frames are gathered up to this many bytes; a frame with a bigger payload is written on its own.
    private const int BatchBytes = 32 * 1024;
    private const int MaxBatchedPayload = 16 * 1024;

    // Queued by QueueAck in place of an ACK frame per stanza: the writer sends the newest recorded number.
    private static readonly Frame AckMarker = Frame.Empty(FrameType.Ack);

    private readonly Socket _socket;
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly Channel<Frame> _outgoing;
    private readonly CancellationTokenSource _closed = new();
    private long _lastReceived;
    private volatile bool _coalesceAcks;
    // Cumulative ACKs (QueueAck): the newest sequence number handled, and whether a marker for the writer is queued.
    private long _ackSequence;
    private int _ackQueued;

    public NodeLink(Socket socket, Stream input, Stream output, long peerId, string peerName, int protocol, int capacity, bool dialled)
    {
        _socket = socket;
        // Two buffered streams over one socket: BufferedStream keeps one buffer for both directions and must never be
        // read and written at once, while the reader and the writer loop run concurrently.
        _input = input;
        _output = output;
        PeerId = peerId;
        PeerName = peerName;
        Protocol = protocol;
        Dialled = dialled;
        _outgoing = Channel.CreateBounded<Frame>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lastReceived = Environment.TickCount64;
    }

    /// <summary>The peer's node id.</summary>
    public long PeerId { get; }

    /// <summary>The parser of the stanzas this link's peer forwards; used by the link's reader only.</summary>
    public ForwardedStanzaParser ForwardedStanzas { get; } = new();

    /// <summary>The peer's name.</summary>
    public string PeerName { get; }

    /// <summary>The negotiated link protocol version.</summary>
    public int Protocol { get; }

    /// <summary>True when this node dialled the link.</summary>
    public bool Dialled { get; }

    /// <summary>True once the link closed.</summary>
    public bool IsClosed => _closed.IsCancellationRequested;

    /// <summary>
    /// When set (the peer announced <see cref="LinkCapabilities.CumulativeAck"/>), the writer sends only the last of the
    /// ACK frames queued in one burst: the peer's bookkeeping treats it as covering the earlier ones, and a burst of
    /// forwarded stanzas costs one ACK frame instead of one each.
    /// </summary>
    public bool CoalesceAcks
    {
        get => _coalesceAcks;
        set => _coalesceAcks = value;
    }

    /// <summary>The JIDs the peer's STANZA frames name, parsed once per distinct target; used by the link's reader only.</summary>
    public ForwardedTargets Targets { get; } = new();

    /// <summary>Milliseconds since a frame last arrived.</summary>
    public long IdleMilliseconds => Environment.TickCount64 - Interlocked.Read(ref _lastReceived);

    /// <summary>Queues a frame; false (and the link aborted) when the queue is full or the link closed.</summary>
    public bool TryEnqueue(Frame frame)
    {
        if (_outgoing.Writer.TryWrite(frame))
        {
            return true;
        }

        Abort();
        return false;
    }

    /// <summary>
    /// Acknowledges the peer's stanza <paramref name="sequence"/> (and, ACKs being cumulative, every earlier one). To a peer
    /// with <see cref="CoalesceAcks"/> no frame is built per stanza: the number is recorded and at most one marker waits in
    /// the queue, for which the writer sends one ACK with the newest number recorded by then. Called by the link's
    /// reader, in sequence order.
    /// </summary>
    public void QueueAck(long sequence)
    {
        if (!CoalesceAcks)
        {
            TryEnqueue(PayloadWriter.Ack(sequence));
            return;
        }

        Interlocked.Exchange(ref _ackSequence, sequence);
        if (Interlocked.Exchange(ref _ackQueued, 1) == 0)
        {
            TryEnqueue(AckMarker);
        }
    }

    /// <summary>Runs the writer and the reader until either side closes; never throws.</summary>
    public async Task RunAsync(Func<NodeLink, Frame, ValueTask> onFrame)
    {
        var writer = WriteLoopAsync();
        var header = new byte[FrameCodec.HeaderBytes + 1];
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                var frame = await FrameCodec.ReadAsync(_input, header, _closed.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    break;
                }

                Interlocked.Exchange(ref _lastReceived, Environment.TickCount64);
                await onFrame(this, frame.Value).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
        {
            // The peer went away or spoke nonsense: either way the link is over, and the owner reconnects.
        }
        finally
        {
            Abort();
            await writer.ConfigureAwait(false);
        }
    }

    /// <summary>Closes the link at once.</summary>
    public void Abort()
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        _outgoing.Writer.TryComplete();
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }

    /// <summary>
    /// The one writer of the socket: every frame of a burst (what the queue holds when the writer wakes) is copied into one
    /// buffer and written with one call, then flushed once, instead of two writes per frame; ACKs are coalesced into one
    /// per burst (<see cref="QueueAck"/>). A frame too big for the batch goes out on its own after the batch.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        var reader = _outgoing.Reader;
        var batch = new ArrayBufferWriter<byte>(BatchBytes);
        var header = new byte[FrameCodec.HeaderBytes + 1];
        try
        {
            while (await reader.WaitToReadAsync(_closed.Token).ConfigureAwait(false))
            {
                var lastAck = -1L;
                while (reader.TryRead(out var frame))
                {
                    if (frame.Type == FrameType.Ack && CoalesceAcks)
                    {
                        // ACKs are queued in sequence order; the last one of the burst stands for all of them. The marker
                        // of QueueAck is cleared before the number is read, so a number recorded after this read queues a
                        // new marker.
                        var sequence = frame.Payload.IsEmpty
                            ? ReadRecordedAck()
                            : BinaryPrimitives.ReadInt64BigEndian(frame.Payload.Span);
                        lastAck = Math.Max(lastAck, sequence);
                        continue;
                    }

                    if (frame.Type == FrameType.Ack && frame.Payload.IsEmpty)
                    {
                        // Defensive: markers are queued only while CoalesceAcks is set, which a link never clears; were it
                        // cleared, the recorded number still goes out, as a plain ACK.
                        frame = PayloadWriter.Ack(ReadRecordedAck());
                    }

                    if (frame.Payload.Length > MaxBatchedPayload)
                    {
                        await WriteBatchAsync(batch).ConfigureAwait(false);
                        await FrameCodec.WriteAsync(_output, frame, header, _closed.Token).ConfigureAwait(false);
                        continue;
                    }

                    FrameCodec.Write(batch, frame);
                    if (batch.WrittenCount >= BatchBytes)
                    {
                        await WriteBatchAsync(batch).ConfigureAwait(false);
                    }
                }

                if (lastAck >= 0)
                {
                    FrameCodec.Write(batch, PayloadWriter.Ack(lastAck));
                }

                await WriteBatchAsync(batch).ConfigureAwait(false);
                await _output.FlushAsync(_closed.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            Abort();
        }
    }

    private long ReadRecordedAck()
    {
        Interlocked.Exchange(ref _ackQueued, 0);
        return Interlocked.Read(ref _ackSequence);
    }

    private async ValueTask WriteBatchAsync(ArrayBufferWriter<byte> batch)
    {
        if (batch.WrittenCount == 0)
        {
            return;
        }

        await _output.WriteAsync(batch.WrittenMemory, _closed.Token).ConfigureAwait(false);
        batch.ResetWrittenCount();
    }
}
