using System.Buffers.Binary;
using System.Text;

namespace Rookery.Cluster.Links;

/// <summary>Reads what <see cref="PayloadWriter"/> wrote; a payload that ends early is an <see cref="InvalidDataException"/>.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _position;

    /// <summary>True while bytes are left: fields appended by newer peers are read only when present.</summary>
    public readonly bool HasMore => _position < _payload.Length;

    public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool Bool() => Take(1)[0] != 0;

    public byte[] Bytes() => Take(Length()).ToArray();

    public string String() => Encoding.UTF8.GetString(Take(Length()));

    /// <summary>Where the next length-prefixed field's bytes are in the payload, for a caller that needs them as memory.</summary>
    public Range Field()
    {
        var length = Length();
        var start = _position;
        Take(length);
        return new Range(start, start + length);
    }

    private int Length()
    {
        var length = Int32();
        return length < 0 ? throw new InvalidDataException("Negative length in a frame") : length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _payload.Length - _position)
        {
            throw new InvalidDataException("The frame ends early");
        }

        var span = _payload.Slice(_position, count);
        _position += count;
        return span;
    }
}
