using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// Iq addressed to an occupant (XEP-0045 §7.5 ends with it, XEP-0410 self-ping): a ping of one's own occupant JID is
/// answered by the room; other requests go to the occupant's client under an id of the room's, and the answer comes back
/// to the requester under the original id.
/// </summary>
internal sealed partial class MucRoom
{
    private readonly Dictionary<string, (string Id, Jid Requester, Jid RequesterRoomJid)> _pendingIq = new(StringComparer.Ordinal);

    private async ValueTask OnOccupantIqAsync(Element iq, Jid from, Jid to)
    {
        var type = iq.GetAttribute("type");
        var sender = FindOccupant(from);
        if (type is "result" or "error")
        {
            // An answer from an occupant's client to a request the room forwarded.
            if (iq.GetAttribute("id") is { } id && _pendingIq.Remove(id, out var pending) && sender is not null)
            {
                var answer = iq.Clone().SetAttribute("id", pending.Id);
                await _service.Sink.SendAsync(answer, sender.RoomJid, pending.Requester);
            }

            return;
        }

        if (sender is null)
        {
            if (iq.FirstElement() is { Name: "query", Namespace: MucNs.DiscoInfo or MucNs.DiscoItems })
            {
                // XEP-0045 §6.6: a non-occupant's disco request to an occupant JID MUST get bad-request.
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Only occupants may query other occupants");
            }

            // XEP-0410 §3: someone who is not (or no longer) an occupant learns it from not-acceptable.
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "You are not an occupant of this room");
        }

        if (!_byNick.TryGetValue(to.Resource!, out var target))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No occupant has that nick");
        }

        if (target == sender && iq.Child("ping", MucNs.Ping) is not null)
        {
            // XEP-0410 §3.2 (self-ping optimization): the room answers for the client that is still joined.
            var pong = new Element("iq", iq.Namespace).SetAttribute("type", "result").SetAttribute("id", iq.GetAttribute("id"));
            await _service.Sink.SendAsync(pong, to, from);
            return;
        }

        if (_pendingIq.Count >= 1000)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ResourceConstraint, "Too many requests to occupants are waiting");
        }

        var forwardedId = "muc-" + Guid.NewGuid().ToString("N");
        _pendingIq[forwardedId] = (iq.GetAttribute("id") ?? string.Empty, from, sender.RoomJid);
        var forwarded = iq.Clone().SetAttribute("id", forwardedId);
        await _service.Sink.SendAsync(forwarded, sender.RoomJid, target.RealJid);
    }
}
