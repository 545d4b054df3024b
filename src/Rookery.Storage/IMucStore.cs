namespace Rookery.Storage;

/// <summary>
/// Persistent multi-user chat rooms (XEP-0045): each room's configuration and subject, and its affiliations with the
/// nicks users reserved. Rooms are keyed by their bare JID (<c>room@service</c>); everything a node needs to re-create
/// a room is here, so any node can host it.
/// </summary>
public interface IMucStore
{
    /// <summary>The bare JIDs of the rooms stored for <paramref name="service"/> (a service domain), in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListRoomsAsync(string service, CancellationToken ct = default);

    /// <summary>A stored room with its affiliations, or null when it is not stored.</summary>
    Task<StoredMucRoom?> GetRoomAsync(string room, CancellationToken ct = default);

    /// <summary>
    /// Stores the room: its configuration and subject, and exactly <see cref="StoredMucRoom.Affiliations"/> as its
    /// affiliations (replacing earlier ones), in one transaction.
    /// </summary>
    Task SaveRoomAsync(StoredMucRoom room, CancellationToken ct = default);

    /// <summary>Updates only the subject of a stored room; returns false when the room is not stored.</summary>
    Task<bool> SetSubjectAsync(string room, string? subject, string? subjectNick, CancellationToken ct = default);

    /// <summary>
    /// Sets one user's affiliation and reserved nick in a stored room (a record with affiliation <c>none</c> and no
    /// nick removes the user's row); returns false when the room is not stored.
    /// </summary>
    Task<bool> SetAffiliationAsync(string room, MucAffiliationRecord affiliation, CancellationToken ct = default);

    /// <summary>Removes a room and its affiliations; returns false when it was not stored.</summary>
    Task<bool> DeleteRoomAsync(string room, CancellationToken ct = default);
}
