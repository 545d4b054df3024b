using System.Buffers;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;

namespace Rookery.Cluster.Links;

/// <summary>
/// Parses the stanzas one link forwards (STANZA frames) as one long <c>jabber:client</c> stream: one parser per link
/// instead of a new parser, header copy and UTF-16 round trip per stanza (<c>StoredStanza.Parse</c>), and the received
/// bytes kept (<see cref="XmlStreamParser.KeepWireForms"/>) so the local client's writer copies them instead of
/// serialising the tree again. Cross-node delivery pays this on every message (issue #4's cross-node throughput).
/// Used by the link's reader only, one frame at a time.
/// </summary>
internal sealed class ForwardedStanzaParser
{
    private static readonly byte[] Header = StoredStanza.ClientStreamHeader.ToArray();

    private XmlStreamParser _parser = Open();

    /// <summary>Parses one serialised stanza.</summary>
    /// <exception cref="FormatException">The bytes are not exactly one well-formed element; the next call starts afresh.</exception>
    public Element Parse(ReadOnlyMemory<byte> utf8)
    {
        var buffer = new ReadOnlySequence<byte>(utf8);
        try
        {
            while (_parser.TryRead(ref buffer, out var ev))
            {
                if (ev.Kind == XmlStreamEventKind.Element && ev.Element is not null)
                {
                    if (!buffer.IsEmpty)
                    {
                        break;
                    }

                    return ev.Element;
                }
            }
        }
        catch (StreamErrorException e)
        {
            _parser = Open();
            throw new FormatException("Forwarded stanza is not well-formed: " + e.Message, e);
        }

        // Incomplete, or more than one element: the parser's position is no longer a stanza boundary.
        _parser = Open();
        throw new FormatException("Forwarded stanza is not exactly one element");
    }

    private static XmlStreamParser Open()
    {
        // A frame is at most FrameCodec.MaxFrameBytes; the peer already applied the client limits when it accepted the stanza.
        var parser = new XmlStreamParser(new XmlLimits { MaxStanzaBytes = FrameCodec.MaxFrameBytes }) { KeepWireForms = true };
        var header = new ReadOnlySequence<byte>(Header);
        while (parser.TryRead(ref header, out _))
        {
        }

        return parser;
    }
}
