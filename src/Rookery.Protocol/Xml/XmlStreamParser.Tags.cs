using System.Text;
using Rookery.Protocol.Errors;

namespace Rookery.Protocol.Xml;

/// <content>Start tags, end tags, the stream header, the XML declaration and namespace scoping.</content>
public sealed partial class XmlStreamParser
{
    private int _frameCount;
    private string? _lastTo; // the last stanza 'to', reused while the client writes to the same address (DecodeStanzaTo)

    // Length of the open elements' qualified names in Work.QNames, to match end tags by bytes.
    private int _qnamesLength;

    // The stream header's qualified name as written, kept for the stream's closing tag.
    private byte[] _streamQName = [];

    // Namespace declarations in scope inside the current stanza (Work.NsPrefixes and Work.NsUris), innermost last; the
    // empty prefix is the default namespace. The stream header's own declarations are kept apart, in _streamNamespaces.
    private int _nsCount;
    private NamespaceBinding[] _streamNamespaces = [];

    private enum AttributeKind : byte
    {
        Plain,
        DefaultNamespace,
        PrefixNamespace,
    }

    private static ReadOnlySpan<byte> Xmlns => "xmlns"u8;

    private static ReadOnlySpan<byte> XmlPrefix => "xml"u8;

    private Step OnStartTag(ReadOnlySpan<byte> t, out XmlStreamEvent ev)
    {
        ParseTag(t, out var nameEnd, out var colon, out var attributeCount, out var selfClosing);
        if (colon >= 0 && t[1..colon].SequenceEqual(Xmlns))
        {
            XmlThrow.NotWellFormed("element names must not use the xmlns prefix");
        }

        if (_state == StreamState.Prolog)
        {
            return OnStreamHeader(t, nameEnd, colon, attributeCount, selfClosing, out ev);
        }

        if (_frameCount >= _limits.MaxDepth)
        {
            XmlThrow.DepthExceeded(_limits.MaxDepth);
        }

        if (_frameCount > 0)
        {
            FlushText();
        }

        var nsMark = _nsCount;
        DeclareNamespaces(t, attributeCount);
        var ns = LookupNamespace(colon < 0 ? default : t[1..colon]);
        if (ns is null)
        {
            XmlThrow.Error(StreamErrorCondition.BadNamespacePrefix, "undeclared namespace prefix");
        }

        var element = new Element(_names.Get(t[(colon < 0 ? 1 : colon + 1)..nameEnd]), ns);
        AddAttributes(element, t, attributeCount);
        if (_frameCount > 0)
        {
            Work.Frames[_frameCount - 1].Element.AppendParsed(element);
        }

        if (KeepWireForms)
        {
            StartWireElement(element, t, colon, attributeCount, selfClosing);
        }

        if (selfClosing)
        {
            _nsCount = nsMark;
            if (_frameCount == 0)
            {
                EndWireForm(0);
                _stanzaBytes = 0;
                ev = new XmlStreamEvent(XmlStreamEventKind.Element, element);
                return Step.Event;
            }
        }
        else
        {
            PushFrame(element, nsMark, t[1..nameEnd]);
        }

        ev = default;
        return Step.Continue;
    }

    private Step OnStreamHeader(ReadOnlySpan<byte> t, int nameEnd, int colon, int attributeCount, bool selfClosing, out XmlStreamEvent ev)
    {
        var contentNamespace = DeclareNamespaces(t, attributeCount);
        var ns = LookupNamespace(colon < 0 ? default : t[1..colon]);
        if (ns is null)
        {
            XmlThrow.Error(StreamErrorCondition.BadNamespacePrefix, "undeclared namespace prefix on the stream header");
        }

        // RFC 6120 §4.8.1: the stream element is qualified by http://etherx.jabber.org/streams.
        if (ns != Ns.Streams)
        {
            XmlThrow.Error(StreamErrorCondition.InvalidNamespace, "the stream namespace must be " + Ns.Streams);
        }

        if (!t[(colon < 0 ? 1 : colon + 1)..nameEnd].SequenceEqual("stream"u8))
        {
            XmlThrow.Error(StreamErrorCondition.InvalidXml, "the root element must be <stream>");
        }

        var header = new Element("stream", Ns.Streams);
        AddAttributes(header, t, attributeCount);
        ContentNamespace = contentNamespace;
        KeepStreamScope(t[1..nameEnd]);
        _state = StreamState.Content;
        _pendingClose = selfClosing;
        ev = new XmlStreamEvent(XmlStreamEventKind.StreamOpen, header);
        return Step.Event;
    }

    private Step OnEndTag(ReadOnlySpan<byte> t, out XmlStreamEvent ev)
    {
        // ETag ::= '</' Name S? '>'
        var nameEnd = XmlChars.ScanQName(t, 2, out _);
        var pos = nameEnd;
        while (XmlChars.IsWhitespace(t[pos]))
        {
            pos++;
        }

        if (pos != t.Length - 1)
        {
            XmlThrow.NotWellFormed("malformed end tag");
        }

        var name = t[2..nameEnd];
        if (_frameCount == 0)
        {
            if (!name.SequenceEqual(_streamQName))
            {
                XmlThrow.NotWellFormed("end tag does not match any open element");
            }

            _state = StreamState.Closed;
            ev = new XmlStreamEvent(XmlStreamEventKind.StreamClose, null);
            return Step.Event;
        }

        var work = Work;
        ref var frame = ref work.Frames[_frameCount - 1];
        if (!name.SequenceEqual(work.QNames.AsSpan(frame.QNameStart, _qnamesLength - frame.QNameStart)))
        {
            XmlThrow.NotWellFormed("end tag does not match the start tag");
        }

        FlushText();
        var element = frame.Element;
        _nsCount = frame.NsMark;
        _qnamesLength = frame.QNameStart;
        frame = default;
        _frameCount--;
        if (_frameCount == 0)
        {
            EndWireForm(t.Length);
            _stanzaBytes = 0;
            ev = new XmlStreamEvent(XmlStreamEventKind.Element, element);
            return Step.Event;
        }

        ev = default;
        return Step.Continue;
    }

    /// <summary>Parses <c>&lt;?xml version='1.0' encoding='UTF-8' standalone='yes'?&gt;</c> (XML 1.0 §2.8).</summary>
    private void OnXmlDeclaration(ReadOnlySpan<byte> t)
    {
        if (t.Length < 7 || t[^2] != (byte)'?')
        {
            XmlThrow.NotWellFormed("malformed XML declaration");
        }

        var body = t[5..^2];
        var pos = 0;
        var stage = 0; // 0: version expected, 1: encoding or standalone may follow, 2: standalone may follow, 3: done
        while (true)
        {
            var wsStart = pos;
            while (pos < body.Length && XmlChars.IsWhitespace(body[pos]))
            {
                pos++;
            }

            if (pos == body.Length)
            {
                break;
            }

            if (pos == wsStart)
            {
                XmlThrow.NotWellFormed("malformed XML declaration");
            }

            var nameStart = pos;
            while (pos < body.Length && char.IsAsciiLetterLower((char)body[pos]))
            {
                pos++;
            }

            var name = body[nameStart..pos];
            while (pos < body.Length && XmlChars.IsWhitespace(body[pos]))
            {
                pos++;
            }

            if (pos == body.Length || body[pos] != (byte)'=')
            {
                XmlThrow.NotWellFormed("malformed XML declaration");
            }

            pos++;
            while (pos < body.Length && XmlChars.IsWhitespace(body[pos]))
            {
                pos++;
            }

            if (pos == body.Length || body[pos] is not ((byte)'\'' or (byte)'"'))
            {
                XmlThrow.NotWellFormed("malformed XML declaration");
            }

            var close = body[(pos + 1)..].IndexOf(body[pos]);
            if (close < 0)
            {
                XmlThrow.NotWellFormed("malformed XML declaration");
            }

            var value = body.Slice(pos + 1, close);
            pos += close + 2;
            if (stage == 0)
            {
                // VersionNum ::= '1.' [0-9]+
                if (!name.SequenceEqual("version"u8) || value.Length < 3 || !value.StartsWith("1."u8)
                    || value[2..].IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
                {
                    XmlThrow.NotWellFormed("the XML declaration must start with version='1.x'");
                }

                stage = 1;
            }
            else if (stage == 1 && name.SequenceEqual("encoding"u8))
            {
                // RFC 6120 §11.6: UTF-8 only.
                if (!Ascii.EqualsIgnoreCase(value, "UTF-8"u8))
                {
                    XmlThrow.Error(StreamErrorCondition.UnsupportedEncoding, "only UTF-8 is supported");
                }

                stage = 2;
            }
            else if (stage <= 2 && name.SequenceEqual("standalone"u8) && (value.SequenceEqual("yes"u8) || value.SequenceEqual("no"u8)))
            {
                stage = 3;
            }
            else
            {
                XmlThrow.NotWellFormed("malformed XML declaration");
            }
        }

        if (stage == 0)
        {
            XmlThrow.NotWellFormed("the XML declaration must start with version='1.x'");
        }

        _sawDeclaration = true;
    }

    /// <summary>
    /// Splits a start tag into its name and attributes (recorded in the workspace's attribute slots), rejecting malformed syntax,
    /// duplicate attributes and more than <see cref="XmlLimits.MaxAttributes"/> attributes.
    /// </summary>
    private void ParseTag(ReadOnlySpan<byte> t, out int nameEnd, out int colon, out int attributeCount, out bool selfClosing)
    {
        // STag ::= '<' Name (S Attribute)* S? '>'   EmptyElemTag ::= '<' Name (S Attribute)* S? '/>'
        // The scanner guarantees t ends with the only '>' outside quotes, so every loop below stops in bounds.
        nameEnd = XmlChars.ScanQName(t, 1, out colon);
        var work = Work;
        var pos = nameEnd;
        attributeCount = 0;
        while (true)
        {
            var wsStart = pos;
            while (XmlChars.IsWhitespace(t[pos]))
            {
                pos++;
            }

            var b = t[pos];
            if (b == (byte)'>')
            {
                if (pos != t.Length - 1)
                {
                    XmlThrow.NotWellFormed("malformed start tag");
                }

                selfClosing = false;
                return;
            }

            if (b == (byte)'/')
            {
                if (pos != t.Length - 2)
                {
                    XmlThrow.NotWellFormed("malformed start tag");
                }

                selfClosing = true;
                return;
            }

            if (pos == wsStart)
            {
                XmlThrow.NotWellFormed("attributes must be separated by white space");
            }

            var nameStart = pos;
            pos = XmlChars.ScanQName(t, pos, out var attributeColon);
            var name = t[nameStart..pos];
            while (XmlChars.IsWhitespace(t[pos]))
            {
                pos++;
            }

            if (t[pos] != (byte)'=')
            {
                XmlThrow.NotWellFormed("expected '=' after an attribute name");
            }

            pos++;
            while (XmlChars.IsWhitespace(t[pos]))
            {
                pos++;
            }

            var quote = t[pos];
            if (quote is not ((byte)'\'' or (byte)'"'))
            {
                XmlThrow.NotWellFormed("attribute values must be quoted");
            }

            var valueStart = pos + 1;
            var valueLength = t[valueStart..].IndexOf(quote);
            if (valueLength < 0)
            {
                XmlThrow.NotWellFormed("unterminated attribute value");
            }

            pos = valueStart + valueLength + 1;
            if (attributeCount >= _limits.MaxAttributes)
            {
                XmlThrow.TooManyAttributes(_limits.MaxAttributes);
            }

            for (var j = 0; j < attributeCount; j++)
            {
                ref var other = ref work.Attributes[j];
                if (name.SequenceEqual(t[other.NameStart..other.NameEnd]))
                {
                    XmlThrow.NotWellFormed("duplicate attribute");
                }
            }

            var kind = AttributeKind.Plain;
            if (attributeColon < 0 ? name.SequenceEqual(Xmlns) : t[nameStart..attributeColon].SequenceEqual(Xmlns))
            {
                kind = attributeColon < 0 ? AttributeKind.DefaultNamespace : AttributeKind.PrefixNamespace;
            }

            if (attributeCount == work.Attributes.Length)
            {
                Array.Resize(ref work.Attributes, attributeCount * 2);
            }

            work.Attributes[attributeCount++] = new AttributeSlot(nameStart, nameStart + name.Length, attributeColon, valueStart, valueLength, kind);
        }
    }

    /// <summary>Brings the tag's <c>xmlns</c> declarations into scope; returns the default namespace it declares, if any.</summary>
    private string? DeclareNamespaces(ReadOnlySpan<byte> t, int attributeCount)
    {
        string? defaultNamespace = null;
        var attributes = Work.Attributes;
        for (var i = 0; i < attributeCount; i++)
        {
            ref var a = ref attributes[i];
            if (a.Kind == AttributeKind.Plain)
            {
                continue;
            }

            var uri = DecodeAttributeValue(t.Slice(a.ValueStart, a.ValueLength), intern: true);
            if (a.Kind == AttributeKind.DefaultNamespace)
            {
                if (uri == Ns.Xml)
                {
                    XmlThrow.NotWellFormed("the xml namespace cannot be the default namespace");
                }

                // The header reports the namespace as declared; elements get the canonical one (see AliasNamespace).
                if (_aliasWire is not null && uri == _aliasWire)
                {
                    _wireBroken = true; // the bytes would carry the alias, not the namespace the tree has
                }

                PushNamespace(NameTable.Empty, _aliasWire is not null && uri == _aliasWire ? _aliasCanonical! : uri);
                defaultNamespace = uri;
                continue;
            }

            // Namespaces in XML 1.0 §3: the xml prefix is fixed, xmlns cannot be declared, prefixes cannot be undeclared.
            var prefix = t[(a.Colon + 1)..a.NameEnd];
            var isXml = prefix.SequenceEqual(XmlPrefix);
            if (prefix.SequenceEqual(Xmlns) || isXml != (uri == Ns.Xml) || uri.Length == 0)
            {
                XmlThrow.NotWellFormed("illegal namespace declaration");
            }

            if (!isXml)
            {
                PushNamespace(_names.GetEntry(prefix), uri);
            }
        }

        return defaultNamespace;
    }

    private void AddAttributes(Element element, ReadOnlySpan<byte> t, int attributeCount)
    {
        var attributes = Work.Attributes;
        for (var i = 0; i < attributeCount; i++)
        {
            ref var a = ref attributes[i];
            if (a.Kind != AttributeKind.Plain)
            {
                continue;
            }

            var name = t[a.NameStart..a.NameEnd];
            if (a.Colon >= 0)
            {
                var prefix = t[a.NameStart..a.Colon];
                if (!prefix.SequenceEqual(XmlPrefix))
                {
                    var uri = LookupNamespace(prefix);
                    if (uri is null)
                    {
                        XmlThrow.Error(StreamErrorCondition.BadNamespacePrefix, "undeclared namespace prefix on an attribute");
                    }

                    // The element model keeps prefixed attribute names as written, so the declaration they depend on
                    // travels with the element: otherwise a stanza written on its own (to another client, to storage)
                    // would use a prefix bound only on this sender's stream or an ancestor, and be malformed there.
                    _wireBroken = true; // the bytes depend on a declaration that may lie outside the stanza
                    var declaration = "xmlns:" + Encoding.UTF8.GetString(prefix);
                    if (element.GetAttribute(declaration) is null)
                    {
                        element.AddAttributeUnchecked(declaration, uri);
                    }
                }
            }

            var raw = t.Slice(a.ValueStart, a.ValueLength);
            var value = _frameCount == 0 && name.SequenceEqual("to"u8) ? DecodeStanzaTo(raw) : DecodeAttributeValue(raw, intern: false);
            element.AddAttributeUnchecked(_names.Get(name), value);
        }
    }

    /// <summary>
    /// Decodes a stanza's 'to', returning the previous stanza's string when the bytes are the same: a client mostly
    /// writes to one peer many times in a row, so this saves a string per stanza, and the stream's cache of the parsed
    /// JID then matches by reference (issue #6). Strings are immutable, so sharing one between stanzas is safe.
    /// </summary>
    private string DecodeStanzaTo(ReadOnlySpan<byte> raw)
    {
        // Only plain ASCII without references or white space decodes to exactly its own characters; anything else is
        // decoded afresh. No bytes are kept, so an idle stream holds nothing more than the string (issue #6).
        if (_lastTo is { } last && raw.IndexOfAny(XmlChars.AttributeSpecials) < 0 && Ascii.Equals(raw, last))
        {
            return last;
        }

        var value = DecodeAttributeValue(raw, intern: false);
        _lastTo = value;
        return value;
    }

    /// <summary>The namespace bound to <paramref name="prefix"/> (empty: the default namespace, "" when none), or null when undeclared.</summary>
    private string? LookupNamespace(ReadOnlySpan<byte> prefix)
    {
        if (_work is { } work)
        {
            for (var i = _nsCount - 1; i >= 0; i--)
            {
                if (prefix.SequenceEqual(work.NsPrefixes[i].Utf8))
                {
                    return work.NsUris[i];
                }
            }
        }

        var stream = _streamNamespaces;
        for (var i = stream.Length - 1; i >= 0; i--)
        {
            if (prefix.SequenceEqual(stream[i].Prefix.Utf8))
            {
                return stream[i].Uri;
            }
        }

        if (prefix.IsEmpty)
        {
            return string.Empty;
        }

        return prefix.SequenceEqual(XmlPrefix) ? Ns.Xml : null;
    }

    private void PushNamespace(NameEntry prefix, string uri)
    {
        var work = Work;
        if (_nsCount == work.NsPrefixes.Length)
        {
            Array.Resize(ref work.NsPrefixes, _nsCount * 2);
            Array.Resize(ref work.NsUris, _nsCount * 2);
        }

        work.NsPrefixes[_nsCount] = prefix;
        work.NsUris[_nsCount] = uri;
        _nsCount++;
    }

    private void PushFrame(Element element, int nsMark, ReadOnlySpan<byte> qname)
    {
        var work = Work;
        if (_frameCount == work.Frames.Length)
        {
            Array.Resize(ref work.Frames, _frameCount * 2);
        }

        work.Frames[_frameCount++] = new Frame(element, nsMark, _qnamesLength);
        AppendQName(qname);
    }

    private void AppendQName(ReadOnlySpan<byte> qname)
    {
        var work = Work;
        if (work.QNames.Length - _qnamesLength < qname.Length)
        {
            Array.Resize(ref work.QNames, Math.Max(work.QNames.Length * 2, _qnamesLength + qname.Length));
        }

        qname.CopyTo(work.QNames.AsSpan(_qnamesLength));
        _qnamesLength += qname.Length;
    }

    private void FlushText()
    {
        var work = Work;
        if (work.Text.Length > 0)
        {
            work.Frames[_frameCount - 1].Element.AppendParsedText(work.Text.ToString());
            work.Text.Clear();
        }
    }

    /// <summary>An open element of the current stanza; its qualified name is <c>Work.QNames[QNameStart..]</c> up to the next frame's.</summary>
    private struct Frame(Element element, int nsMark, int qnameStart)
    {
        public Element Element = element;
        public int NsMark = nsMark;
        public int QNameStart = qnameStart;
    }

    /// <summary>One attribute of the tag being parsed, as offsets into the tag.</summary>
    private readonly struct AttributeSlot(int nameStart, int nameEnd, int colon, int valueStart, int valueLength, AttributeKind kind)
    {
        public int NameStart { get; } = nameStart;

        public int NameEnd { get; } = nameEnd;

        public int Colon { get; } = colon;

        public int ValueStart { get; } = valueStart;

        public int ValueLength { get; } = valueLength;

        public AttributeKind Kind { get; } = kind;
    }
}
