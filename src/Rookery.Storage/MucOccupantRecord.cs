namespace Rookery.Storage;

/// <summary>One occupant of a room as a cluster stores it, so that a new host can rebuild the room (XEP-0045 §5).</summary>
/// <param name="Room">The room's bare JID, <c>room@service</c>.</param>
/// <param name="Nick">The occupant's nick in the room.</param>
/// <param name="RealJid">The occupant's real full JID.</param>
/// <param name="NodeId">The cluster node the occupant's session is bound on.</param>
/// <param name="Role">The role's wire name (<c>moderator</c>, <c>participant</c>, <c>visitor</c>).</param>
/// <param name="Affiliation">The affiliation's wire name when the occupant entered or last changed.</param>
/// <param name="Presence">The occupant's last presence as sent to the room (XML), or null.</param>
public sealed record MucOccupantRecord(string Room, string Nick, string RealJid, long NodeId, string Role, string Affiliation, string? Presence)
{
    /// <summary>Throws <see cref="ArgumentException"/> unless the record names a room, nick, real JID, a role and an occupant's affiliation.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Room);
        ArgumentException.ThrowIfNullOrEmpty(Nick);
        ArgumentException.ThrowIfNullOrEmpty(RealJid);
        if (Role is not ("moderator" or "participant" or "visitor"))
        {
            throw new ArgumentException($"'{Role}' is not an occupant role", nameof(Role));
        }

        if (Affiliation is not ("owner" or "admin" or "member" or "none"))
        {
            throw new ArgumentException($"'{Affiliation}' is not an occupant's affiliation", nameof(Affiliation));
        }
    }
}
