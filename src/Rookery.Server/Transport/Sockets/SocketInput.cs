using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;

namespace Rookery.Server.Transport.Sockets;

/// <summary>
/// The receiving side of a <see cref="LeanSocketConnection"/>: a <see cref="PipeReader"/> that reads the socket itself
/// when its reader asks, instead of a receive loop filling a <see cref="Pipe"/>. While nothing is buffered it waits with
/// a zero-byte receive and holds no buffer; a pooled buffer is rented only once data is there and goes back to the pool
/// as soon as the reader has consumed everything (issue #6: most client connections are idle).
/// </summary>
internal sealed class SocketInput(Socket socket, LeanSocketConnection connection) : PipeReader
{
    private const int MinimumBufferSize = 4096;

    private byte[]? _buffer; // rented; null while nothing is buffered
    private int _start; // first unconsumed byte
    private int _end; // end of the received bytes
    private int _examined; // the reader has seen everything up to here: the next read waits for more
    private bool _eof;
    private bool _completed;

    // CancelPendingRead (Kestrel's HTTP code uses it, for instance to end an idle keep-alive connection on shutdown; a
    // stream reads with its own token instead): the next or the pending read returns a canceled result. A read without
    // a cancellable token of its own waits on this source, created only when such a read happens.
    private volatile bool _cancelRequested;
    private CancellationTokenSource? _cancelSource;

    /// <inheritdoc />
    public override bool TryRead(out ReadResult result)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_end > _examined || _eof)
        {
            result = Current();
            return true;
        }

        result = default;
        return false;
    }

    /// <inheritdoc />
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_cancelRequested)
        {
            return new ValueTask<ReadResult>(Canceled());
        }

        if (_end > _examined || _eof)
        {
            return new ValueTask<ReadResult>(Current());
        }

        if (!cancellationToken.CanBeCanceled)
        {
            cancellationToken = (_cancelSource ??= new CancellationTokenSource()).Token;
            if (_cancelRequested)
            {
                // Asked between the check above and the source's creation: Cancel found no source to cancel.
                return new ValueTask<ReadResult>(Canceled());
            }
        }

        return ReceiveAsync(cancellationToken);
    }

    // Pooled: a read that waits for the socket (most do at moderate rates, one per message or two) would otherwise
    // allocate its state machine box, 176 bytes, 19 % of what the server allocated per routed message at 8,000 msg/s
    // (issue #6; SocketInputAllocationTests). The reader awaits each ValueTask once, as the PipeReader contract requires.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_buffer is null)
            {
                // Wait for data without a buffer: an idle connection holds none (the transport's wait-for-data mode).
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            var space = SpaceToReceive();
            var received = await socket.ReceiveAsync(space, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                _eof = true;
            }
            else
            {
                _end += received;
            }
        }
        catch (OperationCanceledException) when (_cancelRequested)
        {
            return Canceled();
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset)
        {
            throw new ConnectionResetException(e.Message, e);
        }
        catch (Exception e) when (connection.IsAborted && e is SocketException or ObjectDisposedException)
        {
            // Aborted by Kestrel or by the stream itself: the input simply ends, as with Kestrel's socket transport.
            _eof = true;
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }

        return Current();
    }

    /// <summary>Room after the received bytes: compacts, rents or grows the buffer when the reader has examined it all.</summary>
    private Memory<byte> SpaceToReceive()
    {
        if (_buffer is null)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(MinimumBufferSize);
            _start = _end = _examined = 0;
        }
        else if (_buffer.Length - _end < MinimumBufferSize / 8)
        {
            var length = _end - _start;
            if (_start > 0 && length <= _buffer.Length / 2)
            {
                _buffer.AsSpan(_start, length).CopyTo(_buffer);
            }
            else
            {
                // The unconsumed bytes fill the buffer (a stanza larger than it): the parser's MaxStanzaBytes bounds this.
                var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                _buffer.AsSpan(_start, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            _examined -= _start;
            _end = length;
            _start = 0;
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>The result of a read that <see cref="CancelPendingRead"/> ended; the request is used up.</summary>
    private ReadResult Canceled()
    {
        _cancelRequested = false;
        if (_cancelSource is { } source && !source.TryReset())
        {
            // A canceled source cannot be reset: the next read that needs one makes a new one.
            source.Dispose();
            _cancelSource = null;
        }

        var current = Current();
        return new ReadResult(current.Buffer, isCanceled: true, isCompleted: current.IsCompleted);
    }

    private ReadResult Current() => new(
        _buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, _start, _end - _start),
        isCanceled: false,
        isCompleted: _eof);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_buffer is null)
        {
            return;
        }

        // Positions of a single-array sequence carry the array and the index in it.
        if (!ReferenceEquals(consumed.GetObject(), _buffer) || !ReferenceEquals(examined.GetObject(), _buffer))
        {
            throw new InvalidOperationException("The position does not belong to the last buffer read");
        }

        var consumedIndex = consumed.GetInteger();
        var examinedIndex = examined.GetInteger();
        if (consumedIndex < _start || consumedIndex > _end || examinedIndex < consumedIndex || examinedIndex > _end)
        {
            throw new InvalidOperationException("The position is outside the last buffer read");
        }

        _start = consumedIndex;
        _examined = Math.Max(_examined, examinedIndex);
        if (_start == _end)
        {
            ReturnBuffer();
        }
    }

    /// <summary>
    /// Makes the pending read (or, when none is pending, the next one) return a canceled result. A pending read that
    /// waits with its caller's own token is not interrupted: Rookery's streams end their reads through that token.
    /// </summary>
    public override void CancelPendingRead()
    {
        _cancelRequested = true;
        try
        {
            _cancelSource?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The read that owned it finished meanwhile; the flag alone cancels the next one.
        }
    }

    /// <inheritdoc />
    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _cancelSource?.Dispose();
        ReturnBuffer();
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            _start = _end = _examined = 0;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
