namespace Rookery.Modules.Muc;

/// <summary>An occupant's role in a room (XEP-0045 §5.1): temporary, lost on leaving. Ordered by privilege.</summary>
public enum MucRole
{
    /// <summary>Not in the room.</summary>
    None = 0,

    /// <summary>In the room, without voice in a moderated room.</summary>
    Visitor = 1,

    /// <summary>In the room with voice.</summary>
    Participant = 2,

    /// <summary>May kick, grant and revoke voice.</summary>
    Moderator = 3,
}
