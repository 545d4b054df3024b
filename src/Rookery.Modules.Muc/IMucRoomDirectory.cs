using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>
/// Where the rooms of a clustered MUC service live: it says which node hosts a room (claiming it for this node when no
/// node does, so that a room never exists twice), forwards a stanza to the hosting node, and tells which node an
/// occupant's session is on. Implemented by the cluster (<c>Rookery.Cluster</c>); a single node has none.
/// </summary>
public interface IMucRoomDirectory
{
    /// <summary>This node's id in the cluster.</summary>
    long LocalNodeId { get; }

    /// <summary>
    /// The node that hosts <paramref name="room"/>: the holder of its claim, or this node after claiming it when nobody
    /// holds it. A claim held by a node that is gone is waited out until a survivor took the room over.
    /// </summary>
    ValueTask<long> LocateAsync(Jid room, CancellationToken ct = default);

    /// <summary>
    /// Forwards a stanza for a room to its hosting node (acknowledged; routed again here if that node dies first).
    /// False when that node is gone: locate the room again.
    /// </summary>
    bool Forward(long nodeId, Element stanza, Jid sender, Jid recipient);

    /// <summary>Drops what this node remembers about the host of <paramref name="room"/>.</summary>
    void Forget(Jid room);

    /// <summary>The node the client session <paramref name="realJid"/> is bound on (this node when unknown).</summary>
    long NodeOf(Jid realJid);

    /// <summary>Whether <paramref name="nodeId"/> is this node or a live peer.</summary>
    bool IsLive(long nodeId);

    /// <summary>
    /// Waits (bounded) until this node knows the sessions of every live node, so that a room rebuilt from storage judges
    /// its occupants live or gone by a complete view rather than by the peers heard from so far.
    /// </summary>
    Task WaitForPeersAsync(CancellationToken ct = default);

    /// <summary>A room hosted here ended (destroyed, or a temporary room emptied): its claim is released.</summary>
    Task RoomEndedAsync(Jid room, CancellationToken ct = default);

    /// <summary>Makes <paramref name="service"/> known, so that rooms of a dead node are taken over into it.</summary>
    void Attach(MucService service);
}
