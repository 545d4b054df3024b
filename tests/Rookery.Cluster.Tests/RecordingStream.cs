using System.Collections.Concurrent;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A stream that passes writes to an inner one and records, for each, the thread it was made on and its size, and
/// whether it completed at once: what a link's writer does, seen from below.
/// </summary>
internal sealed class RecordingStream(Stream inner) : Stream
{
    /// <summary>Every write so far: the managed thread id of the caller, the byte count, and what <see cref="Marker"/> said then.</summary>
    public ConcurrentQueue<(int Thread, int Bytes, bool Marked)> Writes { get; } = new();

    /// <summary>Asked at each write, on the writing thread (e.g. "is this inside the test's own call?").</summary>
    public Func<bool>? Marker { get; set; }

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        Writes.Enqueue((Environment.CurrentManagedThreadId, count, Marker?.Invoke() ?? false));
        inner.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Writes.Enqueue((Environment.CurrentManagedThreadId, buffer.Length, Marker?.Invoke() ?? false));
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
