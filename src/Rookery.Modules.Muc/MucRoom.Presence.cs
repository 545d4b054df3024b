using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>Entering and leaving, nick changes and presence updates (XEP-0045 §7.1–§7.7, §10.1 room creation).</summary>
internal sealed partial class MucRoom
{
    /// <summary>What a presence broadcast about one occupant says besides the occupant's own presence.</summary>
    private sealed record PresenceNotice
    {
        public bool Unavailable { get; init; }
        public int[] Statuses { get; init; } = [];
        public int[] SelfStatuses { get; init; } = [];
        public string? NewNick { get; init; }
        public string? ActorNick { get; init; }
        public string? Reason { get; init; }
        public Element? Destroy { get; init; }
        public MucAffiliation? Affiliation { get; init; }

        /// <summary>The id of the occupant's own presence that caused this one, repeated on its self-presence.</summary>
        public string? SelfId { get; init; }
    }

    /// <summary>Set by the service on a room it has just created for the presence being handled (§10.1.1).</summary>
    public bool IsNew { get; set; }

    private async ValueTask OnPresenceAsync(Element presence, Jid from, Jid to, CancellationToken ct)
    {
        var type = presence.GetAttribute("type");
        var occupant = FindOccupant(from);
        switch (type)
        {
            case null:
                if (to.Resource is null)
                {
                    // §7.2.1: entering needs a nick, the resource of the room JID.
                    throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, "Enter a room as room@service/nick");
                }

                if (occupant is null)
                {
                    await JoinAsync(presence, from, to.Resource, ct);
                }
                else if (occupant.Nick != to.Resource)
                {
                    await ChangeNickAsync(occupant, presence, to.Resource);
                }
                else if (presence.Child("x", MucNs.Muc) is { } mucX)
                {
                    // A join from a client already in the room under this nick: it lost track of the room (a reconnect
                    // without stream resumption, say), so it gets what a newcomer gets (XEP-0045 §7.2.1, SHOULD).
                    occupant.Presence = CleanPresence(presence);
                    await PersistOccupantAsync(occupant);
                    await SendOccupantsToAsync(occupant);
                    await BroadcastPresenceAsync(occupant, new PresenceNotice { SelfStatuses = JoinStatuses(created: false), SelfId = presence.GetAttribute("id") });
                    await SendHistoryAsync(occupant, ParseHistoryRequest(mucX.Child("history", MucNs.Muc)));
                    await SendSubjectAsync(occupant);
                }
                else
                {
                    occupant.Presence = CleanPresence(presence);
                    await PersistOccupantAsync(occupant);
                    await BroadcastPresenceAsync(occupant, new PresenceNotice { SelfId = presence.GetAttribute("id") });
                }

                break;

            case "unavailable":
                if (occupant is not null)
                {
                    occupant.Presence = CleanPresence(presence);
                    await RemoveOccupantAsync(occupant, new PresenceNotice { Unavailable = true, SelfId = presence.GetAttribute("id") });
                }

                break;

            case "error":
                // A client that answers the room with an error is gone (Prosody and ejabberd remove it too).
                if (occupant is not null)
                {
                    occupant.Presence = new Element("presence", Ns.Client);
                    await RemoveOccupantAsync(occupant, new PresenceNotice { Unavailable = true });
                }

                break;
        }
    }

    /// <summary>§7.2: the checks in the order other servers apply them, then the presence exchange, history and subject.</summary>
    private async ValueTask JoinAsync(Element presence, Jid from, string nick, CancellationToken ct)
    {
        var created = IsNew;
        IsNew = false;
        if (created)
        {
            // §10.1.1: the creator is the room's owner; the room stays locked until configured.
            _affiliations[from.Bare] = new AffiliationEntry(MucAffiliation.Owner, null, null);
        }

        var affiliation = AffiliationOf(from);
        var isServiceAdmin = _service.IsAdmin(from);
        if (Locked && affiliation != MucAffiliation.Owner)
        {
            // §10.1.1: a locked room does not exist for anyone but its owner.
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "The room is locked until its owner configures it");
        }

        if (affiliation == MucAffiliation.Outcast && !isServiceAdmin)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "You are banned from this room");
        }

        if (Config.MembersOnly && affiliation < MucAffiliation.Member && !isServiceAdmin)
        {
            throw new StanzaErrorException(StanzaErrorCondition.RegistrationRequired, "This room is for members only");
        }

        var mucX = presence.Child("x", MucNs.Muc);
        if (Config.PasswordProtected && affiliation < MucAffiliation.Owner && !isServiceAdmin
            && mucX?.ChildText("password", MucNs.Muc) != Config.Password)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAuthorized, "A password is required to enter this room");
        }

        if (_byNick.Count >= MaxUsers && affiliation < MucAffiliation.Admin && !isServiceAdmin)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable, "The room is full");
        }

        CheckNickAvailable(nick, from);
        var history = ParseHistoryRequest(mucX?.Child("history", MucNs.Muc));
        var role = isServiceAdmin ? MucRole.Moderator : DefaultRole(affiliation);
        var occupant = new Occupant(nick, Jid.WithResource(nick), from, role, OccupantIdOf(from))
        {
            Presence = CleanPresence(presence),
            NodeId = _service.NodeOf(from),
        };

        // §7.2.3: the newcomer first learns who is there, then everyone learns of the newcomer, the newcomer last.
        await SendOccupantsToAsync(occupant);

        _byNick[nick] = occupant;
        _byRealJid[from] = occupant;
        await PersistOccupantAsync(occupant);
        if (created && _service.IsClustered)
        {
            // On a cluster a new room is stored at once, locked (§10.1.2): a host that dies before the owner configures
            // it does not take it along; the node taking it over rebuilds it still locked, with its owner in it.
            await SaveAsync(ct);
        }

        await BroadcastPresenceAsync(occupant, new PresenceNotice { SelfStatuses = JoinStatuses(created), SelfId = presence.GetAttribute("id") });
        if (created)
        {
            // §10.1.1: nothing else until the owner configures the room.
            return;
        }

        await SendHistoryAsync(occupant, history);
        await SendSubjectAsync(occupant);
    }

    /// <summary>The presence of every other occupant the room broadcasts, to <paramref name="occupant"/> (§7.2.3).</summary>
    private async ValueTask SendOccupantsToAsync(Occupant occupant)
    {
        foreach (var other in Occupants())
        {
            if (other != occupant && IsBroadcast(other.Role))
            {
                await _service.Sink.SendAsync(BuildPresence(other, occupant, new PresenceNotice(), self: false), other.RoomJid, occupant.RealJid);
            }
        }
    }

    /// <summary>The status codes of an entering occupant's self-presence besides 110.</summary>
    private int[] JoinStatuses(bool created)
    {
        var statuses = new List<int>(3);
        if (Config.Whois == MucWhois.Anyone)
        {
            statuses.Add(100); // §7.2.3: the room is non-anonymous
        }

        if (Config.Logging)
        {
            statuses.Add(170); // §7.2.12: the room is logged
        }

        if (created)
        {
            statuses.Add(201); // §10.1.1: a new room was created
        }

        return [.. statuses];
    }

    /// <summary>§7.2.9 and §7.10: a nick in use by someone else, or reserved by another user, is a conflict.</summary>
    private void CheckNickAvailable(string nick, Jid user)
    {
        if (_byNick.TryGetValue(nick, out var holder) && holder.RealJid != user)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Conflict, "That nick is in use in this room");
        }

        var owner = NickOwner(nick);
        if (owner is not null && owner != user.Bare)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Conflict, "That nick is reserved by another user");
        }

        if (Config.ReservedNicksOnly && ReservedNickOf(user) != nick)
        {
            // §7.2.10 (x-muc#roomconfig_reservednick): only the nick the user registered is accepted.
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Only your registered nick may be used in this room");
        }
    }

    /// <summary>§7.6: unavailable with 303 and the new nick, then available under the new nick.</summary>
    private async ValueTask ChangeNickAsync(Occupant occupant, Element presence, string nick)
    {
        if (!Config.CanChangeNick && AffiliationOf(occupant.RealJid) < MucAffiliation.Admin)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Nick changes are not allowed in this room");
        }

        CheckNickAvailable(nick, occupant.RealJid);
        await BroadcastPresenceAsync(occupant, new PresenceNotice { Unavailable = true, Statuses = [303], NewNick = nick });
        _byNick.Remove(occupant.Nick);
        await ForgetOccupantAsync(occupant.Nick);
        occupant.Rename(nick, Jid.WithResource(nick));
        occupant.Presence = CleanPresence(presence);
        _byNick[nick] = occupant;
        await PersistOccupantAsync(occupant);
        await BroadcastPresenceAsync(occupant, new PresenceNotice { SelfId = presence.GetAttribute("id") });
    }

    /// <summary>Removes an occupant and tells everyone (§7.14 leaving; kicks, bans and destruction say why).</summary>
    private async ValueTask RemoveOccupantAsync(Occupant occupant, PresenceNotice notice)
    {
        _byNick.Remove(occupant.Nick);
        _byRealJid.Remove(occupant.RealJid);
        await ForgetOccupantAsync(occupant.Nick);
        var role = occupant.Role;
        occupant.Role = MucRole.None;
        await BroadcastPresenceAsync(occupant, notice with { Unavailable = true }, visibleAs: role);
    }

    /// <summary>
    /// Sends an occupant's presence to every occupant that may see it (the room's presencebroadcast roles) and always to
    /// the occupant itself with status 110 (§7.2.3). The occupant must already be in, or already out of, the room.
    /// </summary>
    private async ValueTask BroadcastPresenceAsync(Occupant subject, PresenceNotice notice, MucRole? visibleAs = null)
    {
        var visible = IsBroadcast(visibleAs ?? subject.Role);
        foreach (var receiver in Occupants())
        {
            if (receiver == subject || !visible)
            {
                continue;
            }

            await _service.Sink.SendAsync(BuildPresence(subject, receiver, notice, self: false), subject.RoomJid, receiver.RealJid);
        }

        await _service.Sink.SendAsync(BuildPresence(subject, subject, notice, self: true), subject.RoomJid, subject.RealJid);
    }

    private bool IsBroadcast(MucRole role) => Config.PresenceBroadcast.Contains(role);

    /// <summary>The presence of <paramref name="subject"/> as <paramref name="receiver"/> gets it.</summary>
    private Element BuildPresence(Occupant subject, Occupant receiver, PresenceNotice notice, bool self)
    {
        var presence = notice.Unavailable
            ? new Element("presence", Ns.Client).SetAttribute("type", "unavailable")
            : subject.Presence.CloneWithoutChildren();
        foreach (var child in subject.Presence.Elements())
        {
            // An unavailable presence keeps only the status text (RFC 6121 §4.5.1).
            if (!notice.Unavailable || child.Name == "status")
            {
                presence.Add(child.Clone());
            }
        }

        var x = presence.AddChild("x", MucNs.User);
        var item = x.AddChild("item")
            .SetAttribute("affiliation", (notice.Affiliation ?? AffiliationOf(subject.RealJid)).ToWireName())
            .SetAttribute("role", subject.Role.ToWireName());
        if (self || SeesRealJids(receiver))
        {
            item.SetAttribute("jid", subject.RealJid.ToString());
        }

        if (notice.NewNick is not null)
        {
            item.SetAttribute("nick", notice.NewNick);
        }

        if (notice.ActorNick is not null)
        {
            item.AddChild("actor").SetAttribute("nick", notice.ActorNick);
        }

        if (notice.Reason is not null)
        {
            item.AddChild("reason").AddText(notice.Reason);
        }

        if (notice.Destroy is not null)
        {
            x.Add(notice.Destroy.Clone());
        }

        foreach (var code in notice.Statuses)
        {
            AddStatus(x, code);
        }

        if (self)
        {
            // The occupant's client can match the room's answer to the presence it sent: Smack 4.4 waits for the
            // self-presence carrying its leave presence's id. The XEP does not ask for it, and it costs nothing.
            if (notice.SelfId is { } id)
            {
                presence.SetAttribute("id", id);
            }

            AddStatus(x, 110);
            foreach (var code in notice.SelfStatuses)
            {
                AddStatus(x, code);
            }
        }

        // XEP-0421 §3: every presence from an occupant carries its occupant id.
        presence.AddChild("occupant-id", MucNs.OccupantId).SetAttribute("id", subject.OccupantId);
        return presence;
    }

    /// <summary>The parts of a client's presence the room repeats: everything but MUC elements and forged occupant ids.</summary>
    private static Element CleanPresence(Element presence)
    {
        var clean = new Element("presence", Ns.Client);
        foreach (var child in presence.Elements())
        {
            if (child.Namespace is MucNs.Muc or MucNs.User or MucNs.OccupantId)
            {
                continue;
            }

            clean.Add(child.Clone());
        }

        return clean;
    }

    /// <summary>XEP-0421 §4: an id that is the same for one real bare JID in this room and tells nothing about the JID.</summary>
    private string OccupantIdOf(Jid realJid)
    {
        var key = Convert.FromBase64String(Config.OccupantIdSecret);
        var hash = System.Security.Cryptography.HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes(realJid.Bare.ToString()));
        return Convert.ToBase64String(hash, 0, 18).Replace('+', '-').Replace('/', '_');
    }
}
