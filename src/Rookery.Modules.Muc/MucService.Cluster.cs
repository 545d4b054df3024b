using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Storage;

namespace Rookery.Modules.Muc;

/// <summary>
/// The service on a cluster (issue #7, docs/dev/muc.md "Rooms on a cluster"): every room is stored (temporary ones until
/// they end), every occupant has a record naming its node, every groupchat message is written to the archive, so that
/// the node that takes a room over from a dead host rebuilds it whole: configuration, affiliations, subject, history and
/// the occupants on live nodes, who stay without rejoining.
/// </summary>
public sealed partial class MucService
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Jid, Task<MucRoom?>> _restoring = new();
    private IMucRoomDirectory? _directory;
    private IMucClusterStore? _clusterStore;

    /// <summary>Puts the service in cluster mode; call before it handles its first stanza.</summary>
    public void UseCluster(IMucRoomDirectory directory, IMucClusterStore store)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(store);
        _directory = directory;
        _clusterStore = store;
        directory.Attach(this);
    }

    /// <summary>Whether the service runs on a cluster: rooms and occupants are stored for a takeover.</summary>
    internal bool IsClustered => _directory is not null;

    /// <summary>
    /// Re-creates rooms whose claims this node has just taken from a dead host (the directory moved the claims): each
    /// from storage with its occupants on live nodes; the occupants of dead nodes leave (status 333). A claimed room that
    /// is not stored (it ended meanwhile) gives its claim back.
    /// </summary>
    public async Task TakeOverAsync(IReadOnlyList<Jid> rooms, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rooms);
        foreach (var jid in rooms)
        {
            try
            {
                if (await FindRoomAsync(jid, ct) is null && _directory is not null)
                {
                    await _clusterStore!.ClearOccupantsAsync(jid.ToString(), ct);
                    await _directory.RoomEndedAsync(jid, ct);
                }
                else
                {
                    Log.RoomTakenOver(_logger, jid);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.TakeOverFailed(_logger, e, jid);
            }
        }
    }

    /// <summary>
    /// A node died: its occupants leave every room hosted here, with unavailable presence and status 333 to the others
    /// (XEP-0045 §7.14, status 333: removed because of a technical problem, not 332 which announces a service shutdown
    /// to the occupants themselves).
    /// </summary>
    public async Task DropOccupantsOfNodeAsync(long nodeId, CancellationToken ct = default)
    {
        foreach (var room in _rooms.Values.ToList())
        {
            await room.Gate.WaitAsync(ct);
            try
            {
                if (room.Destroyed)
                {
                    continue;
                }

                await room.DropOccupantsAsync(o => o.NodeId == nodeId, ct);
                if (room.IsDisposable)
                {
                    RemoveRoom(room);
                    await EndRoomAsync(room, ct);
                }
            }
            finally
            {
                room.Gate.Release();
            }
        }
    }

    /// <summary>This node lost its place in the cluster: its rooms are hosted elsewhere now, so they leave memory without a word.</summary>
    public void DropAllRooms()
    {
        foreach (var room in _rooms.Values.ToList())
        {
            RemoveRoom(room);
        }
    }

    /// <summary>Stores the record of one occupant (on a cluster): join, nick change, role change, new presence.</summary>
    internal Task SaveOccupantAsync(MucRoom room, Occupant occupant, CancellationToken ct) =>
        _clusterStore?.SetOccupantAsync(
            new MucOccupantRecord(
                room.Jid.ToString(),
                occupant.Nick,
                occupant.RealJid.ToString(),
                occupant.NodeId,
                occupant.Role.ToWireName(),
                OccupantAffiliation(room.AffiliationOf(occupant.RealJid)).ToWireName(),
                Protocol.Xml.ElementWriter.ToXmlString(occupant.Presence, Protocol.Xml.Ns.Client)),
            ct) ?? Task.CompletedTask;

    /// <summary>Removes the record of an occupant that left or changed its nick (on a cluster).</summary>
    internal Task ForgetOccupantAsync(MucRoom room, string nick, CancellationToken ct) =>
        _clusterStore?.RemoveOccupantAsync(room.Jid.ToString(), nick, ct) ?? Task.CompletedTask;

    /// <summary>The node the occupant <paramref name="realJid"/> is on (0 on a single node).</summary>
    internal long NodeOf(Jid realJid) => _directory?.NodeOf(realJid) ?? 0;

    /// <summary>Rebuilds the occupants of a re-created room from their records; those of dead nodes leave at once.</summary>
    private async Task RestoreOccupantsAsync(MucRoom room, CancellationToken ct)
    {
        // Right after this node's start, peers may not have sent their sessions yet: the room's first stanzas to their
        // occupants would bounce, and an error from an occupant removes it (§7.9). Wait for the whole view first.
        await _directory!.WaitForPeersAsync(ct);
        var records = await _clusterStore!.ListOccupantsAsync(room.Jid.ToString(), ct);
        foreach (var record in records)
        {
            if (!room.TryRestoreOccupant(record))
            {
                Log.BadOccupantRecord(_logger, record.Nick, room.Jid);
                await _clusterStore.RemoveOccupantAsync(record.Room, record.Nick, ct);
            }
        }

        var directory = _directory!;
        await room.DropOccupantsAsync(o => !directory.IsLive(o.NodeId), ct);
    }

    /// <summary>On a cluster, a room that ended leaves storage (unless persistent), loses its occupant records and its claim.</summary>
    private async Task EndRoomAsync(MucRoom room, CancellationToken ct)
    {
        if (_directory is null)
        {
            return;
        }

        if (!room.Config.Persistent && _store is not null)
        {
            await _store.DeleteRoomAsync(room.Jid.ToString(), ct);
        }

        await _clusterStore!.ClearOccupantsAsync(room.Jid.ToString(), ct);
        await _directory.RoomEndedAsync(room.Jid, ct);
    }

    private static MucAffiliation OccupantAffiliation(MucAffiliation affiliation) =>
        affiliation == MucAffiliation.Outcast ? MucAffiliation.None : affiliation;
}
