using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Rookery.Server.Transport.Sockets;

/// <summary>
/// The sending side of a <see cref="LeanSocketConnection"/>: a <see cref="PipeWriter"/> whose <see cref="FlushAsync"/>
/// sends the written bytes straight to the socket, instead of a second <see cref="Pipe"/> and a send loop. Buffers are
/// rented when the stream writes and returned once they are sent, so an idle connection holds none. A flush completes
/// when the kernel took every byte, which is the backpressure the stream's single writer loop waits on; once the peer
/// is gone a flush reports completion (<see cref="FlushResult.IsCompleted"/>), as Kestrel's pipe does.
/// </summary>
internal sealed class SocketOutput(Socket socket, LeanSocketConnection connection) : PipeWriter
{
    private const int MinimumBufferSize = 4096;

    private byte[]? _buffer; // the chunk being written; null while nothing is buffered
    private int _written; // bytes written into _buffer
    private List<ArraySegment<byte>>? _full; // earlier chunks of this burst, in order, not yet sent
    private long _unflushed;
    private bool _peerGone; // a send failed because the peer went away: later flushes drop their bytes
    private int _state; // Idle, Flushing, Completed

    private const int Idle = 0;
    private const int Flushing = 1;
    private const int Completed = 2;

    /// <inheritdoc />
    public override bool CanGetUnflushedBytes => true;

    /// <inheritdoc />
    public override long UnflushedBytes => _unflushed;

    /// <inheritdoc />
    public override void Advance(int bytes)
    {
        if (_buffer is null || bytes < 0 || _written + bytes > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "More bytes advanced than the memory handed out");
        }

        _written += bytes;
        _unflushed += bytes;
    }

    /// <inheritdoc />
    public override Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(_written);

    /// <inheritdoc />
    public override Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(_written);

    private byte[] Ensure(int sizeHint)
    {
        if (Volatile.Read(ref _state) == Completed)
        {
            throw new InvalidOperationException("Writing is not allowed after the writer was completed");
        }

        var needed = Math.Max(sizeHint, 1);
        if (_buffer is { } current && current.Length - _written >= needed)
        {
            return current;
        }

        if (_buffer is not null)
        {
            if (_written > 0)
            {
                (_full ??= []).Add(new ArraySegment<byte>(_buffer, 0, _written));
            }
            else
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }
        }

        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(needed, MinimumBufferSize));
        _written = 0;
        return _buffer;
    }

    /// <inheritdoc />
    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, Flushing, Idle) != Idle)
        {
            return _state == Completed
                ? new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true))
                : throw new InvalidOperationException("A flush is already in progress");
        }

        if (_full is null && _written == 0)
        {
            EndFlush();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: _peerGone));
        }

        return SendAsync(cancellationToken);
    }

    private async ValueTask<FlushResult> SendAsync(CancellationToken cancellationToken)
    {
        if (_peerGone)
        {
            ReturnBuffers();
            EndFlush();
            return new FlushResult(isCanceled: false, isCompleted: true);
        }

        try
        {
            if (_full is { } full)
            {
                foreach (var chunk in full)
                {
                    await SendAllAsync(chunk.AsMemory(), cancellationToken).ConfigureAwait(false);
                }
            }

            if (_written > 0)
            {
                await SendAllAsync(_buffer.AsMemory(0, _written), cancellationToken).ConfigureAwait(false);
            }

            return new FlushResult(isCanceled: false, isCompleted: false);
        }
        catch (Exception e) when (e is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted }
            || (connection.IsAborted && e is SocketException or ObjectDisposedException))
        {
            // The peer is gone (reset, broken pipe) or the connection was aborted: as with a pipe whose reader completed,
            // this and every later flush report completion and drop their bytes instead of failing the stream's teardown.
            _peerGone = true;
            return new FlushResult(isCanceled: false, isCompleted: true);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
        finally
        {
            ReturnBuffers();
            EndFlush();
        }
    }

    /// <summary>
    /// Sends with a non-blocking send first and waits asynchronously only for what the kernel did not take: an
    /// asynchronous send makes the socket keep a send event args object (≈ 360 B with its callback) for the rest of the
    /// connection's life, which most connections, whose socket buffer always has room, never need (issue #6).
    /// </summary>
    private ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var sent = socket.Send(data.Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                // The socket buffer is full (a slow reader): the rest waits for room, which is the writer's backpressure.
                return WaitAndSendAsync(data, cancellationToken);
            }

            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            data = data[sent..];
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask WaitAndSendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        await socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false);

    /// <summary>Back to idle, or releases what a completion during the flush could not release.</summary>
    private void EndFlush()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Flushing) == Completed)
        {
            ReturnBuffers();
        }
    }

    /// <summary>Not supported: nothing in Rookery cancels a flush; a stream ends its writes by closing the connection.</summary>
    public override void CancelPendingFlush() =>
        throw new NotSupportedException("CancelPendingFlush is not supported by the lean socket transport: pass a cancellation token to FlushAsync");

    /// <inheritdoc />
    public override void Complete(Exception? exception = null)
    {
        // Bytes written but not flushed are dropped, as a completed pipe's reader never sees them either.
        if (Interlocked.Exchange(ref _state, Completed) == Idle)
        {
            ReturnBuffers();
        }
    }

    private void ReturnBuffers()
    {
        if (_full is { } full)
        {
            _full = null;
            foreach (var chunk in full)
            {
                ArrayPool<byte>.Shared.Return(chunk.Array!);
            }
        }

        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _written = 0;
        _unflushed = 0;
    }
}
