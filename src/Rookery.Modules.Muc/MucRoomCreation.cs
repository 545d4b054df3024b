namespace Rookery.Modules.Muc;

/// <summary>Who may create a room on a MUC service (ejabberd's <c>access_create</c>, Prosody's <c>restrict_room_creation</c>).</summary>
public enum MucRoomCreation
{
    /// <summary>Accounts of the host the service belongs to.</summary>
    LocalUsers = 0,

    /// <summary>Any JID, local or remote.</summary>
    Anyone = 1,

    /// <summary>Only the host's administrators.</summary>
    Admins = 2,
}
