namespace Rookery.Modules.Muc;

/// <summary>A user's long-lived affiliation with a room (XEP-0045 §5.2), kept across visits. Ordered by privilege.</summary>
public enum MucAffiliation
{
    /// <summary>Banned from the room.</summary>
    Outcast = 0,

    /// <summary>No affiliation.</summary>
    None = 1,

    /// <summary>A member: may enter a members-only room.</summary>
    Member = 2,

    /// <summary>An admin: manages members and bans, is a moderator when present.</summary>
    Admin = 3,

    /// <summary>An owner: configures and destroys the room.</summary>
    Owner = 4,
}
