using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>What the service itself answers (XEP-0045 §6.1–§6.3): its identity and features, and the public rooms.</summary>
public sealed partial class MucService
{
    private async ValueTask HandleServiceStanzaAsync(Element stanza, Jid from, Jid to)
    {
        switch (stanza.Name)
        {
            case "iq":
                var type = stanza.GetAttribute("type");
                if (type is not ("get" or "set"))
                {
                    return;
                }

                var payload = stanza.FirstElement();
                Element? result;
                switch (payload?.Namespace, payload?.Name, type)
                {
                    case (MucNs.DiscoInfo, "query", "get"):
                        if (payload!.GetAttribute("node") is not null)
                        {
                            await BounceAsync(stanza, from, to, StanzaErrorCondition.ItemNotFound);
                            return;
                        }

                        result = ServiceInfo();
                        break;
                    case (MucNs.DiscoItems, "query", "get"):
                        if (payload!.GetAttribute("node") is not null)
                        {
                            await BounceAsync(stanza, from, to, StanzaErrorCondition.ItemNotFound);
                            return;
                        }

                        result = ServiceItems();
                        break;
                    case (MucNs.Ping, "ping", "get"):
                        result = null;
                        break;
                    default:
                        await BounceAsync(stanza, from, to, StanzaErrorCondition.ServiceUnavailable);
                        return;
                }

                var reply = new Element("iq", stanza.Namespace).SetAttribute("type", "result").SetAttribute("id", stanza.GetAttribute("id"));
                if (result is not null)
                {
                    reply.Add(result);
                }

                await Sink.SendAsync(reply, to, from);
                return;

            case "message":
                await BounceAsync(stanza, from, to, StanzaErrorCondition.ServiceUnavailable, "Send messages to a room, not to the service");
                return;
        }
    }

    private static Element ServiceInfo()
    {
        var query = new Element("query", MucNs.DiscoInfo);
        query.AddChild("identity").SetAttribute("category", "conference").SetAttribute("type", "text").SetAttribute("name", "Chatrooms");
        foreach (var feature in new[] { MucNs.DiscoInfo, MucNs.DiscoItems, MucNs.Muc, MucNs.OccupantId, MucNs.Ping })
        {
            query.AddChild("feature").SetAttribute("var", feature);
        }

        return query;
    }

    /// <summary>§6.3: only public, unlocked rooms are listed.</summary>
    private Element ServiceItems()
    {
        var query = new Element("query", MucNs.DiscoItems);
        foreach (var room in _rooms.Values.Where(r => r.IsListed && !r.Destroyed).OrderBy(r => r.Jid.ToString(), StringComparer.Ordinal))
        {
            var name = room.Config.Name;
            query.AddChild("item").SetAttribute("jid", room.Jid.ToString()).SetAttribute("name", string.IsNullOrEmpty(name) ? room.Jid.Local : name);
        }

        return query;
    }
}
