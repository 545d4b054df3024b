namespace Rookery.Bench.Net;

/// <summary>
/// Splits an XMPP byte stream into its top-level elements without building anything: it only tracks tag depth
/// (quote-aware, skipping the XML declaration, comments and CDATA), so a complete stanza is found with a handful of
/// vectorised searches and handed on as a span. It does not validate: the server under test is trusted to send
/// well-formed XML, and the few fields the bench reads are picked out by <see cref="XmlSpan"/>.
/// </summary>
internal struct XmlFramer
{
    private int _depth; // 0: before the stream header; 1: inside the stream, between stanzas

    /// <summary>Forgets the stream (after STARTTLS or SASL success the server sends a new header).</summary>
    public void Reset() => _depth = 0;

    /// <summary>
    /// Looks for the next complete construct at the start of <paramref name="buffer"/>. <paramref name="consumed"/> is
    /// how many bytes may be dropped (whitespace, declarations and the returned construct); a partial element is kept.
    /// </summary>
    public FrameKind TryRead(ReadOnlySpan<byte> buffer, out int start, out int length, out int consumed)
    {
        var depth = _depth;
        var i = 0;
        var elementStart = -1;
        start = 0;
        length = 0;
        while (true)
        {
            var lt = buffer[i..].IndexOf((byte)'<');
            if (lt < 0)
            {
                // Only whitespace (keep-alives) can lie between stanzas: drop it unless an element is under way.
                consumed = elementStart >= 0 ? elementStart : buffer.Length;
                return FrameKind.None;
            }

            var p = i + lt;
            if (p + 1 >= buffer.Length)
            {
                consumed = elementStart >= 0 ? elementStart : p;
                return FrameKind.None;
            }

            var c = buffer[p + 1];
            if (c is (byte)'?' or (byte)'!')
            {
                var end = SkipMarkup(buffer, p);
                if (end < 0)
                {
                    consumed = elementStart >= 0 ? elementStart : p;
                    return FrameKind.None;
                }

                i = end;
                continue;
            }

            if (c == (byte)'/')
            {
                var gt = buffer[p..].IndexOf((byte)'>');
                if (gt < 0)
                {
                    consumed = elementStart >= 0 ? elementStart : p;
                    return FrameKind.None;
                }

                i = p + gt + 1;
                depth--;
                if (depth <= 0)
                {
                    _depth = 0;
                    start = p;
                    length = i - p;
                    consumed = i;
                    return FrameKind.StreamClose;
                }

                if (depth == 1 && elementStart >= 0)
                {
                    _depth = 1;
                    start = elementStart;
                    length = i - elementStart;
                    consumed = i;
                    return FrameKind.Element;
                }

                continue;
            }

            var tagEnd = XmlSpan.FindTagEnd(buffer, p + 1);
            if (tagEnd < 0)
            {
                consumed = elementStart >= 0 ? elementStart : p;
                return FrameKind.None;
            }

            var selfClosing = buffer[tagEnd - 1] == (byte)'/';
            i = tagEnd + 1;
            if (depth == 0)
            {
                start = p;
                length = i - p;
                consumed = i;
                if (selfClosing)
                {
                    // An element before any header (a server answering garbage): hand it on as it is.
                    return FrameKind.Element;
                }

                _depth = 1;
                return FrameKind.StreamOpen;
            }

            if (depth == 1)
            {
                elementStart = p;
                if (selfClosing)
                {
                    start = p;
                    length = i - p;
                    consumed = i;
                    return FrameKind.Element;
                }
            }

            if (!selfClosing)
            {
                depth++;
            }
        }
    }

    /// <summary>Skips <c>&lt;?...?&gt;</c>, <c>&lt;!--...--&gt;</c> and <c>&lt;![CDATA[...]]&gt;</c>; -1 when incomplete.</summary>
    private static int SkipMarkup(ReadOnlySpan<byte> buffer, int p)
    {
        var rest = buffer[p..];
        ReadOnlySpan<byte> terminator;
        if (rest[1] == (byte)'?')
        {
            terminator = "?>"u8;
        }
        else if (rest.Length < 4)
        {
            return -1;
        }
        else if (rest.StartsWith("<!--"u8))
        {
            terminator = "-->"u8;
        }
        else if (rest.Length < 9)
        {
            return -1;
        }
        else if (rest.StartsWith("<![CDATA["u8))
        {
            terminator = "]]>"u8;
        }
        else
        {
            terminator = ">"u8;
        }

        var end = rest[2..].IndexOf(terminator);
        return end < 0 ? -1 : p + 2 + end + terminator.Length;
    }
}
