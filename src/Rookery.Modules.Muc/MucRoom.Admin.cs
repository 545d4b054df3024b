using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// Roles and affiliations (XEP-0045 §8 moderator and §9 admin use cases, §10.3–§10.8 owner lists): kick, voice,
/// moderator, ban, member, admin and owner lists, read and changed with <c>muc#admin</c> items.
/// </summary>
internal sealed partial class MucRoom
{
    private Element AdminGet(Element query, Jid from)
    {
        var item = query.Child("item", MucNs.Admin)
            ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Ask for a list with <item affiliation='…'/> or <item role='…'/>");
        var actor = ActorAffiliation(from);
        var actorRole = FindOccupant(from)?.Role ?? MucRole.None;
        var result = new Element("query", MucNs.Admin);
        if (item.GetAttribute("affiliation") is { } affiliationText)
        {
            if (!MucNames.TryParseAffiliation(affiliationText, out var affiliation) || affiliation == MucAffiliation.None)
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"'{affiliationText}' is not a list");
            }

            // §9.5, §9.8, §10.5, §10.8: admins read the member, ban and admin lists; owners every list.
            if (actor < MucAffiliation.Admin)
            {
                throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only admins and owners may read affiliation lists");
            }

            foreach (var (jid, entry) in _affiliations.OrderBy(a => a.Key.ToString(), StringComparer.Ordinal))
            {
                if (entry.Affiliation == affiliation)
                {
                    var i = result.AddChild("item").SetAttribute("affiliation", affiliation.ToWireName()).SetAttribute("jid", jid.ToString())
                        .SetAttribute("nick", entry.Nick);
                    if (entry.Reason is not null)
                    {
                        i.AddChild("reason").AddText(entry.Reason);
                    }
                }
            }

            return result;
        }

        if (item.GetAttribute("role") is { } roleText && MucNames.TryParseRole(roleText, out var role) && role != MucRole.None)
        {
            // §8.5: moderators read the voice list; §9.8: admins the moderator list.
            if (actorRole != MucRole.Moderator || (role == MucRole.Moderator && actor < MucAffiliation.Admin))
            {
                throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "You may not read that list");
            }

            foreach (var o in _byNick.Values.OrderBy(o => o.Nick, StringComparer.Ordinal))
            {
                if (o.Role == role)
                {
                    result.AddChild("item").SetAttribute("role", role.ToWireName()).SetAttribute("nick", o.Nick)
                        .SetAttribute("affiliation", AffiliationOf(o.RealJid).ToWireName()).SetAttribute("jid", o.RealJid.ToString());
                }
            }

            return result;
        }

        throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Ask for a list with <item affiliation='…'/> or <item role='…'/>");
    }

    /// <summary>An affiliation with service admins counted as owners (they manage every room).</summary>
    private MucAffiliation ActorAffiliation(Jid from) => _service.IsAdmin(from) ? MucAffiliation.Owner : AffiliationOf(from);

    private async ValueTask<Element?> AdminSetAsync(Element query, Jid from, CancellationToken ct)
    {
        var items = query.Elements().Where(e => e.Name == "item" && e.Namespace == MucNs.Admin).ToList();
        if (items.Count == 0)
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "No item to change");
        }

        // Everything is checked before anything changes, so a list either applies whole or not at all.
        var roleChanges = new List<(Occupant Target, MucRole Role, string? Reason)>();
        var affiliationChanges = new List<(Jid Target, MucAffiliation Affiliation, string? Reason)>();
        foreach (var item in items)
        {
            var reason = item.ChildText("reason", MucNs.Admin);
            if (item.GetAttribute("affiliation") is { } affiliationText)
            {
                if (!MucNames.TryParseAffiliation(affiliationText, out var affiliation))
                {
                    throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"'{affiliationText}' is not an affiliation");
                }

                Jid target;
                if (item.GetAttribute("jid") is { } jidText)
                {
                    target = Jid.TryParse(jidText, out var j) ? j.Bare : throw new StanzaErrorException(StanzaErrorCondition.JidMalformed);
                }
                else if (item.GetAttribute("nick") is { } nick && _byNick.TryGetValue(nick, out var byNick))
                {
                    target = byNick.RealJid.Bare;
                }
                else
                {
                    throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "An affiliation change names a jid (or the nick of an occupant)");
                }

                CheckAffiliationChange(from, target, affiliation, affiliationChanges);
                affiliationChanges.Add((target, affiliation, reason));
            }
            else if (item.GetAttribute("role") is { } roleText)
            {
                if (!MucNames.TryParseRole(roleText, out var role))
                {
                    throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"'{roleText}' is not a role");
                }

                var nick = item.GetAttribute("nick") ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A role change names the occupant's nick");
                var target = _byNick.GetValueOrDefault(nick)
                    ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No occupant has that nick");
                CheckRoleChange(from, target, role);
                roleChanges.Add((target, role, reason));
            }
            else
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "An item changes a role or an affiliation");
            }
        }

        var actorNick = FindOccupant(from)?.Nick;
        foreach (var (target, affiliation, reason) in affiliationChanges)
        {
            await SetAffiliationAsync(target, affiliation, reason, actorNick, ct);
        }

        foreach (var (target, role, reason) in roleChanges)
        {
            if (!_byRealJid.ContainsKey(target.RealJid))
            {
                continue;
            }

            if (role == MucRole.None)
            {
                // §8.2: a kick is unavailable presence with 307 to the kicked occupant and everyone else.
                await RemoveOccupantAsync(target, new PresenceNotice { Statuses = [307], ActorNick = actorNick, Reason = reason });
            }
            else if (target.Role != role)
            {
                target.Role = role;
                await PersistOccupantAsync(target);
                await BroadcastPresenceAsync(target, new PresenceNotice { ActorNick = actorNick, Reason = reason });
            }
        }

        return null;
    }

    /// <summary>§8.2–§8.6, §9.6–§9.7: who may change which role.</summary>
    private void CheckRoleChange(Jid from, Occupant target, MucRole role)
    {
        var actor = FindOccupant(from);
        var actorAffiliation = ActorAffiliation(from);
        var serviceAdmin = _service.IsAdmin(from);
        if ((actor?.Role != MucRole.Moderator) && !serviceAdmin)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only moderators may change roles");
        }

        var targetAffiliation = AffiliationOf(target.RealJid);
        if (role < MucRole.Moderator && targetAffiliation >= MucAffiliation.Admin && !serviceAdmin)
        {
            // §8.2, §8.4: admins and owners are always moderators; they cannot be kicked or silenced, and the request
            // MUST get not-allowed. Checked before the admin-only rule below: a moderator (even one who is no admin)
            // kicking, silencing or demoting an admin or owner is refused for the target's protection (§5.1.3), not
            // with the forbidden that any non-admin touching the moderator role gets.
            throw new StanzaErrorException(StanzaErrorCondition.NotAllowed, "That occupant's affiliation protects its role");
        }

        if ((role == MucRole.Moderator || target.Role == MucRole.Moderator) && actorAffiliation < MucAffiliation.Admin)
        {
            // §9.6, §9.7: granting or revoking moderator is for admins.
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only admins may grant or revoke moderator");
        }
    }

    /// <summary>§9.1–§9.5, §10.3–§10.8: admins manage outcasts and members below them; owners manage every affiliation.</summary>
    private void CheckAffiliationChange(Jid from, Jid target, MucAffiliation affiliation, List<(Jid Target, MucAffiliation Affiliation, string? Reason)> pending)
    {
        var actor = ActorAffiliation(from);
        if (actor < MucAffiliation.Admin)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only admins and owners may change affiliations");
        }

        var current = AffiliationOf(target);
        if (actor == MucAffiliation.Admin && (current >= MucAffiliation.Admin || affiliation >= MucAffiliation.Admin))
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAllowed, "Admins manage only members and outcasts");
        }

        if (current == MucAffiliation.Owner && affiliation != MucAffiliation.Owner)
        {
            // §10.9: the last owner cannot step down.
            var owners = _affiliations.Count(a => a.Value.Affiliation == MucAffiliation.Owner)
                - pending.Count(p => p.Affiliation != MucAffiliation.Owner && AffiliationOf(p.Target) == MucAffiliation.Owner);
            if (owners <= 1)
            {
                throw new StanzaErrorException(StanzaErrorCondition.Conflict, "The room would have no owner left");
            }
        }
    }

    /// <summary>Applies one affiliation change, stores it, and updates the roles of the user's occupants (§9.1, §9.3).</summary>
    private async ValueTask SetAffiliationAsync(Jid target, MucAffiliation affiliation, string? reason, string? actorNick, CancellationToken ct)
    {
        var previous = _affiliations.GetValueOrDefault(target);
        var entry = new AffiliationEntry(affiliation, affiliation == MucAffiliation.Outcast ? reason : null, affiliation == MucAffiliation.Outcast ? null : previous?.Nick);
        if (affiliation == MucAffiliation.None && entry.Nick is null)
        {
            _affiliations.Remove(target);
        }
        else
        {
            _affiliations[target] = entry;
        }

        if (IsStored)
        {
            await _service.SaveAffiliationAsync(this, target, entry, ct);
        }

        foreach (var o in Occupants())
        {
            if (o.RealJid.Bare != target && !(target.Local is null && o.RealJid.Domain == target.Domain))
            {
                continue;
            }

            if (affiliation == MucAffiliation.Outcast)
            {
                // §9.1: a ban removes the user with status 301.
                await RemoveOccupantAsync(o, new PresenceNotice { Statuses = [301], ActorNick = actorNick, Reason = reason });
            }
            else if (Config.MembersOnly && affiliation < MucAffiliation.Member && !_service.IsAdmin(o.RealJid))
            {
                // §9.4: losing membership of a members-only room removes the user with status 321.
                await RemoveOccupantAsync(o, new PresenceNotice { Statuses = [321], ActorNick = actorNick, Reason = reason });
            }
            else
            {
                var role = affiliation >= MucAffiliation.Admin ? MucRole.Moderator
                    : o.Role == MucRole.Moderator && (previous?.Affiliation ?? MucAffiliation.None) >= MucAffiliation.Admin ? DefaultRole(affiliation)
                    : affiliation == MucAffiliation.Member && o.Role == MucRole.Visitor ? MucRole.Participant
                    : o.Role;
                o.Role = role;
                await PersistOccupantAsync(o);
                await BroadcastPresenceAsync(o, new PresenceNotice { ActorNick = actorNick, Reason = reason });
            }
        }
    }
}
