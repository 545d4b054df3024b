using System.Diagnostics.CodeAnalysis;

namespace Rookery.Protocol.Xml;

/// <summary>One event produced by <see cref="XmlStreamParser.TryRead"/>: a stream header, a top-level element, or the stream end.</summary>
[SuppressMessage("Performance", "CA1815:Override equals and operator equals on value types", Justification = "A transient result carrier, never compared.")]
public readonly struct XmlStreamEvent
{
    /// <summary>Creates an event of the given kind with its element (null for <see cref="XmlStreamEventKind.StreamClose"/>).</summary>
    public XmlStreamEvent(XmlStreamEventKind kind, Element? element)
    {
        Kind = kind;
        Element = element;
    }

    /// <summary>What happened on the stream.</summary>
    public XmlStreamEventKind Kind { get; }

    /// <summary>
    /// For <see cref="XmlStreamEventKind.StreamOpen"/>, the header as <c>{http://etherx.jabber.org/streams}stream</c> with its
    /// non-<c>xmlns</c> attributes; for <see cref="XmlStreamEventKind.Element"/>, the complete element; otherwise null.
    /// </summary>
    public Element? Element { get; }
}
