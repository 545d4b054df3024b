namespace Rookery.Protocol.Xml;

/// <summary>
/// Resource limits that <see cref="XmlStreamParser"/> enforces on a peer's stream; exceeding one is a
/// <c>policy-violation</c> stream error, so a hostile peer cannot make the server buffer or recurse without bound.
/// </summary>
public sealed record XmlLimits
{
    /// <summary>The limits used when none are given: 256 KiB stanzas, 64 levels of nesting, 64 attributes per element.</summary>
    public static XmlLimits Default { get; } = new();

    /// <summary>
    /// Largest top-level element (stanza) in bytes, counted from its first byte to its last, including bytes still
    /// waiting in an incomplete token; also bounds the stream header.
    /// </summary>
    public int MaxStanzaBytes { get; init; } = 262144;

    /// <summary>Deepest element nesting inside a stanza (the stanza itself is level 1).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Most attributes (namespace declarations included) on one element.</summary>
    public int MaxAttributes { get; init; } = 64;
}
