using Rookery.Protocol.Addressing;
using Rookery.Storage;

namespace Rookery.Modules.Muc;

/// <summary>
/// The room's part in a cluster (issue #7): one record per occupant kept up to date (join, leave, nick, role, presence),
/// occupants rebuilt from those records by a new host, and occupants of dead nodes removed with status 333.
/// </summary>
internal sealed partial class MucRoom
{
    /// <summary>Stores the occupant's record when the service runs on a cluster.</summary>
    private Task PersistOccupantAsync(Occupant occupant) =>
        _service.IsClustered ? _service.SaveOccupantAsync(this, occupant, CancellationToken.None) : Task.CompletedTask;

    /// <summary>Removes an occupant's record (left, or renamed) when the service runs on a cluster.</summary>
    private Task ForgetOccupantAsync(string nick) =>
        _service.IsClustered ? _service.ForgetOccupantAsync(this, nick, CancellationToken.None) : Task.CompletedTask;

    /// <summary>
    /// Puts back one occupant from its record, silently: the occupant never left, so nobody is told (the new host takes
    /// over without a rejoin). False when the record cannot be used.
    /// </summary>
    public bool TryRestoreOccupant(MucOccupantRecord record)
    {
        if (!Jid.TryParse(record.RealJid, out var realJid) || realJid.Resource is null
            || !MucNames.TryParseRole(record.Role, out var role) || role == MucRole.None
            || _byNick.ContainsKey(record.Nick) || _byRealJid.ContainsKey(realJid))
        {
            return false;
        }

        Protocol.Xml.Element presence;
        try
        {
            presence = record.Presence is null ? new Protocol.Xml.Element("presence", Protocol.Xml.Ns.Client) : CleanPresence(Server.Util.StoredStanza.Parse(record.Presence));
        }
        catch (FormatException)
        {
            return false;
        }

        var occupant = new Occupant(record.Nick, Jid.WithResource(record.Nick), realJid, role, OccupantIdOf(realJid))
        {
            Presence = presence,
            NodeId = record.NodeId,
        };
        _byNick[record.Nick] = occupant;
        _byRealJid[realJid] = occupant;
        return true;
    }

    /// <summary>
    /// Removes the occupants <paramref name="gone"/> selects (their node died): unavailable presence with status 333 to
    /// the others (XEP-0045 §7.14 and the status code registry: "removed from the room because of a technical problem").
    /// </summary>
    public async Task DropOccupantsAsync(Func<Occupant, bool> gone, CancellationToken ct)
    {
        foreach (var o in Occupants())
        {
            ct.ThrowIfCancellationRequested();
            if (gone(o))
            {
                await RemoveOccupantAsync(o, new PresenceNotice { Unavailable = true, Statuses = [333] });
            }
        }
    }
}
