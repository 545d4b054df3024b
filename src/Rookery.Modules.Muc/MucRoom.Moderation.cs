using System.Globalization;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Muc;

/// <summary>
/// Moderated message retraction (XEP-0425 0.3, and the 0.2 request Prosody and ejabberd still accept): a moderator names
/// a message by the XEP-0359 stanza-id the room gave it; the room replaces the archived message with a tombstone, drops
/// it from the join history, and announces the retraction to every occupant. Only logged rooms offer it: a room that is
/// not logged announces no stanza-ids, so there is nothing a moderator could name.
/// </summary>
internal sealed partial class MucRoom
{
    /// <summary>A moderation request, whichever version of the XEP it came in.</summary>
    private readonly record struct ModerationRequest(string StanzaId, string? Reason);

    /// <summary>Whether the room offers moderation: it has an archive that holds its stanza-ids.</summary>
    private bool OffersModeration => Config.Logging && _service.Archive is not null;

    /// <summary>XEP-0425 §3 (0.3): <c>&lt;moderate id='…' xmlns='urn:xmpp:message-moderate:1'&gt;&lt;retract/&gt;…</c>.</summary>
    private static ModerationRequest ParseModerate(Element moderate)
    {
        if (moderate.Child("retract", MucNs.Retract) is null)
        {
            // The XEP leaves room for other moderator actions; retraction is the only one it (and this room) defines.
            throw new StanzaErrorException(StanzaErrorCondition.FeatureNotImplemented, "Only retraction is supported as a moderation action");
        }

        return new ModerationRequest(RequireStanzaId(moderate.GetAttribute("id")), moderate.ChildText("reason", MucNs.Moderate));
    }

    /// <summary>XEP-0425 0.2: <c>&lt;apply-to id='…' xmlns='urn:xmpp:fasten:0'&gt;&lt;moderate xmlns='…:0'&gt;&lt;retract/&gt;…</c>.</summary>
    private static ModerationRequest ParseApplyTo(Element applyTo)
    {
        var moderate = applyTo.Child("moderate", MucNs.ModerateLegacy)
            ?? throw new StanzaErrorException(StanzaErrorCondition.FeatureNotImplemented, "Only message moderation is supported in <apply-to/>");
        if (moderate.Child("retract", MucNs.RetractLegacy) is null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.FeatureNotImplemented, "Only retraction is supported as a moderation action");
        }

        return new ModerationRequest(RequireStanzaId(applyTo.GetAttribute("id")), moderate.ChildText("reason", MucNs.ModerateLegacy));
    }

    private static string RequireStanzaId(string? id) =>
        string.IsNullOrEmpty(id) ? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "The moderation request needs the message's stanza-id") : id;

    /// <summary>
    /// Retracts the archived message <see cref="ModerationRequest.StanzaId"/> on a moderator's behalf (XEP-0425 §3):
    /// forbidden unless the sender is a moderator occupant, item-not-found unless the id is one of this room's archive ids.
    /// </summary>
    private async ValueTask<Element?> ModerateAsync(ModerationRequest request, Jid from, CancellationToken ct)
    {
        if (!OffersModeration)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable, "This room keeps no archive, so its messages have no stanza-ids to moderate");
        }

        var moderator = FindOccupant(from);
        if (moderator is not { Role: MucRole.Moderator })
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only moderators are allowed to moderate other participants' messages");
        }

        var archive = _service.Archive!;
        var owner = Jid.ToString();
        var page = await archive.QueryAsync(owner, new ArchiveQuery { Ids = [request.StanzaId], Max = 1 }, ct);
        if (page is not { Items: [var archived] })
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "This room has no message with that stanza-id");
        }

        if (archived.WithResource is null)
        {
            // The room's own messages (earlier retraction announcements) are not occupants' messages; retracting one would
            // hide from clients catching up over MAM that a message was retracted (§5: moderate messaging payloads only).
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Only occupants' messages can be moderated");
        }

        var original = StoredStanza.Parse(archived.StanzaXml);
        var now = _service.Time.GetUtcNow();
        if (original.Child("retracted", MucNs.Retract) is null)
        {
            // The tombstone goes in before anyone hears of the retraction, as a message is archived before it is sent: a
            // client that sees the announcement and then queries the archive never gets the body back.
            var tombstone = Tombstone(original, moderator, request.Reason, now);
            if (!await archive.ReplaceAsync(owner, archived.Id, ElementWriter.ToXmlString(tombstone, Ns.Client), ct))
            {
                // Pruned by retention between the lookup and the replace.
                throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "This room has no message with that stanza-id");
            }

            _history.RemoveStanzaId(request.StanzaId, owner);
            await AnnounceRetractionAsync(request, moderator, now, ct);
            ModerationLog.MessageRetracted(_service.Logger, moderator.RoomJid, request.StanzaId, Jid);
        }

        // A message already retracted (a second moderator, or a retried request) stays as it is: the request succeeds,
        // as its outcome already holds, and occupants are not told twice.
        return null;
    }

    /// <summary>
    /// XEP-0425 §4: the archived message keeps its addresses, id and author's occupant-id (and the room's stanza-id),
    /// and everything else, which might leak what it said, gives way to <c>&lt;retracted/&gt;</c> with the moderator in it.
    /// </summary>
    private Element Tombstone(Element original, Occupant moderator, string? reason, DateTimeOffset now)
    {
        var tombstone = original.CloneWithoutChildren();
        foreach (var child in original.Elements())
        {
            if (child.Namespace == MucNs.OccupantId
                || (child.Name == "stanza-id" && child.Namespace == MucNs.StanzaId && child.GetAttribute("by") == Jid.ToString()))
            {
                tombstone.Add(child.Clone());
            }
        }

        // The XEP's example puts <retracted/> in message-retract:0, left over from 0.2; the 0.3 text points to XEP-0424,
        // whose tombstone is message-retract:1, the namespace of the announcement too.
        var retracted = tombstone.AddChild("retracted", MucNs.Retract)
            .SetAttribute("stamp", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        retracted.Add(Moderated(MucNs.Moderate, moderator));
        AddReason(retracted, MucNs.Retract, reason);
        return tombstone;
    }

    /// <summary>
    /// XEP-0425 §3 "Success case": one groupchat message from the room to every occupant, moderator included. It carries
    /// the 0.3 form (<c>&lt;retract/&gt;</c>) and the 0.2 form (<c>&lt;apply-to/&gt;</c>) together, as Prosody sends it,
    /// so that clients of either version remove the message whichever version the moderator's client spoke. It is
    /// archived like any room message, with a stanza-id, so that clients catching up over MAM learn of it too.
    /// </summary>
    private async ValueTask AnnounceRetractionAsync(ModerationRequest request, Occupant moderator, DateTimeOffset now, CancellationToken ct)
    {
        var announcement = new Element("message", Ns.Client).SetAttribute("type", "groupchat").SetAttribute("id", Guid.NewGuid().ToString("N"))
            .SetAttribute("from", Jid.ToString());
        var retract = announcement.AddChild("retract", MucNs.Retract).SetAttribute("id", request.StanzaId);
        retract.Add(Moderated(MucNs.Moderate, moderator));
        AddReason(retract, MucNs.Retract, request.Reason);

        var applyTo = announcement.AddChild("apply-to", MucNs.Fasten).SetAttribute("id", request.StanzaId);
        var legacy = applyTo.Add(new Element("moderated", MucNs.ModerateLegacy).SetAttribute("by", moderator.RoomJid.ToString()));
        legacy.AddChild("retract", MucNs.RetractLegacy);
        AddReason(legacy, MucNs.ModerateLegacy, request.Reason);

        await ArchiveAsync(announcement, nick: null, now, ct);
        announcement.KeepSerialisedForm();
        foreach (var receiver in Occupants())
        {
            await _service.Sink.SendAsync(announcement.Clone(), Jid, receiver.RealJid);
        }
    }

    /// <summary>
    /// <c>&lt;moderated by='room@service/nick'/&gt;</c>: the moderator's room JID, never the real JID (which a
    /// semi-anonymous room hides), with its XEP-0421 occupant-id, which stays the same across nick changes.
    /// </summary>
    private static Element Moderated(string ns, Occupant moderator)
    {
        var moderated = new Element("moderated", ns).SetAttribute("by", moderator.RoomJid.ToString());
        moderated.AddChild("occupant-id", MucNs.OccupantId).SetAttribute("id", moderator.OccupantId);
        return moderated;
    }

    private static void AddReason(Element parent, string ns, string? reason)
    {
        if (!string.IsNullOrEmpty(reason))
        {
            parent.AddChild("reason", ns).AddText(reason);
        }
    }

    private static partial class ModerationLog
    {
        [LoggerMessage(EventId = 5660, Level = LogLevel.Information, Message = "Moderator {Moderator} retracted message {StanzaId} of room {Room} (XEP-0425)")]
        public static partial void MessageRetracted(ILogger logger, Jid moderator, string stanzaId, Jid room);

        // Next free EventId: 5661 (range 5660-5679)
    }
}
