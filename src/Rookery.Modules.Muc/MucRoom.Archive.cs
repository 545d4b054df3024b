using Rookery.Modules.Mam;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Muc;

/// <summary>
/// The room's archive (XEP-0313 §5.1.2 "MUC archives"): groupchat messages of a logged room are kept under the room's
/// bare JID in the server's message archive store, each with a XEP-0359 stanza-id by the room, and queried with the MAM
/// module's own query code. The archive also feeds the join history when a room is re-created (<see cref="MucService"/>).
/// </summary>
internal sealed partial class MucRoom
{
    /// <summary>Archives a room message under a new stanza-id; <paramref name="nick"/> is the sender's, null for the room's own.</summary>
    private async ValueTask ArchiveAsync(Element message, string? nick, DateTimeOffset stamp, CancellationToken ct)
    {
        if (_service.Archive is not { } archive)
        {
            return;
        }

        var id = _service.NextArchiveId();
        if (Config.Logging)
        {
            // XEP-0359 §3: the id under which the room archived the message, added before anyone sees it. A room that is
            // not logged (archived only as a cluster's history copy, not queryable) announces no archive id.
            message.AddChild("stanza-id", MucNs.StanzaId).SetAttribute("id", id).SetAttribute("by", Jid.ToString());
        }

        var xml = ElementWriter.ToXmlString(message, Ns.Client);
        // With the room's JID and the nick as resource, a 'with' filter of room@service/nick finds one occupant's messages.
        var owner = Jid.ToString();
        var entry = new ArchivedMessage(id, owner, nick, stamp, ArchiveDirection.Incoming, xml);
        if (_service.ArchiveWriter is { } writer)
        {
            // Group commit (MamArchiveWriter): the message shares a transaction with other rooms' and users' archive
            // writes, and is durable before anyone sees its stanza-id, as with a transaction of its own.
            await writer.AppendAsync(owner, entry, ct);
        }
        else
        {
            await archive.AppendAsync(owner, entry, ct);
        }
    }

    /// <summary>XEP-0313 §5.1.2: who may read the archive: occupants, and members of a members-only room.</summary>
    private void RequireArchiveAccess(Jid from)
    {
        if (!Config.Logging || _service.Archive is null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable, "This room is not archived");
        }

        var affiliation = AffiliationOf(from);
        var allowed = affiliation == MucAffiliation.Outcast ? false
            : Config.MembersOnly ? affiliation >= MucAffiliation.Member || FindOccupant(from) is not null
            : FindOccupant(from) is not null || Config.Public || affiliation >= MucAffiliation.Member;
        if (!allowed && !_service.IsAdmin(from))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "You may not read this room's archive");
        }
    }

    private async ValueTask<Element?> ArchiveQueryAsync(Element query, Jid from, CancellationToken ct)
    {
        RequireArchiveAccess(from);
        var sink = _service.Sink;
        var room = Jid;
        return await _service.ArchiveQueries!.RunAsync(
            Jid.ToString(),
            query,
            from.ToString(),
            async result =>
            {
                await sink.SendAsync(result, room, from);
                return true;
            },
            ct);
    }

    private Element ArchiveForm(Jid from)
    {
        RequireArchiveAccess(from);
        var query = new Element("query", MucNs.Mam);
        query.Add(MamQueryForm.Blank());
        return query;
    }
}
