using System.Text;
using Rookery.Protocol.Addressing;

namespace Rookery.Cluster.Links;

/// <summary>
/// A stanza forwarded to a peer and not acknowledged yet: re-sent on the next link, re-routed if the peer dies. The
/// stanza's XML is kept only inside the frame's payload (<see cref="XmlRange"/>), not a second time as a string: it is
/// read back only in the rare case that the stanza is routed again here.
/// </summary>
internal sealed record PendingStanza(long Sequence, Jid Target, Frame Frame, Range XmlRange)
{
    /// <summary>The stanza's XML, decoded from the frame's payload.</summary>
    public string Xml => Encoding.UTF8.GetString(Frame.Payload.Span[XmlRange]);

    /// <summary>A pending stanza whose frame payload ends with the XML's UTF-8 bytes (the last field of every stanza frame).</summary>
    public static PendingStanza XmlAtEnd(long sequence, Jid target, Frame frame, string xml) =>
        new(sequence, target, frame, new Range(frame.Payload.Length - Encoding.UTF8.GetByteCount(xml), frame.Payload.Length));
}
