using System.Buffers.Binary;

namespace Rookery.Cluster.Links;

/// <summary>
/// Reads and writes link frames: a big-endian <c>u32</c> length (of the type byte and the payload), the type byte, the
/// payload. A length of zero, above <see cref="MaxFrameBytes"/>, or an unknown type is a protocol error that ends the link.
/// </summary>
internal static class FrameCodec
{
    /// <summary>The largest frame accepted (type and payload): far above the largest stanza a client may send.</summary>
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>The bytes of the length prefix.</summary>
    public const int HeaderBytes = 4;

    /// <summary>Writes a frame to <paramref name="stream"/> (not flushed: the writer flushes once per burst).</summary>
    public static ValueTask WriteAsync(Stream stream, Frame frame, CancellationToken ct) =>
        WriteAsync(stream, frame, new byte[HeaderBytes + 1], ct);

    /// <summary>
    /// Writes a frame using <paramref name="header"/> (<see cref="HeaderBytes"/> + 1 bytes, owned by the one writer of the
    /// stream) for the length and type, so that a link's writer loop allocates nothing per frame.
    /// </summary>
    public static async ValueTask WriteAsync(Stream stream, Frame frame, byte[] header, CancellationToken ct)
    {
        BinaryPrimitives.WriteUInt32BigEndian(header, checked((uint)(frame.Payload.Length + 1)));
        header[HeaderBytes] = (byte)frame.Type;
        await stream.WriteAsync(header, ct).ConfigureAwait(false);
        if (!frame.Payload.IsEmpty)
        {
            await stream.WriteAsync(frame.Payload, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Appends a frame (header and payload) to <paramref name="output"/>: a link's writer gathers a burst in one buffer.</summary>
    public static void Write(System.Buffers.IBufferWriter<byte> output, Frame frame)
    {
        var span = output.GetSpan(HeaderBytes + 1 + frame.Payload.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span, checked((uint)(frame.Payload.Length + 1)));
        span[HeaderBytes] = (byte)frame.Type;
        frame.Payload.Span.CopyTo(span[(HeaderBytes + 1)..]);
        output.Advance(HeaderBytes + 1 + frame.Payload.Length);
    }

    /// <summary>The frame as bytes (for tests and the handshake proof).</summary>
    public static byte[] Encode(Frame frame)
    {
        var bytes = new byte[HeaderBytes + 1 + frame.Payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, checked((uint)(frame.Payload.Length + 1)));
        bytes[HeaderBytes] = (byte)frame.Type;
        frame.Payload.Span.CopyTo(bytes.AsSpan(HeaderBytes + 1));
        return bytes;
    }

    /// <summary>
    /// Takes the first frame out of received bytes: true with the frame (its payload copied) and the bytes it used; false
    /// when <paramref name="data"/> holds only part of it, with <paramref name="needed"/> the bytes the whole frame takes
    /// (or the header's, while not even the header is there). A link's reader parses every complete frame of one receive
    /// this way, without an asynchronous read per frame.
    /// </summary>
    /// <exception cref="InvalidDataException">A bad length or an unknown type.</exception>
    public static bool TryRead(ReadOnlySpan<byte> data, out Frame frame, out int consumed, out int needed)
    {
        frame = default;
        consumed = 0;
        if (data.Length < HeaderBytes + 1)
        {
            needed = HeaderBytes + 1;
            return false;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (length is 0 or > MaxFrameBytes)
        {
            throw new InvalidDataException($"Frame length {length} is out of range (1-{MaxFrameBytes})");
        }

        var type = (FrameType)data[HeaderBytes];
        if (!Enum.IsDefined(type))
        {
            throw new InvalidDataException($"Unknown frame type {data[HeaderBytes]}");
        }

        needed = HeaderBytes + (int)length;
        if (data.Length < needed)
        {
            return false;
        }

        frame = new Frame(type, length == 1 ? ReadOnlyMemory<byte>.Empty : data.Slice(HeaderBytes + 1, (int)length - 1).ToArray());
        consumed = needed;
        return true;
    }

    /// <summary>Reads the next frame; null when the stream ended cleanly between frames.</summary>
    /// <exception cref="InvalidDataException">A bad length, an unknown type, or the stream ended inside a frame.</exception>
    public static ValueTask<Frame?> ReadAsync(Stream stream, CancellationToken ct) =>
        ReadAsync(stream, new byte[HeaderBytes + 1], ct);

    /// <summary>Reads the next frame using <paramref name="header"/> (owned by the one reader of the stream) for its header.</summary>
    /// <exception cref="InvalidDataException">A bad length, an unknown type, or the stream ended inside a frame.</exception>
    public static async ValueTask<Frame?> ReadAsync(Stream stream, byte[] header, CancellationToken ct)
    {
        var read = await ReadFullyAsync(stream, header, ct).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < header.Length)
        {
            throw new InvalidDataException("The link ended inside a frame header");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length is 0 or > MaxFrameBytes)
        {
            throw new InvalidDataException($"Frame length {length} is out of range (1-{MaxFrameBytes})");
        }

        var type = (FrameType)header[HeaderBytes];
        if (!Enum.IsDefined(type))
        {
            throw new InvalidDataException($"Unknown frame type {header[HeaderBytes]}");
        }

        var payload = length == 1 ? [] : new byte[length - 1];
        if (payload.Length > 0 && await ReadFullyAsync(stream, payload, ct).ConfigureAwait(false) < payload.Length)
        {
            throw new InvalidDataException("The link ended inside a frame");
        }

        return new Frame(type, payload);
    }

    private static async ValueTask<int> ReadFullyAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
