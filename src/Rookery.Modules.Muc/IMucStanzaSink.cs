using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// Where a MUC service sends the stanzas it emits. In process it is the server's router; behind a XEP-0114 component
/// connection it is that connection. The room logic sees nothing else of the server, so it runs unchanged in both.
/// </summary>
public interface IMucStanzaSink
{
    /// <summary>
    /// Sends <paramref name="stanza"/> from <paramref name="sender"/> to <paramref name="recipient"/> (the sink stamps both
    /// attributes). The sink owns the element afterwards: the caller passes a fresh one per recipient.
    /// </summary>
    ValueTask SendAsync(Element stanza, Jid sender, Jid recipient);
}
