namespace Rookery.Protocol.Xml;

/// <summary>What an <see cref="XmlStreamEvent"/> reports.</summary>
public enum XmlStreamEventKind
{
    /// <summary>The peer's <c>&lt;stream:stream&gt;</c> header was read (RFC 6120 §4.2).</summary>
    StreamOpen,

    /// <summary>A complete top-level element (a stanza or stream-level element such as <c>&lt;starttls/&gt;</c>) was read.</summary>
    Element,

    /// <summary>The peer closed its stream with <c>&lt;/stream:stream&gt;</c> (RFC 6120 §4.4).</summary>
    StreamClose,
}
