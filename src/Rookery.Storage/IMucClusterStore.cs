namespace Rookery.Storage;

/// <summary>
/// What a cluster needs to keep multi-user chat rooms (XEP-0045) alive across node loss: which node hosts each room
/// (a claim taken by compare-and-set, so a room never exists on two nodes) and one small record per occupant, from
/// which a new host rebuilds the room's occupants without them rejoining (docs/dev/muc.md, "Rooms on a cluster").
/// </summary>
public interface IMucClusterStore
{
    /// <summary>
    /// Claims <paramref name="room"/> for <paramref name="nodeId"/> unless another node holds it; returns the node that
    /// holds the claim afterwards (the caller's id when it won or already held it).
    /// </summary>
    Task<long> ClaimRoomAsync(string room, long nodeId, CancellationToken ct = default);

    /// <summary>The node that holds the claim on <paramref name="room"/>, or null when none does.</summary>
    Task<long?> FindRoomHostAsync(string room, CancellationToken ct = default);

    /// <summary>Gives up the claim on <paramref name="room"/> if <paramref name="nodeId"/> holds it; returns whether it did.</summary>
    Task<bool> ReleaseRoomAsync(string room, long nodeId, CancellationToken ct = default);

    /// <summary>
    /// Moves every claim of the dead node <paramref name="deadNodeId"/> to <paramref name="newNodeId"/> in one statement
    /// and returns the rooms moved, in ordinal order (empty when another survivor took them first).
    /// </summary>
    Task<IReadOnlyList<string>> TakeOverRoomsAsync(long deadNodeId, long newNodeId, CancellationToken ct = default);

    /// <summary>Stores (or replaces) the record of one occupant, keyed by room and nick.</summary>
    Task SetOccupantAsync(MucOccupantRecord occupant, CancellationToken ct = default);

    /// <summary>Removes the record of the occupant <paramref name="nick"/> of <paramref name="room"/>; returns whether there was one.</summary>
    Task<bool> RemoveOccupantAsync(string room, string nick, CancellationToken ct = default);

    /// <summary>The occupant records of <paramref name="room"/>, in ordinal order of nick.</summary>
    Task<IReadOnlyList<MucOccupantRecord>> ListOccupantsAsync(string room, CancellationToken ct = default);

    /// <summary>Removes every occupant record of <paramref name="room"/> (the room ended); returns how many there were.</summary>
    Task<int> ClearOccupantsAsync(string room, CancellationToken ct = default);
}
