using System.Buffers;
using System.IO.Pipelines;

namespace Rookery.Server.Web;

/// <summary>
/// The output pipe of a message-framed transport: the stream's writer serialises into it as into a socket's pipe, the
/// framing marks where each top-level element ends, and a flush hands each complete message to the transport whole
/// (RFC 7395 §3.3.3: one element per WebSocket message, never several, never one split).
/// </summary>
internal sealed class MessagePipeWriter(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask<bool>> send) : PipeWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly List<int> _ends = [];
    private bool _closed;

    /// <summary>Marks the bytes written so far as the end of one message.</summary>
    public void EndMessage()
    {
        if (_ends.Count == 0 || _ends[^1] != _buffer.WrittenCount)
        {
            _ends.Add(_buffer.WrittenCount);
        }
    }

    /// <inheritdoc />
    public override void Advance(int bytes) => _buffer.Advance(bytes);

    /// <inheritdoc />
    public override Memory<byte> GetMemory(int sizeHint = 0) => _buffer.GetMemory(sizeHint);

    /// <inheritdoc />
    public override Span<byte> GetSpan(int sizeHint = 0) => _buffer.GetSpan(sizeHint);

    /// <inheritdoc />
    public override void CancelPendingFlush()
    {
        // A flush is one send per message; nothing waits on a pause threshold that could be cancelled.
    }

    /// <inheritdoc />
    public override void Complete(Exception? exception = null) => _closed = true;

    /// <inheritdoc />
    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var start = 0;
        try
        {
            foreach (var end in _ends)
            {
                if (!_closed && !await send(_buffer.WrittenMemory[start..end], cancellationToken).ConfigureAwait(false))
                {
                    _closed = true;
                }

                start = end;
            }
        }
        finally
        {
            // Bytes after the last marked end belong to an element still being written: keep them for the next flush.
            var rest = _buffer.WrittenSpan[start..].ToArray();
            _buffer.Clear();
            _buffer.Write(rest);
            _ends.Clear();
        }

        return new FlushResult(isCanceled: false, isCompleted: _closed);
    }
}
