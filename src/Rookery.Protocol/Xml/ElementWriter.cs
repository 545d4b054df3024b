using System.Buffers;
using System.Text;

namespace Rookery.Protocol.Xml;

/// <summary>
/// Serialises <see cref="Element"/> trees as UTF-8 straight into an <see cref="IBufferWriter{T}"/> (the connection's
/// pipe), escaping text and attribute values, and declaring a namespace only where it differs from the parent's.
/// </summary>
public static class ElementWriter
{
    private static ReadOnlySpan<byte> Lt => "<"u8;
    private static ReadOnlySpan<byte> LtSlash => "</"u8;
    private static ReadOnlySpan<byte> Gt => ">"u8;
    private static ReadOnlySpan<byte> SlashGt => "/>"u8;
    private static ReadOnlySpan<byte> XmlnsEq => " xmlns='"u8;
    private static ReadOnlySpan<byte> StreamPrefix => "stream:"u8;
    private static ReadOnlySpan<byte> DialbackPrefix => "db:"u8;

    /// <summary>
    /// Writes <paramref name="element"/>. <paramref name="parentNamespace"/> is the default namespace in scope where it is
    /// written (for stanzas, the stream's content namespace such as <c>jabber:client</c>), so it is not repeated.
    /// Elements in the streams namespace are written with the <c>stream:</c> prefix, as every XMPP peer expects.
    /// </summary>
    public static void Write(Element element, IBufferWriter<byte> output, string parentNamespace)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentNullException.ThrowIfNull(output);
        WriteElement(element, output, parentNamespace);
    }

    private static void WriteElement(Element e, IBufferWriter<byte> output, string scopeNs)
    {
        // A stanza routed unchanged is copied as it arrived (issue #6): its bytes mean the same under the same default
        // namespace, and only its 'from', stamped by the server (RFC 6120 §8.1.2.1), is written from the tree.
        if (e.UnchangedWireForm is { } wire && e.Namespace == scopeNs)
        {
            WriteWire(e, wire, output);
            return;
        }

        // Stream-level elements use the prefixes every peer expects: stream: (RFC 6120 §4.8.5), and db: for Server
        // Dialback (XEP-0220; ejabberd ignores an unprefixed <result xmlns='jabber:server:dialback'/>), declared on the
        // s2s stream header by WriteServerStreamHeader.
        var prefix = e.Namespace == Ns.Streams ? StreamPrefix : e.Namespace == Ns.Dialback ? DialbackPrefix : default;
        var prefixed = !prefix.IsEmpty;
        output.Write(Lt);
        if (prefixed)
        {
            output.Write(prefix);
        }

        WriteUtf8(output, e.Name);
        var childScope = scopeNs;
        if (!prefixed && e.Namespace != scopeNs)
        {
            output.Write(XmlnsEq);
            WriteEscaped(output, e.Namespace, attribute: true);
            output.Write("'"u8);
            childScope = e.Namespace;
        }

        foreach (var a in e.Attributes)
        {
            output.Write(" "u8);
            WriteUtf8(output, a.Key);
            output.Write("='"u8);
            WriteEscaped(output, a.Value, attribute: true);
            output.Write("'"u8);
        }

        if (!e.HasNodes)
        {
            output.Write(SlashGt);
            return;
        }

        output.Write(Gt);
        foreach (var n in e.Nodes)
        {
            if (n is Element child)
            {
                WriteElement(child, output, childScope);
            }
            else
            {
                WriteEscaped(output, (string)n, attribute: false);
            }
        }

        output.Write(LtSlash);
        if (prefixed)
        {
            output.Write(prefix);
        }

        WriteUtf8(output, e.Name);
        output.Write(Gt);
    }

    private static void WriteWire(Element e, WireForm wire, IBufferWriter<byte> output)
    {
        var bytes = wire.Bytes.AsSpan();
        if (wire.FromStart >= 0)
        {
            output.Write(bytes[..wire.FromStart]);
            output.Write(bytes[wire.FromEnd..wire.AttributesEnd]);
        }
        else
        {
            output.Write(bytes[..wire.AttributesEnd]);
        }

        WriteAttribute(output, "from", e.GetAttribute("from"));
        if (wire.AddressedFromTree)
        {
            WriteAttribute(output, "to", e.GetAttribute("to"));
        }

        if (wire.CloseTagStart < 0)
        {
            output.Write(bytes[wire.AttributesEnd..]);
            return;
        }

        output.Write(bytes[wire.AttributesEnd..wire.CloseTagStart]);
        var nodes = e.Nodes;
        for (var i = wire.ChildCount; i < nodes.Count; i++)
        {
            // Only elements are appended without making the bytes stale (see Element.Add).
            WriteElement((Element)nodes[i], output, e.Namespace);
        }

        output.Write(bytes[wire.CloseTagStart..]);
    }

    /// <summary>
    /// Writes <paramref name="e"/> in its own namespace (no <c>xmlns</c> on the root) without the root's <c>from</c> and
    /// <c>to</c>, for <see cref="Element.KeepSerialisedForm"/>; returns where the root's start tag ends (its <c>&gt;</c>
    /// or <c>/&gt;</c>) and where its end tag starts (-1 for an empty-element tag).
    /// </summary>
    internal static (int AttributesEnd, int CloseTagStart) WriteUnaddressed(Element e, ArrayBufferWriter<byte> output)
    {
        output.Write(Lt);
        WriteUtf8(output, e.Name);
        foreach (var a in e.Attributes)
        {
            if (a.Key is "from" or "to")
            {
                continue;
            }

            output.Write(" "u8);
            WriteUtf8(output, a.Key);
            output.Write("='"u8);
            WriteEscaped(output, a.Value, attribute: true);
            output.Write("'"u8);
        }

        var attributesEnd = output.WrittenCount;
        if (!e.HasNodes)
        {
            output.Write(SlashGt);
            return (attributesEnd, -1);
        }

        output.Write(Gt);
        foreach (var n in e.Nodes)
        {
            if (n is Element child)
            {
                WriteElement(child, output, e.Namespace);
            }
            else
            {
                WriteEscaped(output, (string)n, attribute: false);
            }
        }

        var closeTagStart = output.WrittenCount;
        output.Write(LtSlash);
        WriteUtf8(output, e.Name);
        output.Write(Gt);
        return (attributesEnd, closeTagStart);
    }

    /// <summary>
    /// Writes the opening <c>&lt;stream:stream&gt;</c> tag (never closed by this call, as RFC 6120 §4.2 requires),
    /// preceded by the XML declaration.
    /// </summary>
    public static void WriteStreamHeader(IBufferWriter<byte> output, string contentNamespace, string? from, string? to, string? id, string? version = "1.0", string? lang = "en")
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("<?xml version='1.0'?><stream:stream xmlns='"u8);
        WriteEscaped(output, contentNamespace, attribute: true);
        output.Write("' xmlns:stream='http://etherx.jabber.org/streams'"u8);
        WriteAttribute(output, "from", from);
        WriteAttribute(output, "to", to);
        WriteAttribute(output, "id", id);
        WriteAttribute(output, "version", version);
        WriteAttribute(output, "xml:lang", lang);
        output.Write(">"u8);
    }

    /// <summary>
    /// Writes the opening tag of a server-to-server stream (<c>jabber:server</c>), declaring the <c>db:</c> prefix of
    /// Server Dialback (XEP-0220 §2.1: peers that only speak dialback look for the declaration on the header).
    /// </summary>
    public static void WriteServerStreamHeader(IBufferWriter<byte> output, string? from, string? to, string? id)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams'"u8);
        WriteAttribute(output, "from", from);
        WriteAttribute(output, "to", to);
        WriteAttribute(output, "id", id);
        WriteAttribute(output, "version", "1.0");
        output.Write(">"u8);
    }

    /// <summary>Writes the closing <c>&lt;/stream:stream&gt;</c> tag.</summary>
    public static void WriteStreamFooter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write("</stream:stream>"u8);
    }

    /// <summary>Serialises an element to a string, in the <c>jabber:client</c> default namespace (tests, logs, storage).</summary>
    public static string ToXmlString(Element element, string parentNamespace = Ns.Client)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(element, buffer, parentNamespace);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteAttribute(IBufferWriter<byte> output, string name, string? value)
    {
        if (value is null)
        {
            return;
        }

        output.Write(" "u8);
        WriteUtf8(output, name);
        output.Write("='"u8);
        WriteEscaped(output, value, attribute: true);
        output.Write("'"u8);
    }

    private static void WriteUtf8(IBufferWriter<byte> output, string s)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        var n = Encoding.UTF8.GetBytes(s, span);
        output.Advance(n);
    }

    /// <summary>
    /// Escapes the characters that would break XML or not survive a round trip: &amp;, &lt; and &gt; always (&gt; for
    /// the <c>]]&gt;</c> case), CR always, quotes, tabs and line feeds in attributes.
    /// </summary>
    private static void WriteEscaped(IBufferWriter<byte> output, string s, bool attribute)
    {
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            ReadOnlySpan<byte> entity;
            switch (s[i])
            {
                case '&': entity = "&amp;"u8; break;
                case '<': entity = "&lt;"u8; break;
                case '>': entity = "&gt;"u8; break;
                case '\'' when attribute: entity = "&apos;"u8; break;
                case '"' when attribute: entity = "&quot;"u8; break;
                // XML 1.0 §3.3.3 and §2.11: a literal tab or line end in an attribute comes back as a space, and a
                // literal CR in text as LF, so they are written as character references to survive the round trip.
                case '\t' when attribute: entity = "&#9;"u8; break;
                case '\n' when attribute: entity = "&#10;"u8; break;
                case '\r': entity = "&#13;"u8; break;
                default: continue;
            }

            if (i > start)
            {
                WriteUtf8Slice(output, s.AsSpan(start, i - start));
            }

            output.Write(entity);
            start = i + 1;
        }

        if (start < s.Length)
        {
            WriteUtf8Slice(output, s.AsSpan(start));
        }
    }

    private static void WriteUtf8Slice(IBufferWriter<byte> output, ReadOnlySpan<char> chars)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(chars.Length));
        var n = Encoding.UTF8.GetBytes(chars, span);
        output.Advance(n);
    }
}
