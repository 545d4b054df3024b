using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>Registering with a room (XEP-0045 §7.10): a user becomes a member with a reserved nick.</summary>
internal sealed partial class MucRoom
{
    private Element RegisterGet(Jid from)
    {
        var query = new Element("query", MucNs.IqRegister);
        if (ReservedNickOf(from) is { } nick)
        {
            // XEP-0077 §3.1: an already registered user is told so, with the registered nick.
            query.AddChild("registered");
            query.AddChild("username").AddText(nick);
            return query;
        }

        RequireRegistrationOpen(from);
        query.AddChild("instructions").AddText("Choose the nick to reserve in this room.");
        var form = DataForm.Create("form", MucNs.Register, "Registration with " + Jid);
        DataForm.Field(form, "muc#register_roomnick", "text-single", "Nick", []).AddChild("required");
        query.Add(form);
        return query;
    }

    private async ValueTask<Element?> RegisterSetAsync(Element query, Jid from, CancellationToken ct)
    {
        if (query.Child("remove", MucNs.IqRegister) is not null)
        {
            // XEP-0077 §3.2 applied to rooms: the user drops the reservation and the membership it brought.
            if (_affiliations.TryGetValue(from.Bare, out var entry))
            {
                var affiliation = entry.Affiliation == MucAffiliation.Member ? MucAffiliation.None : entry.Affiliation;
                _affiliations[from.Bare] = entry with { Affiliation = affiliation, Nick = null };
                await SetAffiliationAsync(from.Bare, affiliation, null, null, ct);
            }

            return null;
        }

        RequireRegistrationOpen(from);
        var form = query.Child("x", MucNs.DataForms)
            ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Submit the registration form");
        var fields = DataForm.Read(form, MucNs.Register);
        var nick = fields.TryGetValue("muc#register_roomnick", out var v) ? DataForm.Single("muc#register_roomnick", v) : string.Empty;
        if (nick.Length == 0)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "A nick is required");
        }

        try
        {
            nick = Jid.WithResource(nick).Resource!;
        }
        catch (FormatException)
        {
            throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, "That nick cannot be used");
        }

        var owner = NickOwner(nick);
        if ((owner is not null && owner != from.Bare) || (_byNick.TryGetValue(nick, out var holder) && holder.RealJid.Bare != from.Bare))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Conflict, "That nick is taken");
        }

        var current = AffiliationOf(from);
        var entryNew = new AffiliationEntry(current < MucAffiliation.Member ? MucAffiliation.Member : current, null, nick);
        _affiliations[from.Bare] = entryNew;
        if (IsStored)
        {
            await _service.SaveAffiliationAsync(this, from.Bare, entryNew, ct);
        }

        return null;
    }

    private void RequireRegistrationOpen(Jid from)
    {
        if (AffiliationOf(from) == MucAffiliation.Outcast)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "You are banned from this room");
        }

        if (!Config.AllowRegistration || (Config.MembersOnly && AffiliationOf(from) < MucAffiliation.Member))
        {
            // §7.10: a room that does not take registrations says so.
            throw new StanzaErrorException(StanzaErrorCondition.NotAllowed, "This room does not take registrations");
        }
    }
}
