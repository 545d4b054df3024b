using System.Buffers;
using Rookery.Protocol.Errors;

namespace Rookery.Protocol.Xml;

/// <summary>
/// Incremental parser for the restricted XML of an XMPP stream (RFC 6120 §11): turns the bytes of one direction of a
/// connection into a stream-open event, one event per complete top-level element, and a stream-close event.
/// </summary>
/// <remarks>
/// <para>
/// Built for the connection read loop (Orleans <c>Connection</c> pattern): <see cref="TryRead"/> consumes complete tokens
/// from the front of the pipe's buffer and keeps partial element trees itself, so only an incomplete token at the end of the
/// buffer stays in the pipe. Input may be split at any byte, including inside UTF-8 sequences, references and names.
/// </para>
/// <para>
/// Every violation throws <see cref="StreamErrorException"/>: not-well-formed for malformed XML, restricted-xml for comments,
/// processing instructions, DTDs and custom entities (RFC 6120 §11.1), policy-violation when a <see cref="XmlLimits"/> limit
/// is exceeded. Not thread-safe: one parser per connection direction.
/// </para>
/// </remarks>
public sealed partial class XmlStreamParser
{
    // Enough look-ahead to classify any token ("<![CDATA[" is 9 bytes) and to make text progress across segments.
    private const int PeekSize = 64;

    private readonly XmlLimits _limits;
    private readonly NameTable _names = new();

    private StreamState _state;
    private bool _sawDeclaration;
    private bool _consumedAny;
    private bool _pendingClose;
    private long _stanzaBytes;
    private string? _aliasWire;
    private string? _aliasCanonical;

    // Resumable scan of the incomplete token at the front of the buffer, so a token trickled in byte by byte is scanned
    // once overall rather than once per read (which would be quadratic in the token length).
    private TokenKind _scanKind;
    private long _scanOffset;
    private byte _scanQuote;
    private int _scanBrackets;

    /// <summary>Creates a parser enforcing <paramref name="limits"/> (default: <see cref="XmlLimits.Default"/>).</summary>
    public XmlStreamParser(XmlLimits? limits = null)
    {
        _limits = limits ?? XmlLimits.Default;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_limits.MaxStanzaBytes, nameof(limits));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_limits.MaxDepth, nameof(limits));
        ArgumentOutOfRangeException.ThrowIfNegative(_limits.MaxAttributes, nameof(limits));
    }

    private enum StreamState : byte
    {
        Prolog,
        Content,
        Closed,
    }

    private enum TokenKind : byte
    {
        None,
        StartTag,
        EndTag,
        Declaration,
        CData,
    }

    private enum Step : byte
    {
        Continue,
        NeedMore,
        Event,
    }

    /// <summary>
    /// The default namespace declared on the current stream header (for example <c>jabber:client</c>); null before the
    /// header or when the header declares none.
    /// </summary>
    public string? ContentNamespace { get; private set; }

    /// <summary>
    /// True while a top-level element has been started but not completed: the bytes read so far end inside it (message
    /// framings such as RFC 7395 use it to refuse a message that does not hold whole elements).
    /// </summary>
    public bool IsInsideElement => _frameCount > 0;

    /// <summary>
    /// Consumes complete XML tokens from the front of <paramref name="buffer"/> (slicing it past them) and returns true as
    /// soon as one event is ready. Returns false when more bytes are needed: the caller then calls
    /// <c>AdvanceTo(buffer.Start, buffer.End)</c> on its pipe reader and reads more.
    /// </summary>
    /// <exception cref="StreamErrorException">The input violates XML, RFC 6120 §11 restrictions or the configured limits.</exception>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out XmlStreamEvent ev)
    {
        if (_pendingClose)
        {
            // A self-closed header (<stream:stream .../>) opens and closes the stream in one tag.
            _pendingClose = false;
            _state = StreamState.Closed;
            ev = new XmlStreamEvent(XmlStreamEventKind.StreamClose, null);
            return true;
        }

        Span<byte> peek = stackalloc byte[PeekSize];
        while (!buffer.IsEmpty)
        {
            scoped ReadOnlySpan<byte> head = buffer.FirstSpan;
            var headIsAll = buffer.IsSingleSegment;
            if (head.Length < PeekSize && !headIsAll)
            {
                var n = (int)Math.Min(buffer.Length, PeekSize);
                buffer.Slice(0, n).CopyTo(peek);
                head = peek[..n];
                headIsAll = n == buffer.Length;
            }

            Step step;
            if (head[0] == (byte)'<')
            {
                step = ReadMarkup(ref buffer, head, out ev);
            }
            else if (_frameCount > 0)
            {
                ev = default;
                step = ReadText(ref buffer, head, headIsAll);
            }
            else
            {
                ev = default;
                step = ReadTopLevelText(ref buffer, head);
            }

            if (step == Step.Event)
            {
                return true;
            }

            if (step == Step.NeedMore)
            {
                break;
            }
        }

        ev = default;
        return false;
    }

    /// <summary>
    /// Reads elements whose default namespace is declared as <paramref name="wire"/> as if it were
    /// <paramref name="canonical"/>: a component stream's <c>jabber:component:accept</c> stanzas (XEP-0114) become the
    /// server's <c>jabber:client</c> stanzas without copying each element tree. <see cref="ContentNamespace"/> still
    /// reports the namespace as declared on the header. Survives <see cref="Reset"/>.
    /// </summary>
    public void AliasNamespace(string wire, string canonical)
    {
        ArgumentException.ThrowIfNullOrEmpty(wire);
        ArgumentException.ThrowIfNullOrEmpty(canonical);
        _aliasWire = wire;
        _aliasCanonical = canonical;
    }

    /// <summary>
    /// Forgets all stream state (open elements, namespaces, header, pending text) so the next bytes must start a new stream:
    /// used at a stream restart after STARTTLS and after SASL success (RFC 6120 §4.3.3).
    /// </summary>
    public void Reset()
    {
        ContentNamespace = null;
        _state = StreamState.Prolog;
        _sawDeclaration = false;
        _consumedAny = false;
        _pendingClose = false;
        _stanzaBytes = 0;
        ResetScan();
        ReleaseWork();
        _streamQName = [];
        _streamNamespaces = [];
        ReleaseWire();
    }

    private Step ReadMarkup(ref ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> head, out XmlStreamEvent ev)
    {
        ev = default;
        if (_state == StreamState.Closed)
        {
            XmlThrow.NotWellFormed("data after the end of the stream");
        }

        if (head.Length < 2)
        {
            return NeedMore(buffer);
        }

        switch (head[1])
        {
            case (byte)'/':
                if (_state == StreamState.Prolog)
                {
                    XmlThrow.NotWellFormed("end tag before the stream header");
                }

                return ReadTag(ref buffer, TokenKind.EndTag, out ev);
            case (byte)'?':
                return ReadQuestionMark(ref buffer, head);
            case (byte)'!':
                return ReadBang(ref buffer, head);
            case 0x00 when _state == StreamState.Prolog:
                // "<" as UTF-16LE: RFC 6120 §11.6 mandates UTF-8.
                XmlThrow.Error(StreamErrorCondition.UnsupportedEncoding, "only UTF-8 is supported");
                return Step.NeedMore;
            default:
                if (XmlChars.IsWhitespace(head[1]))
                {
                    XmlThrow.NotWellFormed("white space after '<'");
                }

                return ReadTag(ref buffer, TokenKind.StartTag, out ev);
        }
    }

    private Step ReadQuestionMark(ref ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> head)
    {
        // RFC 6120 §11.1: no processing instructions, except the XML declaration at the start of the stream.
        if (_state == StreamState.Prolog && !_sawDeclaration)
        {
            ReadOnlySpan<byte> xml = "<?xml"u8;
            var n = Math.Min(head.Length, xml.Length);
            if (!head[..n].SequenceEqual(xml[..n]))
            {
                XmlThrow.Restricted("processing instructions are not allowed");
            }

            if (head.Length <= xml.Length)
            {
                return NeedMore(buffer); // head is all there is: it is shorter than the peek size
            }

            if (!XmlChars.IsWhitespace(head[xml.Length]))
            {
                XmlThrow.Restricted("processing instructions are not allowed");
            }

            return ReadTag(ref buffer, TokenKind.Declaration, out _);
        }

        XmlThrow.Restricted("processing instructions are not allowed");
        return Step.NeedMore;
    }

    private Step ReadBang(ref ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> head)
    {
        if (head.Length < 3)
        {
            return NeedMore(buffer);
        }

        if (head[2] != (byte)'[')
        {
            // RFC 6120 §11.1: comments, DTDs and other markup declarations are forbidden.
            XmlThrow.Restricted(head[2] == (byte)'-' ? "comments are not allowed" : "DTDs and markup declarations are not allowed");
        }

        if (_frameCount == 0)
        {
            XmlThrow.NotWellFormed("CDATA section outside an element");
        }

        ReadOnlySpan<byte> open = "<![CDATA["u8;
        var n = Math.Min(head.Length, open.Length);
        if (!head[..n].SequenceEqual(open[..n]))
        {
            XmlThrow.NotWellFormed("malformed CDATA section");
        }

        if (n < open.Length)
        {
            return NeedMore(buffer);
        }

        if (_scanKind != TokenKind.CData)
        {
            ResetScan();
            _scanKind = TokenKind.CData;
        }

        var length = FindCDataEnd(buffer, open.Length);
        if (length < 0)
        {
            return NeedMore(buffer);
        }

        ResetScan();
        AddStanzaBytes(length);
        var token = GetToken(buffer, length, out var rented);
        try
        {
            if (KeepWireForms)
            {
                AppendWire(token);
            }

            // RFC 6120 §11.1 does not forbid CDATA; its content is plain character data.
            AppendDecoded(Work.Text, token[open.Length..^3], DecodeMode.CData);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        buffer = buffer.Slice(length);
        return Step.Continue;
    }

    private Step ReadTag(ref ReadOnlySequence<byte> buffer, TokenKind kind, out XmlStreamEvent ev)
    {
        ev = default;
        if (_scanKind != kind)
        {
            ResetScan();
            _scanKind = kind;
        }

        var length = FindTagEnd(buffer, kind == TokenKind.EndTag ? 2 : 1, quoteAware: kind != TokenKind.EndTag);
        if (length < 0)
        {
            return NeedMore(buffer);
        }

        ResetScan();
        var inStanza = _frameCount > 0 || (_state == StreamState.Content && kind == TokenKind.StartTag);
        if (inStanza)
        {
            AddStanzaBytes(length);
        }
        else if (length > _limits.MaxStanzaBytes)
        {
            XmlThrow.HeaderTooLarge(_limits.MaxStanzaBytes);
        }

        var token = GetToken(buffer, length, out var rented);
        Step step;
        try
        {
            if (inStanza && KeepWireForms)
            {
                CaptureWire(token, starts: _frameCount == 0);
            }

            switch (kind)
            {
                case TokenKind.StartTag:
                    step = OnStartTag(token, out ev);
                    break;
                case TokenKind.EndTag:
                    step = OnEndTag(token, out ev);
                    break;
                default:
                    OnXmlDeclaration(token);
                    step = Step.Continue;
                    break;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        buffer = buffer.Slice(length);
        _consumedAny = true;
        if (_frameCount == 0)
        {
            // Between stanzas the parser holds no working arrays (issue #6: idle connections).
            ReleaseWork();
        }

        return step;
    }

    /// <summary>Character data inside a stanza: consumed as far as it can be decoded, so long text is never kept in the pipe.</summary>
    private Step ReadText(ref ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> head, bool headIsAll)
    {
        var lt = head.IndexOf((byte)'<');
        var chunk = lt >= 0 ? lt : SafeTextPrefix(head);
        if (chunk == 0)
        {
            // Only a possibly incomplete reference, UTF-8 sequence, CR or "]]" is left, and nothing follows it yet.
            // (With more data, head holds at least PeekSize bytes and SafeTextPrefix keeps fewer than that back.)
            return NeedMore(buffer);
        }

        AddStanzaBytes(chunk);
        if (KeepWireForms)
        {
            AppendWire(head[..chunk]);
        }

        AppendDecoded(Work.Text, head[..chunk], DecodeMode.Text);
        buffer = buffer.Slice(chunk);
        return Step.Continue;
    }

    /// <summary>Outside any stanza only white space is allowed (keepalives, RFC 6120 §4.6.1), plus a UTF-8 BOM at the very start.</summary>
    private Step ReadTopLevelText(ref ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> head)
    {
        if (_state == StreamState.Prolog && !_consumedAny)
        {
            var b = head[0];
            if (b == 0xEF)
            {
                ReadOnlySpan<byte> bom = [0xEF, 0xBB, 0xBF];
                var n = Math.Min(head.Length, bom.Length);
                if (!head[..n].SequenceEqual(bom[..n]))
                {
                    XmlThrow.NotWellFormed("text before the stream header");
                }

                if (n < bom.Length)
                {
                    return NeedMore(buffer);
                }

                _consumedAny = true;
                buffer = buffer.Slice(bom.Length);
                return Step.Continue;
            }

            if (b is 0x00 or 0xFE or 0xFF)
            {
                // UTF-16/UTF-32 byte order marks or a NUL first byte: RFC 6120 §11.6 mandates UTF-8.
                XmlThrow.Error(StreamErrorCondition.UnsupportedEncoding, "only UTF-8 is supported");
            }
        }

        var ws = head.IndexOfAnyExcept(XmlChars.Whitespace);
        if (ws == 0)
        {
            XmlThrow.NotWellFormed(_state switch
            {
                StreamState.Prolog => "text before the stream header",
                StreamState.Content => "text outside a stanza",
                _ => "data after the end of the stream",
            });
        }

        if (ws < 0)
        {
            ws = head.Length;
        }

        _consumedAny = true;
        buffer = buffer.Slice(ws);
        return Step.Continue;
    }

    /// <summary>Records that the front of the buffer is an incomplete token, after checking it does not already exceed the limits.</summary>
    private Step NeedMore(in ReadOnlySequence<byte> buffer)
    {
        // The incomplete token is everything left in the buffer: count it now, or a peer sending an endless attribute
        // value (no '>') would make the pipe buffer without bound.
        var pending = buffer.Length;
        if (_state == StreamState.Prolog)
        {
            if (pending > _limits.MaxStanzaBytes)
            {
                XmlThrow.HeaderTooLarge(_limits.MaxStanzaBytes);
            }
        }
        else if (_stanzaBytes + pending > _limits.MaxStanzaBytes)
        {
            XmlThrow.StanzaTooLarge(_limits.MaxStanzaBytes);
        }

        return Step.NeedMore;
    }

    private void AddStanzaBytes(long count)
    {
        _stanzaBytes += count;
        if (_stanzaBytes > _limits.MaxStanzaBytes)
        {
            XmlThrow.StanzaTooLarge(_limits.MaxStanzaBytes);
        }
    }

    private void ResetScan()
    {
        _scanKind = TokenKind.None;
        _scanOffset = 0;
        _scanQuote = 0;
        _scanBrackets = 0;
    }

    /// <summary>The token as one span: in place when it lies in the first segment, else copied into a pooled array.</summary>
    private static ReadOnlySpan<byte> GetToken(in ReadOnlySequence<byte> buffer, long length, out byte[]? rented)
    {
        var first = buffer.FirstSpan;
        if (length <= first.Length)
        {
            rented = null;
            return first[..(int)length];
        }

        rented = ArrayPool<byte>.Shared.Rent((int)length);
        buffer.Slice(0, length).CopyTo(rented);
        return rented.AsSpan(0, (int)length);
    }

    /// <summary>
    /// Finds the '&gt;' ending a tag (outside quoted attribute values when <paramref name="quoteAware"/>) and returns the
    /// token length, or -1 after saving how far it looked.
    /// </summary>
    private long FindTagEnd(in ReadOnlySequence<byte> buffer, int minStart, bool quoteAware)
    {
        var offset = Math.Max(_scanOffset, minStart);
        var quote = _scanQuote;
        if (buffer.IsSingleSegment)
        {
            // The common case on the hot path: no segment walk.
            var span = buffer.FirstSpan;
            if (offset < span.Length)
            {
                var end = ScanTag(span, (int)offset, ref quote, quoteAware);
                if (end >= 0)
                {
                    return end;
                }
            }

            _scanOffset = Math.Max(offset, span.Length);
            _scanQuote = quote;
            return -1;
        }

        long segmentStart = 0;
        foreach (var memory in buffer)
        {
            var span = memory.Span;
            var segmentEnd = segmentStart + span.Length;
            if (offset < segmentEnd)
            {
                var end = ScanTag(span, (int)(offset - segmentStart), ref quote, quoteAware);
                if (end >= 0)
                {
                    return segmentStart + end;
                }

                offset = segmentEnd;
            }

            segmentStart = segmentEnd;
        }

        _scanOffset = offset;
        _scanQuote = quote;
        return -1;
    }

    /// <summary>Scans <paramref name="span"/> from <paramref name="i"/> for the tag-ending '&gt;'; returns the index past it, or -1.</summary>
    private static int ScanTag(ReadOnlySpan<byte> span, int i, ref byte quote, bool quoteAware)
    {
        while (i < span.Length)
        {
            int k;
            if (quote == 0)
            {
                k = quoteAware ? span[i..].IndexOfAny(XmlChars.TagScan) : span[i..].IndexOfAny((byte)'>', (byte)'<');
                if (k < 0)
                {
                    return -1;
                }

                i += k;
                var b = span[i];
                if (b == (byte)'>')
                {
                    return i + 1;
                }

                if (b == (byte)'<')
                {
                    XmlThrow.NotWellFormed("'<' inside a tag");
                }

                quote = b;
            }
            else
            {
                k = span[i..].IndexOfAny(quote, (byte)'<');
                if (k < 0)
                {
                    return -1;
                }

                i += k;
                if (span[i] == (byte)'<')
                {
                    XmlThrow.NotWellFormed("'<' in an attribute value");
                }

                quote = 0;
            }

            i++;
        }

        return -1;
    }

    /// <summary>Finds the "]]&gt;" ending a CDATA section and returns the token length, or -1 after saving how far it looked.</summary>
    private long FindCDataEnd(in ReadOnlySequence<byte> buffer, int minStart)
    {
        var offset = Math.Max(_scanOffset, minStart);
        var brackets = _scanBrackets;
        long segmentStart = 0;
        foreach (var memory in buffer)
        {
            var span = memory.Span;
            var segmentEnd = segmentStart + span.Length;
            if (offset < segmentEnd)
            {
                var i = (int)(offset - segmentStart);
                while (i < span.Length)
                {
                    var b = span[i];
                    if (b == (byte)']')
                    {
                        brackets++;
                        i++;
                    }
                    else if (b == (byte)'>' && brackets >= 2)
                    {
                        return segmentStart + i + 1;
                    }
                    else
                    {
                        brackets = 0;
                        var k = span[i..].IndexOf((byte)']');
                        if (k < 0)
                        {
                            i = span.Length;
                            break;
                        }

                        i += k;
                    }
                }

                offset = segmentEnd;
            }

            segmentStart = segmentEnd;
        }

        _scanOffset = offset;
        _scanBrackets = brackets;
        return -1;
    }

    /// <summary>
    /// How much of unterminated character data can be decoded now: everything except a trailing reference without its ';',
    /// a trailing incomplete UTF-8 sequence, a trailing CR (it may start a CRLF) and up to two trailing ']' (they may start "]]&gt;").
    /// </summary>
    private static int SafeTextPrefix(ReadOnlySpan<byte> text)
    {
        var end = text.Length;
        var tail = Math.Max(0, end - (XmlChars.MaxReferenceLength - 1));
        var amp = text[tail..].LastIndexOf((byte)'&');
        if (amp >= 0 && text[(tail + amp)..].IndexOf((byte)';') < 0)
        {
            end = tail + amp;
        }

        end = TrimIncompleteUtf8(text[..end]);
        if (end > 0 && text[end - 1] == (byte)'\r')
        {
            end--;
        }

        for (var i = 0; i < 2 && end > 0 && text[end - 1] == (byte)']'; i++)
        {
            end--;
        }

        return end;
    }

    private static int TrimIncompleteUtf8(ReadOnlySpan<byte> s)
    {
        for (var k = 1; k <= 3 && k <= s.Length; k++)
        {
            var b = s[^k];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte: look further back for the lead byte
            }

            if (b < 0xC0)
            {
                return s.Length; // ASCII: complete
            }

            var needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            return needed > k ? s.Length - k : s.Length;
        }

        return s.Length; // three continuation bytes: complete or invalid, the decoder decides
    }
}
