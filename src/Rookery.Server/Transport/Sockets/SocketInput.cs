using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
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
        if (_end > _examined || _eof)
        {
            return new ValueTask<ReadResult>(Current());
        }

        return ReceiveAsync(cancellationToken);
    }

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

    /// <summary>Not supported: nothing in Rookery cancels a pending read; a stream ends its reads through its token.</summary>
    public override void CancelPendingRead() =>
        throw new NotSupportedException("CancelPendingRead is not supported by the lean socket transport: pass a cancellation token to ReadAsync");

    /// <inheritdoc />
    public override void Complete(Exception? exception = null)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
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
