using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// Voice requests in moderated rooms (XEP-0045 §7.13 and §8.6): a visitor submits a <c>muc#request</c> form to the room,
/// the room sends every moderator an approval form, and a moderator who submits it with <c>muc#request_allow</c> true
/// grants the occupant voice (the participant role).
/// </summary>
internal sealed partial class MucRoom
{
    /// <summary>Whether a message to the room carries a voice request or its approval (a form of FORM_TYPE muc#request).</summary>
    private static Element? VoiceRequestForm(Element message)
    {
        foreach (var x in message.Elements())
        {
            if (x.Name == "x" && x.Namespace == MucNs.DataForms)
            {
                foreach (var field in x.Elements())
                {
                    if (field.Name == "field" && field.GetAttribute("var") == "FORM_TYPE" && field.ChildText("value", MucNs.DataForms) == MucNs.Request)
                    {
                        return x;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>§7.13 (request from a visitor) or §8.6 (a moderator's answer), told apart by <c>muc#request_allow</c>.</summary>
    private async ValueTask OnVoiceFormAsync(Element form, Jid from)
    {
        var fields = DataForm.Read(form, MucNs.Request);
        var sender = FindOccupant(from)
            ?? throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Only occupants may request voice");
        if (fields.ContainsKey("muc#request_allow"))
        {
            await ApproveVoiceAsync(fields, sender);
            return;
        }

        if (fields.TryGetValue("muc#role", out var role) && DataForm.Single("muc#role", role) is not ("participant" or ""))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Only voice (the participant role) can be requested");
        }

        if (sender.Role != MucRole.Visitor)
        {
            // §7.13: only a visitor lacks voice; anyone else has nothing to ask for.
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "You already have voice in this room");
        }

        // §8.6 example 104: the approval form, one per moderator, naming the requester by real JID and nick.
        foreach (var moderator in Occupants())
        {
            if (moderator.Role != MucRole.Moderator)
            {
                continue;
            }

            var approval = DataForm.Create("form", MucNs.Request, "Voice request");
            approval.AddChild("instructions").AddText($"To approve this request for voice, select the \"Grant voice to this person?\" checkbox and click OK. To skip this request, click the cancel button.");
            DataForm.Field(approval, "muc#role", "list-single", "Requested role", "participant");
            DataForm.Field(approval, "muc#jid", "jid-single", "User ID", sender.RealJid.ToString());
            DataForm.Field(approval, "muc#roomnick", "text-single", "Room Nickname", sender.Nick);
            DataForm.Field(approval, "muc#request_allow", "Grant voice to this person?", false);
            var message = new Element("message", Ns.Client).SetAttribute("id", Guid.NewGuid().ToString("N"));
            message.Add(approval);
            await _service.Sink.SendAsync(message, Jid, moderator.RealJid);
        }
    }

    /// <summary>§8.6: a moderator's submitted approval form; true grants voice, false (or no answer) leaves things as they are.</summary>
    private async ValueTask ApproveVoiceAsync(Dictionary<string, List<string>> fields, Occupant moderator)
    {
        if (moderator.Role != MucRole.Moderator)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only moderators may grant voice");
        }

        if (!DataForm.ParseBoolean("muc#request_allow", fields["muc#request_allow"]))
        {
            return;
        }

        var nick = fields.TryGetValue("muc#roomnick", out var nicks) ? DataForm.Single("muc#roomnick", nicks) : string.Empty;
        Occupant? target = null;
        if (nick.Length > 0)
        {
            _byNick.TryGetValue(nick, out target);
        }
        else if (fields.TryGetValue("muc#jid", out var jids) && Jid.TryParse(DataForm.Single("muc#jid", jids), out var jid))
        {
            target = FindOccupant(jid);
        }

        if (target is null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "That occupant is no longer in the room");
        }

        if (target.Role == MucRole.Visitor)
        {
            target.Role = MucRole.Participant;
            await PersistOccupantAsync(target);
            await BroadcastPresenceAsync(target, new PresenceNotice { ActorNick = moderator.Nick });
        }
    }
}
