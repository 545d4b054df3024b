using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// Room configuration by owners (XEP-0045 §10.1–§10.2): the <c>muc#roomconfig</c> form with every field, instant and
/// reserved rooms, cancelling the initial configuration, and the status-code notices a change triggers (§10.2.1).
/// </summary>
internal sealed partial class MucRoom
{
    private const string Prefix = "muc#roomconfig_";

    private Element OwnerGet(Jid from)
    {
        RequireOwner(from);
        var query = new Element("query", MucNs.Owner);
        query.Add(ConfigForm());
        return query;
    }

    private async ValueTask<Element?> OwnerSetAsync(Element query, Jid from, CancellationToken ct)
    {
        RequireOwner(from);
        if (query.Child("destroy", MucNs.Owner) is { } destroy)
        {
            await DestroyAsync(destroy, ct);
            return null;
        }

        var form = query.Child("x", MucNs.DataForms)
            ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Submit a configuration form or a destroy request");
        switch (form.GetAttribute("type"))
        {
            case "cancel":
                // §10.1.3: cancelling the initial configuration of a new room destroys it.
                if (Locked)
                {
                    await DestroyAsync(new Element("destroy", MucNs.Owner), ct);
                }

                return null;

            case "submit":
                await ApplyConfigAsync(DataForm.Read(form, MucNs.RoomConfig), ct);
                return null;

            default:
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "The form type must be submit or cancel");
        }
    }

    private void RequireOwner(Jid from)
    {
        if (AffiliationOf(from) != MucAffiliation.Owner && !_service.IsAdmin(from))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only owners may configure or destroy the room");
        }
    }

    /// <summary>§15.5.3: every field, filled with the current configuration.</summary>
    private Element ConfigForm()
    {
        var c = Config;
        var form = DataForm.Create("form", MucNs.RoomConfig, "Configuration of " + Jid);
        DataForm.Field(form, Prefix + "roomname", "text-single", "Room name", c.Name);
        DataForm.Field(form, Prefix + "roomdesc", "text-single", "Description", c.Description);
        DataForm.Field(form, Prefix + "changesubject", "Allow occupants to change the subject", c.ChangeSubject);
        DataForm.Field(
            form, Prefix + "maxusers", "list-single", "Maximum number of occupants",
            [c.MaxUsers > 0 ? c.MaxUsers.ToString(CultureInfo.InvariantCulture) : "none"],
            [("10", "10"), ("20", "20"), ("30", "30"), ("50", "50"), ("100", "100"), ("500", "500"), ("1000", "1000"), ("No limit", "none")]);
        DataForm.Field(
            form, Prefix + "presencebroadcast", "list-multi", "Roles whose presence is broadcast",
            c.PresenceBroadcast.Select(r => r.ToWireName()),
            [("Moderator", "moderator"), ("Participant", "participant"), ("Visitor", "visitor")]);
        DataForm.Field(form, Prefix + "publicroom", "List the room in the directory", c.Public);
        DataForm.Field(form, Prefix + "persistentroom", "Make the room persistent", c.Persistent);
        DataForm.Field(form, Prefix + "moderatedroom", "Make the room moderated", c.Moderated);
        DataForm.Field(form, Prefix + "membersonly", "Make the room members-only", c.MembersOnly);
        DataForm.Field(form, Prefix + "allowinvites", "Allow occupants to invite others", c.AllowInvites);
        DataForm.Field(form, Prefix + "passwordprotectedroom", "A password is required to enter", c.PasswordProtected);
        DataForm.Field(form, Prefix + "roomsecret", "text-private", "Password", c.Password);
        DataForm.Field(
            form, Prefix + "whois", "list-single", "Who may discover real JIDs",
            [c.Whois == MucWhois.Anyone ? "anyone" : "moderators"],
            [("Moderators only", "moderators"), ("Anyone", "anyone")]);
        DataForm.Field(form, Prefix + "enablelogging", "Log (archive) the room's messages", c.Logging);
        DataForm.Field(form, "x-" + Prefix + "reservednick", "Only registered nicks may enter", c.ReservedNicksOnly);
        DataForm.Field(form, "x-" + Prefix + "canchangenick", "Allow occupants to change their nick", c.CanChangeNick);
        DataForm.Field(form, "x-" + Prefix + "registration", "Allow users to register with the room", c.AllowRegistration);
        DataForm.Field(form, Prefix + "roomadmins", "jid-multi", "Room admins", AffiliatedJids(MucAffiliation.Admin));
        DataForm.Field(form, Prefix + "roomowners", "jid-multi", "Room owners", AffiliatedJids(MucAffiliation.Owner));
        return form;
    }

    private List<string> AffiliatedJids(MucAffiliation affiliation) =>
        [.. _affiliations.Where(a => a.Value.Affiliation == affiliation).Select(a => a.Key.ToString()).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Applies a submitted form: fields left out keep their value (§10.2: an empty submission accepts an instant
    /// room's defaults). Everything is checked before anything changes.
    /// </summary>
    private async ValueTask ApplyConfigAsync(Dictionary<string, List<string>> fields, CancellationToken ct)
    {
        var old = Config;
        var c = old.Clone();
        List<Jid>? admins = null, owners = null;
        foreach (var (var, values) in fields)
        {
            switch (var)
            {
                case "FORM_TYPE":
                    break;
                case Prefix + "roomname":
                    c.Name = DataForm.Single(var, values);
                    break;
                case Prefix + "roomdesc":
                    c.Description = DataForm.Single(var, values);
                    break;
                case Prefix + "changesubject":
                    c.ChangeSubject = DataForm.ParseBoolean(var, values);
                    break;
                case Prefix + "maxusers":
                    var max = DataForm.Single(var, values);
                    c.MaxUsers = max is "" or "none" ? 0
                        : int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                        : throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "maxusers must be a positive number or 'none'");
                    break;
                case Prefix + "presencebroadcast":
                    c.PresenceBroadcast = [.. values.Select(v => MucNames.TryParseRole(v, out var r) && r != MucRole.None
                        ? r
                        : throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"'{v}' is not a role")).Distinct()];
                    break;
                case Prefix + "publicroom":
                    c.Public = DataForm.ParseBoolean(var, values);
                    break;
                case Prefix + "persistentroom":
                    c.Persistent = DataForm.ParseBoolean(var, values);
                    break;
                case Prefix + "moderatedroom":
                    c.Moderated = DataForm.ParseBoolean(var, values);
                    break;
                case Prefix + "membersonly":
                    c.MembersOnly = DataForm.ParseBoolean(var, values);
                    break;
                case Prefix + "allowinvites":
                    c.AllowInvites = DataForm.ParseBoolean(var, values);
                    break;
                case Prefix + "passwordprotectedroom":
                    c.PasswordProtected = DataForm.ParseBoolean(var, values);
                    break;
                case Prefix + "roomsecret":
                    c.Password = DataForm.Single(var, values);
                    break;
                case Prefix + "whois":
                    c.Whois = DataForm.Single(var, values) switch
                    {
                        "anyone" => MucWhois.Anyone,
                        "moderators" => MucWhois.Moderators,
                        _ => throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "whois must be 'moderators' or 'anyone'"),
                    };
                    break;
                case Prefix + "enablelogging":
                    c.Logging = DataForm.ParseBoolean(var, values);
                    break;
                case "x-" + Prefix + "reservednick":
                    c.ReservedNicksOnly = DataForm.ParseBoolean(var, values);
                    break;
                case "x-" + Prefix + "canchangenick":
                    c.CanChangeNick = DataForm.ParseBoolean(var, values);
                    break;
                case "x-" + Prefix + "registration":
                    c.AllowRegistration = DataForm.ParseBoolean(var, values);
                    break;
                case Prefix + "roomadmins":
                    admins = ParseJids(var, values);
                    break;
                case Prefix + "roomowners":
                    owners = ParseJids(var, values);
                    break;
                default:
                    // XEP-0004 §3.4 lets a service ignore fields it does not know; a typo in a known one is an error above.
                    break;
            }
        }

        if (c.PasswordProtected && c.Password.Length == 0)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "A password-protected room needs a password (muc#roomconfig_roomsecret)");
        }

        if (owners is { Count: 0 })
        {
            // §10.9: a room always has an owner.
            throw new StanzaErrorException(StanzaErrorCondition.Conflict, "A room needs at least one owner");
        }

        // §10.2: occupants whose affiliation the admin or owner lists change get updated presence, so remember them.
        var affiliationsBefore = Occupants().ToDictionary(o => o, o => AffiliationOf(o.RealJid));
        Config = c;
        var wasLocked = Locked;
        Locked = false;
        if (owners is not null)
        {
            ReplaceAffiliationList(MucAffiliation.Owner, owners);
        }

        if (admins is not null)
        {
            ReplaceAffiliationList(MucAffiliation.Admin, admins.Where(a => owners?.Contains(a) != true));
        }

        if (old.Persistent && !c.Persistent && !_service.IsClustered)
        {
            await _service.DeleteStoredRoomAsync(this, ct);
        }
        else
        {
            await SaveAsync(ct);
        }

        await AfterConfigChangeAsync(old, c, wasLocked, affiliationsBefore);
    }

    private static List<Jid> ParseJids(string var, List<string> values) =>
        [.. values.Where(v => v.Length > 0).Select(v => Jid.TryParse(v, out var j) ? j.Bare
            : throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, $"'{v}' in {var} is not a JID")).Distinct()];

    /// <summary>Makes exactly <paramref name="jids"/> hold <paramref name="affiliation"/>; those dropped become members.</summary>
    private void ReplaceAffiliationList(MucAffiliation affiliation, IEnumerable<Jid> jids)
    {
        var wanted = jids.ToHashSet();
        foreach (var (jid, entry) in _affiliations.ToList())
        {
            if (entry.Affiliation == affiliation && !wanted.Contains(jid))
            {
                _affiliations[jid] = entry with { Affiliation = MucAffiliation.Member };
            }
        }

        foreach (var jid in wanted)
        {
            _affiliations[jid] = new AffiliationEntry(affiliation, null, _affiliations.GetValueOrDefault(jid)?.Nick);
        }
    }

    /// <summary>
    /// §10.2.1: occupants hear of privacy-related changes by status code; roles follow the new affiliations and the
    /// moderation setting; a room that turned members-only removes non-members (§9.9 status 322). An occupant who gained
    /// or lost admin or owner status through the form gets updated presence even when its role stays (§10.2).
    /// </summary>
    private async ValueTask AfterConfigChangeAsync(RoomConfig old, RoomConfig c, bool wasLocked, Dictionary<Occupant, MucAffiliation> affiliationsBefore)
    {
        foreach (var o in Occupants())
        {
            var affiliation = AffiliationOf(o.RealJid);
            var previous = affiliationsBefore.GetValueOrDefault(o, affiliation);
            if (c.MembersOnly && affiliation < MucAffiliation.Member && !_service.IsAdmin(o.RealJid))
            {
                await RemoveOccupantAsync(o, new PresenceNotice { Statuses = [322] });
                continue;
            }

            // Roles granted explicitly stay (a participant given voice keeps it); only what the change implies moves.
            var role = o.Role;
            if (affiliation >= MucAffiliation.Admin || _service.IsAdmin(o.RealJid))
            {
                role = MucRole.Moderator;
            }
            else if (previous >= MucAffiliation.Admin && role == MucRole.Moderator)
            {
                // The moderator role came with the admin or owner status just lost (as in SetAffiliationAsync, §10.7).
                role = DefaultRole(affiliation);
            }
            else if (c.Moderated && !old.Moderated && affiliation < MucAffiliation.Member && role == MucRole.Participant)
            {
                role = MucRole.Visitor;
            }
            else if (!c.Moderated && role == MucRole.Visitor)
            {
                role = MucRole.Participant;
            }

            if (role != o.Role || affiliation != previous)
            {
                o.Role = role;
                await PersistOccupantAsync(o);
                await BroadcastPresenceAsync(o, new PresenceNotice());
            }
        }

        if (wasLocked)
        {
            return;
        }

        var codes = new List<int> { 104 };
        if (old.Logging != c.Logging)
        {
            codes.Add(c.Logging ? 170 : 171);
        }

        if (old.Whois != c.Whois)
        {
            codes.Add(c.Whois == MucWhois.Anyone ? 172 : 173);
        }

        await NotifyAsync([.. codes]);
    }
}
