using System.Buffers;
using System.Text;

namespace Rookery.Protocol.Xml;

/// <summary>A growable UTF-16 scratch buffer on <see cref="ArrayPool{T}"/>; pending text of an element lives here between reads.</summary>
internal sealed class CharBuffer
{
    // Above this size the buffer goes back to the pool once emptied: one huge stanza must not pin memory for the connection's life.
    private const int RetainLimit = 16 * 1024;

    private char[] _buffer = [];

    public int Length { get; private set; }

    public ReadOnlySpan<char> WrittenSpan => _buffer.AsSpan(0, Length);

    /// <summary>Returns writable space for at least <paramref name="sizeHint"/> chars; commit with <see cref="Advance"/>.</summary>
    public Span<char> GetSpan(int sizeHint)
    {
        if (_buffer.Length - Length < sizeHint)
        {
            Grow(sizeHint);
        }

        return _buffer.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    public void Append(char c)
    {
        if (Length == _buffer.Length)
        {
            Grow(1);
        }

        _buffer[Length++] = c;
    }

    public void Append(Rune rune)
    {
        var written = rune.EncodeToUtf16(GetSpan(2));
        Length += written;
    }

    public override string ToString() => new(_buffer, 0, Length);

    /// <summary>Empties the buffer, returning a large array to the pool.</summary>
    public void Clear()
    {
        Length = 0;
        if (_buffer.Length > RetainLimit)
        {
            Release();
        }
    }

    /// <summary>Empties the buffer and returns its array to the pool.</summary>
    public void Release()
    {
        Length = 0;
        var old = _buffer;
        _buffer = [];
        if (old.Length > 0)
        {
            ArrayPool<char>.Shared.Return(old);
        }
    }

    private void Grow(int sizeHint)
    {
        var size = Math.Max(Length + sizeHint, Math.Max(256, _buffer.Length * 2));
        var next = ArrayPool<char>.Shared.Rent(size);
        _buffer.AsSpan(0, Length).CopyTo(next);
        var old = _buffer;
        _buffer = next;
        if (old.Length > 0)
        {
            ArrayPool<char>.Shared.Return(old);
        }
    }
}
