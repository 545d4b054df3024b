using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Rookery.Cluster.Links;

/// <summary>
/// One authenticated connection to a peer node. Frames to send go into a bounded queue; the thread that queues a frame
/// while no one is writing takes the writer role and hands the write to one thread-pool work item, queued behind the
/// work already waiting, which writes everything queued by then with one non-blocking write, and goes on while more
/// comes. A burst of routed stanzas (all those a socket engine thread routes from one round of ready client sockets)
/// thus costs the peer one wake-up instead of one per stanza: with both nodes on one core that was a context switch
/// between the two processes per forwarded message, and cross-node delivery reached a third of same-node (issue #4,
/// docs/benchmarks.md "Cross-node"). With a <see cref="WriteInterval"/>, a burst that would start within that time of
/// the previous write waits for it instead. A write the kernel does not take at once continues asynchronously on the
/// pool; frames queued meanwhile wait for it, in order. The read loop parses every complete frame of one receive and
/// hands each, in order, to the handler; ACKs go out once per receive, or, to a peer that allows it
/// (<see cref="LinkCapabilities.DelayedAck"/>), with the next frame written to it, after <see cref="AckDelay"/>, or once
/// <see cref="UseDelayedAcks"/>'s count of stanzas waits, whichever comes first. A full queue means the peer cannot keep
/// up: the link is aborted, and what it carried is recovered on the next link (stanzas are re-sent until acknowledged,
/// sessions are synced in full).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The token source and the timer end with the link (Abort); nothing waits on their handles.")]
internal sealed class NodeLink
{
    /// <summary>How long a delayed ACK waits at most for another frame to travel with (<see cref="LinkCapabilities.DelayedAck"/>).</summary>
    public static readonly TimeSpan DefaultAckDelay = TimeSpan.FromMilliseconds(10);

    // The most stanzas a delayed ACK leaves unacknowledged, whatever the peer's limit.
    private const int MaxAckEvery = 1024;

    // A burst is gathered in one buffer and written with one call; a buffer grown by a big frame is not kept.
    private const int BatchBytes = 32 * 1024;
    private const int ReadBytes = 64 * 1024;

    // Queued by QueueAck in place of an ACK frame per stanza: the writer sends the newest recorded number.
    private static readonly Frame AckMarker = Frame.Empty(FrameType.Ack);

    private readonly Socket _socket;
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly int _capacity;
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _queueGate = new();
    private readonly Timer _ackTimer;
    private readonly DeferredWrite _deferredWrite;
    private Queue<Frame> _queue = new();
    private Queue<Frame> _draining = new(); // the burst being written, owned by the writer
    private ArrayBufferWriter<byte> _batch = new(BatchBytes); // owned by the writer
    private bool _writing; // a thread owns the writer role (under _queueGate)
    private bool _aborted; // under _queueGate: nothing is queued or written any more
    private Task _asyncWrite = Task.CompletedTask; // the writer's continuation after a write that did not complete at once
    private long _lastWriteStarted; // Stopwatch timestamp of the newest burst's write; owned by the writer
    private long _lastReceived;
    private volatile AckMode _ackMode;
    private int _ackEvery = 1;
    // Cumulative ACKs (QueueAck): the newest sequence number handled, the newest sent, whether a marker is queued and
    // whether the delay timer runs.
    private long _ackSequence;
    private long _ackSent;
    private int _ackQueued;
    private int _ackTimerArmed;

    /// <summary>
    /// Creates the link over a connected socket. <paramref name="input"/> may be buffered (the handshake read through
    /// it); <paramref name="output"/> is written without a buffer of its own: the link gathers every burst itself.
    /// </summary>
    public NodeLink(Socket socket, Stream input, Stream output, long peerId, string peerName, int protocol, int capacity, bool dialled)
    {
        _socket = socket;
        // The reader and the writer run concurrently: they must not share a buffered stream (BufferedStream keeps one
        // buffer for both directions); an SslStream takes one read and one write at a time.
        _input = input;
        _output = output;
        PeerId = peerId;
        PeerName = peerName;
        Protocol = protocol;
        Dialled = dialled;
        _capacity = capacity;
        _lastReceived = Environment.TickCount64;
        _ackTimer = new Timer(static state => ((NodeLink)state!).OnAckTimer(), this, Timeout.Infinite, Timeout.Infinite);
        _deferredWrite = new DeferredWrite(this);
    }

    private enum AckMode
    {
        // An older peer: one ACK frame per stanza, written once per receive.
        PerStanza,
        // LinkCapabilities.CumulativeAck: the newest number once per receive.
        Cumulative,
        // LinkCapabilities.DelayedAck: the newest number with the next frame, after AckDelay, or every _ackEvery stanzas.
        Delayed,
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
    /// Paces the writes (<c>Cluster:LinkWriteInterval</c>); null writes every burst as soon as the pool runs it. With a
    /// pacer, a frame queued while the link is quiet goes out at once; one queued within <see cref="WriteInterval"/> of
    /// the previous write waits for the rest of it, with everything else queued meanwhile, and the pacer's thread writes
    /// them. Under load the peer then wakes once per interval for a large burst instead of once per small one (on a
    /// shared core, a context switch between the two processes every few stanzas); a forwarded stanza waits at most
    /// about one interval longer.
    /// </summary>
    public LinkWritePacer? Pacer { get; init; }

    /// <summary>The shortest time between the starts of two writes: the <see cref="Pacer"/>'s interval, or zero.</summary>
    public TimeSpan WriteInterval => Pacer?.Interval ?? TimeSpan.Zero;

    /// <summary>How long a delayed ACK waits for a frame to travel with before it goes alone; set before the link runs.</summary>
    public TimeSpan AckDelay { get; init; } = DefaultAckDelay;

    /// <summary>
    /// When set (the peer announced <see cref="LinkCapabilities.CumulativeAck"/>), only the newest of the ACKs recorded
    /// while the reader works through one receive is sent: the peer's bookkeeping treats it as covering the earlier ones,
    /// and a burst of forwarded stanzas costs one ACK frame instead of one each.
    /// </summary>
    public bool CoalesceAcks
    {
        get => _ackMode != AckMode.PerStanza;
        set
        {
            if (_ackMode != AckMode.Delayed)
            {
                _ackMode = value ? AckMode.Cumulative : AckMode.PerStanza;
            }
        }
    }

    /// <summary>True once <see cref="UseDelayedAcks"/> was called.</summary>
    public bool DelaysAcks => _ackMode == AckMode.Delayed;

    /// <summary>The JIDs the peer's STANZA frames name, parsed once per distinct target; used by the link's reader only.</summary>
    public ForwardedTargets Targets { get; } = new();

    /// <summary>Milliseconds since a frame last arrived.</summary>
    public long IdleMilliseconds => Environment.TickCount64 - Interlocked.Read(ref _lastReceived);

    /// <summary>
    /// The peer announced <see cref="LinkCapabilities.DelayedAck"/> and keeps at most <paramref name="peerMaxUnacked"/>
    /// stanzas unacknowledged: ACKs to it travel with the next frame written to it, or go alone after
    /// <see cref="AckDelay"/>, or as soon as a quarter of its limit (at most 1,024) waits, so that it never has to refuse
    /// a stanza for want of an ACK. The no-loss rule is unchanged: the peer keeps each stanza until it is acknowledged.
    /// </summary>
    public void UseDelayedAcks(int peerMaxUnacked)
    {
        Volatile.Write(ref _ackEvery, Math.Clamp(peerMaxUnacked / 4, 1, MaxAckEvery));
        _ackMode = AckMode.Delayed;
    }

    /// <summary>
    /// Queues a frame and sees it written by the burst under way or by a new one on the thread pool; false (and the link
    /// aborted) when the queue is full or the link closed.
    /// </summary>
    public bool TryEnqueue(Frame frame)
    {
        if (!Enqueue(frame, hold: false, out var write))
        {
            return false;
        }

        if (write)
        {
            StartWriting();
        }

        return true;
    }

    /// <summary>
    /// Queues a frame without writing it: the caller queues more, or holds a lock the write should not happen under, and
    /// then calls <see cref="Flush"/>. False (and the link aborted) when the queue is full or the link closed.
    /// </summary>
    public bool TryEnqueueHeld(Frame frame) => Enqueue(frame, hold: true, out _);

    /// <summary>
    /// Sees written what <see cref="TryEnqueueHeld"/> queued: by the burst under way, or by a new one on the thread pool.
    /// </summary>
    public void Flush()
    {
        lock (_queueGate)
        {
            if (_writing || _queue.Count == 0 || _aborted)
            {
                return;
            }

            _writing = true;
        }

        StartWriting();
    }

    /// <summary>
    /// Acknowledges the peer's stanza <paramref name="sequence"/> (and, ACKs being cumulative, every earlier one). Nothing
    /// is written here: the reader sends what its receive recorded once it has handled every frame of it
    /// (<see cref="RunAsync"/>), and to a peer with <see cref="UseDelayedAcks"/> the ACK waits for a frame to travel with,
    /// for <see cref="AckDelay"/>, or for enough stanzas. To a peer with <see cref="CoalesceAcks"/> no frame is built per
    /// stanza: the number is recorded and at most one marker waits in the queue. Called by the link's reader, in sequence order.
    /// </summary>
    public void QueueAck(long sequence)
    {
        switch (_ackMode)
        {
            case AckMode.PerStanza:
                // Recorded too: should the peer's SYNC_BEGIN switch the mode while these wait, the newest number stands for them.
                Interlocked.Exchange(ref _ackSequence, sequence);
                TryEnqueueHeld(PayloadWriter.Ack(sequence));
                return;
            case AckMode.Cumulative:
                Interlocked.Exchange(ref _ackSequence, sequence);
                QueueAckMarker(hold: true);
                return;
            default:
                Interlocked.Exchange(ref _ackSequence, sequence);
                if (sequence - Interlocked.Read(ref _ackSent) >= Volatile.Read(ref _ackEvery))
                {
                    QueueAckMarker(hold: true);
                }
                else if (Interlocked.Exchange(ref _ackTimerArmed, 1) == 0)
                {
                    ArmAckTimer();
                }

                return;
        }
    }

    /// <summary>Runs the reader until either side closes, then waits for a write under way; never throws.</summary>
    public async Task RunAsync(Func<NodeLink, Frame, ValueTask> onFrame)
    {
        var buffer = new byte[ReadBytes];
        var start = 0;
        var end = 0;
        var needed = 0;
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                // Every complete frame of what arrived is handled before the next read: no asynchronous read per frame.
                while (FrameCodec.TryRead(buffer.AsSpan(start, end - start), out var frame, out var consumed, out needed))
                {
                    start += consumed;
                    Interlocked.Exchange(ref _lastReceived, Environment.TickCount64);
                    var handled = onFrame(this, frame);
                    if (handled.IsCompletedSuccessfully)
                    {
                        handled.GetAwaiter().GetResult();
                    }
                    else
                    {
                        await handled.ConfigureAwait(false);
                    }
                }

                // Caught up with the peer: the ACKs (and any frame held) of this receive go out, once for all of its frames.
                Flush();
                (buffer, start, end) = MakeRoom(buffer, start, end, needed);
                var read = await _input.ReadAsync(buffer.AsMemory(end), _closed.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    if (end > start)
                    {
                        throw new InvalidDataException("The link ended inside a frame");
                    }

                    break;
                }

                end += read;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
        {
            // The peer went away or spoke nonsense: either way the link is over, and the owner reconnects.
        }
        finally
        {
            Abort();
            Task write;
            lock (_queueGate)
            {
                write = _asyncWrite;
            }

            await write.ConfigureAwait(false);
        }
    }

    /// <summary>Closes the link at once.</summary>
    public void Abort()
    {
        lock (_queueGate)
        {
            if (_aborted)
            {
                return;
            }

            _aborted = true;
            _queue.Clear();
        }

        // Outside the lock: cancelling runs the pending read's and write's callbacks.
        _closed.Cancel();
        _ackTimer.Dispose();
        _socket.Dispose();
    }

    /// <summary>
    /// Moves an incomplete frame to the start of the buffer, into a bigger one when the frame needs more room
    /// (<paramref name="needed"/> bytes from <paramref name="start"/>), back into a normal one after a big frame.
    /// </summary>
    private static (byte[] Buffer, int Start, int End) MakeRoom(byte[] buffer, int start, int end, int needed)
    {
        var pending = end - start;
        if (needed > buffer.Length)
        {
            var bigger = new byte[needed];
            buffer.AsSpan(start, pending).CopyTo(bigger);
            return (bigger, 0, pending);
        }

        if (buffer.Length > ReadBytes && pending <= ReadBytes && needed <= ReadBytes)
        {
            var normal = new byte[ReadBytes];
            buffer.AsSpan(start, pending).CopyTo(normal);
            return (normal, 0, pending);
        }

        if (start > 0 && (end == buffer.Length || start + Math.Max(needed, FrameCodec.HeaderBytes + 1) > buffer.Length || pending == 0))
        {
            buffer.AsSpan(start, pending).CopyTo(buffer);
            return (buffer, 0, pending);
        }

        return (buffer, start, end);
    }

    private bool Enqueue(Frame frame, bool hold, out bool write)
    {
        write = false;
        lock (_queueGate)
        {
            if (_aborted)
            {
                return false;
            }

            if (_queue.Count < _capacity)
            {
                _queue.Enqueue(frame);
                if (!hold && !_writing)
                {
                    _writing = write = true;
                }

                return true;
            }
        }

        Abort();
        return false;
    }

    private void QueueAckMarker(bool hold)
    {
        if (Interlocked.Exchange(ref _ackQueued, 1) == 0)
        {
            if (hold)
            {
                TryEnqueueHeld(AckMarker);
            }
            else
            {
                TryEnqueue(AckMarker);
            }
        }
    }

    private void ArmAckTimer()
    {
        try
        {
            _ackTimer.Change(AckDelay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The link closed meanwhile: its peer gets the ACKs again on the next link.
        }
    }

    private void OnAckTimer()
    {
        // Cleared before the numbers are read: an ACK recorded after this read arms the timer again.
        Interlocked.Exchange(ref _ackTimerArmed, 0);
        if (Interlocked.Read(ref _ackSequence) > Interlocked.Read(ref _ackSent))
        {
            QueueAckMarker(hold: false);
        }
    }

    /// <summary>
    /// The caller took the writer role: the write goes to the thread pool's global queue, behind the work already
    /// waiting, so that the stanzas this thread and that work route meanwhile join the burst.
    /// </summary>
    private void StartWriting()
    {
        if (!WaitForInterval())
        {
            ThreadPool.UnsafeQueueUserWorkItem(_deferredWrite, preferLocal: false);
        }
    }

    /// <summary>
    /// For the writer: true when less than <see cref="WriteInterval"/> has passed since the previous write started, and
    /// the pacer will run the writer at its end. The writer role stays taken meanwhile, so frames queued in between join
    /// that burst instead of starting one of their own.
    /// </summary>
    private bool WaitForInterval()
    {
        if (Pacer is not { } pacer)
        {
            return false;
        }

        var due = Volatile.Read(ref _lastWriteStarted) + (long)(pacer.Interval.TotalSeconds * Stopwatch.Frequency);
        if (Stopwatch.GetTimestamp() >= due)
        {
            return false;
        }

        pacer.Schedule(this, due);
        return true;
    }

    /// <summary>
    /// The writer, a thread-pool work item or the <see cref="Pacer"/>'s thread: writes the queue out burst by burst while
    /// the writes complete at once (the kernel took every byte) and the pacing allows; the first that does not complete
    /// is finished asynchronously, which then goes on.
    /// </summary>
    internal void WriteQueued()
    {
        try
        {
            while (TakeBurst())
            {
                Volatile.Write(ref _lastWriteStarted, Stopwatch.GetTimestamp());
                var write = _output.WriteAsync(_batch.WrittenMemory, _closed.Token);
                if (!write.IsCompletedSuccessfully)
                {
                    lock (_queueGate)
                    {
                        _asyncWrite = FinishAsync(write);
                    }

                    return;
                }

                write.GetAwaiter().GetResult();
                EndBurst();
                if (PaceNextBurst())
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or NotSupportedException)
        {
            Abort();
        }
    }

    private async Task FinishAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
            EndBurst();
            while (!PaceNextBurst() && TakeBurst())
            {
                Volatile.Write(ref _lastWriteStarted, Stopwatch.GetTimestamp());
                await _output.WriteAsync(_batch.WrittenMemory, _closed.Token).ConfigureAwait(false);
                EndBurst();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or NotSupportedException)
        {
            Abort();
        }
    }

    /// <summary>
    /// After a burst: true when the writer stops here, because nothing more is queued (the role is given up) or because
    /// the next burst waits for <see cref="WriteInterval"/> (the timer continues it); false to write the next at once.
    /// </summary>
    private bool PaceNextBurst()
    {
        if (Pacer is null || _draining.Count > 0)
        {
            return false; // no pacing, or the rest of a burst larger than one write: written at once
        }

        lock (_queueGate)
        {
            if (_queue.Count == 0 && !_aborted)
            {
                _writing = false;
                return true;
            }
        }

        return WaitForInterval();
    }

    /// <summary>
    /// Takes what is queued, up to about <see cref="BatchBytes"/> of it, and encodes it into the batch, with the newest
    /// recorded ACK at its end (an ACK travels with any frame); false, and the writer role given up, when there is
    /// nothing to write.
    /// </summary>
    private bool TakeBurst()
    {
        lock (_queueGate)
        {
            if (_aborted)
            {
                return false; // the writer role is kept: nothing is written to a closed link
            }

            if (_draining.Count == 0)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return false;
                }

                (_queue, _draining) = (_draining, _queue);
            }
        }

        // At most about BatchBytes per write, the rest of the burst in the next: a backlog of megabytes (a peer that
        // fell behind) encoded in one buffer grew it on the large object heap each time, and those buffers, dropped
        // after the write, made the sending node run a gen2 collection several times a second.
        var cumulative = _ackMode != AckMode.PerStanza;
        var ack = false;
        while (_batch.WrittenCount < BatchBytes && _draining.TryDequeue(out var frame))
        {
            if (frame.Type == FrameType.Ack && frame.Payload.IsEmpty)
            {
                // The marker of QueueAck: the newest number goes at the end of the burst. Cleared before the number is
                // read, so a number recorded after this read queues a new marker.
                Interlocked.Exchange(ref _ackQueued, 0);
                ack = true;
                continue;
            }

            if (frame.Type == FrameType.Ack && cumulative)
            {
                ack = true;
                continue;
            }

            FrameCodec.Write(_batch, frame);
        }

        if (cumulative)
        {
            var sequence = Interlocked.Read(ref _ackSequence);
            if (sequence > Interlocked.Read(ref _ackSent) || (ack && sequence > 0))
            {
                FrameCodec.Write(_batch, PayloadWriter.Ack(sequence));
                Interlocked.Exchange(ref _ackSent, sequence);
            }
        }

        return true;
    }

    private void EndBurst()
    {
        if (_batch.Capacity > 4 * BatchBytes)
        {
            // A big frame went out: its buffer is not kept for the rest of the link's life.
            _batch = new ArrayBufferWriter<byte>(BatchBytes);
        }
        else
        {
            _batch.ResetWrittenCount();
        }
    }

    /// <summary>A link's writer as a thread-pool work item (one per link, reused).</summary>
    private sealed class DeferredWrite(NodeLink link) : IThreadPoolWorkItem
    {
        public void Execute() => link.WriteQueued();
    }
}
