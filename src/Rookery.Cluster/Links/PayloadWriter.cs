using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Rookery.Protocol.Xml;

namespace Rookery.Cluster.Links;

/// <summary>Builds a frame payload: big-endian integers, length-prefixed UTF-8 strings and byte strings.</summary>
internal sealed class PayloadWriter
{
    private const int MaxScratchBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

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

    /// <summary>
    /// The payload of a STANZA frame (sequence left zero, target, stanza XML) with the stanza written as UTF-8 straight
    /// from the tree (its received bytes when it is unchanged, <see cref="ElementWriter"/>) into a per-thread scratch
    /// buffer and copied once into the payload: no XML string, no UTF-16 round trip per forwarded stanza.
    /// <paramref name="xml"/> is where the stanza's bytes are in the payload.
    /// </summary>
    public static byte[] Stanza(ReadOnlySpan<byte> target, Element stanza, out Range xml)
    {
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(1024);
        scratch.ResetWrittenCount();
        ElementWriter.Write(stanza, scratch, Ns.Client);
        var written = scratch.WrittenSpan;
        var payload = new byte[8 + 4 + target.Length + 4 + written.Length];
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(8), target.Length);
        target.CopyTo(payload.AsSpan(12));
        var start = 12 + target.Length + 4;
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(start - 4), written.Length);
        written.CopyTo(payload.AsSpan(start));
        xml = new Range(start, payload.Length);
        if (scratch.Capacity > MaxScratchBytes)
        {
            // One huge stanza must not pin its buffer to the thread for good.
            t_scratch = null;
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
