using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>Destroying a room (XEP-0045 §10.9): every occupant leaves with the reason and an alternate venue.</summary>
internal sealed partial class MucRoom
{
    private async ValueTask DestroyAsync(Element request, CancellationToken ct)
    {
        var destroy = new Element("destroy", MucNs.User);
        if (request.GetAttribute("jid") is { } venue)
        {
            if (!Jid.TryParse(venue, out var alternate))
            {
                throw new Protocol.Errors.StanzaErrorException(Protocol.Errors.StanzaErrorCondition.JidMalformed, "The alternate venue is not a JID");
            }

            destroy.SetAttribute("jid", alternate.ToString());
        }

        if (request.ChildText("reason", MucNs.Owner) is { } reason)
        {
            destroy.AddChild("reason").AddText(reason);
        }

        if (request.ChildText("password", MucNs.Owner) is { } password)
        {
            destroy.AddChild("password").AddText(password);
        }

        foreach (var o in Occupants())
        {
            await RemoveOccupantAsync(o, new PresenceNotice { Destroy = destroy, Affiliation = MucAffiliation.None });
        }

        await _service.DestroyRoomAsync(this, ct);
    }
}
