using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// Mediated invitations and declines (XEP-0045 §7.8.2). Direct invitations (XEP-0249) go from client to client and
/// never reach the room.
/// </summary>
internal sealed partial class MucRoom
{
    private async ValueTask InviteOrDeclineAsync(Element userX, Jid from, CancellationToken ct)
    {
        var invites = userX.Elements().Where(e => e.Name == "invite" && e.Namespace == MucNs.User).ToList();
        var decline = userX.Child("decline", MucNs.User);
        if (invites.Count == 0 && decline is null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Nothing to do: no invite and no decline");
        }

        if (decline is not null)
        {
            await DeclineAsync(decline, from);
        }

        if (invites.Count == 0)
        {
            return;
        }

        var inviter = FindOccupant(from)
            ?? throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Only occupants may invite");
        var affiliation = ActorAffiliation(from);
        if (!Config.AllowInvites && affiliation < MucAffiliation.Admin)
        {
            // muc#roomconfig_allowinvites: without it, only admins and owners invite.
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only admins may invite to this room");
        }

        var invitees = new List<(Jid Jid, string? Reason)>();
        foreach (var invite in invites)
        {
            if (!Jid.TryParse(invite.GetAttribute("to"), out var invitee))
            {
                throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, "An invitation needs a valid 'to'");
            }

            invitees.Add((invitee, invite.ChildText("reason", MucNs.User)));
        }

        foreach (var (invitee, reason) in invitees)
        {
            if (Config.MembersOnly && AffiliationOf(invitee) < MucAffiliation.Member && AffiliationOf(invitee) != MucAffiliation.Outcast)
            {
                // §7.8.2 and §9.3: inviting someone to a members-only room makes them a member.
                await SetAffiliationAsync(invitee.Bare, MucAffiliation.Member, null, inviter.Nick, ct);
            }

            var message = new Element("message", Ns.Client).SetAttribute("id", Guid.NewGuid().ToString("N"));
            var x = message.AddChild("x", MucNs.User);
            // §7.8.2: the invitee learns who invited (the real JID: the inviter chose to reveal it by inviting).
            var inv = x.AddChild("invite").SetAttribute("from", from.ToString());
            if (reason is not null)
            {
                inv.AddChild("reason").AddText(reason);
            }

            if (Config.PasswordProtected)
            {
                x.AddChild("password").AddText(Config.Password);
            }

            message.AddChild("body").AddText($"{from.Bare} invites you to the room {Jid}" + (reason is null ? string.Empty : ": " + reason));
            await _service.Sink.SendAsync(message, Jid, invitee);
        }
    }

    /// <summary>§7.8.2: a decline goes back to the inviter, from the room, naming who declined.</summary>
    private async ValueTask DeclineAsync(Element decline, Jid from)
    {
        if (!Jid.TryParse(decline.GetAttribute("to"), out var inviter))
        {
            throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, "A decline needs a valid 'to'");
        }

        var message = new Element("message", Ns.Client).SetAttribute("id", Guid.NewGuid().ToString("N"));
        var d = message.AddChild("x", MucNs.User).AddChild("decline").SetAttribute("from", from.Bare.ToString());
        if (decline.ChildText("reason", MucNs.User) is { } reason)
        {
            d.AddChild("reason").AddText(reason);
        }

        await _service.Sink.SendAsync(message, Jid, inviter);
    }
}
