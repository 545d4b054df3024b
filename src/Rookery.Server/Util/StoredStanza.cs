using System.Buffers;
using System.Text;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Util;

/// <summary>Turns stanzas kept in storage as XML text back into elements, with the same restricted parser as the wire.</summary>
public static class StoredStanza
{
    private static readonly byte[] Header = ClientStreamHeader.ToArray();

    /// <summary>
    /// The stream header stanzas serialised in <c>jabber:client</c> are parsed under (stored stanzas here, stanzas
    /// forwarded between cluster nodes), so that the parser sees the namespaces the writer left out.
    /// </summary>
    public static ReadOnlySpan<byte> ClientStreamHeader =>
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"u8;

    /// <summary>Parses one stanza serialised in the <c>jabber:client</c> namespace.</summary>
    /// <exception cref="FormatException">The text is not exactly one well-formed element.</exception>
    public static Element Parse(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var bytes = new byte[Header.Length + Encoding.UTF8.GetByteCount(xml)];
        Header.CopyTo(bytes, 0);
        Encoding.UTF8.GetBytes(xml, bytes.AsSpan(Header.Length));
        var buffer = new ReadOnlySequence<byte>(bytes);
        var parser = new XmlStreamParser(new XmlLimits { MaxStanzaBytes = Math.Max(bytes.Length, XmlLimits.Default.MaxStanzaBytes) });
        try
        {
            while (parser.TryRead(ref buffer, out var ev))
            {
                if (ev.Kind == XmlStreamEventKind.Element && ev.Element is not null)
                {
                    return ev.Element;
                }
            }
        }
        catch (Protocol.Errors.StreamErrorException e)
        {
            throw new FormatException("Stored stanza is not well-formed: " + e.Message, e);
        }

        throw new FormatException("Stored stanza is incomplete");
    }
}
