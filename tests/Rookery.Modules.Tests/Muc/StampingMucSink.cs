using Rookery.Modules.Muc;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;

namespace Rookery.Modules.Tests.Muc;

/// <summary>Stamps both addresses as the router and the component sink do, and keeps what was sent.</summary>
internal sealed class StampingMucSink : IMucStanzaSink
{
    public List<(Element Stanza, Jid From, Jid To)> Sent { get; } = [];

    public ValueTask SendAsync(Element stanza, Jid sender, Jid recipient)
    {
        stanza.SetAttribute("from", sender.ToString()).SetAttribute("to", recipient.ToString());
        Sent.Add((stanza, sender, recipient));
        return ValueTask.CompletedTask;
    }

    public List<(Element Stanza, Jid From, Jid To)> To(Jid recipient) => [.. Sent.Where(s => s.To == recipient)];

    /// <summary>Hands <paramref name="xml"/> to the service as a client's stanza, its addresses stamped as the router does.</summary>
    public static ValueTask SendAsync(MucService service, Jid from, Jid to, string xml)
    {
        var stanza = StoredStanza.Parse(xml);
        stanza.SetAttribute("from", from.ToString()).SetAttribute("to", to.ToString());
        return service.HandleAsync(stanza, from, to);
    }
}
