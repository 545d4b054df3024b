using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Rookery.Cluster.Links;

/// <summary>Builds a frame payload: big-endian integers, length-prefixed UTF-8 strings and byte strings.</summary>
internal sealed class PayloadWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64);

    public PayloadWriter Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public PayloadWriter Int64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public PayloadWriter Bool(bool value)
    {
        _buffer.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        _buffer.Advance(1);
        return this;
    }

    public PayloadWriter Bytes(ReadOnlySpan<byte> value)
    {
        Int32(value.Length);
        _buffer.Write(value);
        return this;
    }

    public PayloadWriter String(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        Int32(count);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(count));
        _buffer.Advance(count);
        return this;
    }

    public Frame ToFrame(FrameType type) => new(type, _buffer.WrittenMemory.ToArray());

    /// <summary>
    /// The payload of a per-stanza frame (STANZA, MUC_STANZA, COMPONENT_STANZA): a sequence number, left zero for
    /// <see cref="SetSequence"/> to fill in under the sender's lock, then length-prefixed UTF-8 strings, in one array of
    /// exactly the right size (no growing buffer and final copy per forwarded stanza).
    /// </summary>
    public static byte[] Sequenced(params ReadOnlySpan<string> strings)
    {
        var length = 8;
        foreach (var value in strings)
        {
            length += 4 + Encoding.UTF8.GetByteCount(value);
        }

        var payload = new byte[length];
        var position = 8;
        foreach (var value in strings)
        {
            var count = Encoding.UTF8.GetBytes(value, payload.AsSpan(position + 4));
            BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(position), count);
            position += 4 + count;
        }

        return payload;
    }

    /// <summary>Writes the sequence number into a payload built by <see cref="Sequenced"/>.</summary>
    public static void SetSequence(byte[] payload, long sequence) => BinaryPrimitives.WriteInt64BigEndian(payload, sequence);

    /// <summary>An ACK frame: the 8-byte sequence number and nothing else.</summary>
    public static Frame Ack(long sequence)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, sequence);
        return new Frame(FrameType.Ack, payload);
    }
}
