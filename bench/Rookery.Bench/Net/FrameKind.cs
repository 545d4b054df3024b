namespace Rookery.Bench.Net;

/// <summary>What <see cref="XmlFramer.TryRead"/> found.</summary>
internal enum FrameKind
{
    /// <summary>No complete construct in the buffer yet.</summary>
    None,

    /// <summary>The opening stream tag (<c>&lt;stream:stream ...&gt;</c>).</summary>
    StreamOpen,

    /// <summary>A complete top-level element (a stanza or a negotiation element).</summary>
    Element,

    /// <summary>The closing stream tag.</summary>
    StreamClose,
}
