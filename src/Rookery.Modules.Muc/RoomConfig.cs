namespace Rookery.Modules.Muc;

/// <summary>
/// A room's configuration: every field of the <c>muc#roomconfig</c> form (XEP-0045 §15.5.3) except the admin and owner
/// lists, which are affiliations, plus the reserved-nick, nick-change and registration options. Kept in storage as
/// JSON for persistent rooms, so a room can be re-created on any node.
/// </summary>
public sealed class RoomConfig
{
    /// <summary>A natural-language room name (<c>muc#roomconfig_roomname</c>).</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>A short description (<c>muc#roomconfig_roomdesc</c>).</summary>
    public string Description { get; set; } = string.Empty;

    /// <summary>Whether participants, not only moderators, may change the subject (<c>muc#roomconfig_changesubject</c>).</summary>
    public bool ChangeSubject { get; set; }

    /// <summary>Most occupants at once (<c>muc#roomconfig_maxusers</c>); 0 means the service's limit.</summary>
    public int MaxUsers { get; set; }

    /// <summary>Roles whose presence is broadcast (<c>muc#roomconfig_presencebroadcast</c>).</summary>
    public List<MucRole> PresenceBroadcast { get; set; } = [MucRole.Moderator, MucRole.Participant, MucRole.Visitor];

    /// <summary>Listed in the service's disco#items (<c>muc#roomconfig_publicroom</c>).</summary>
    public bool Public { get; set; } = true;

    /// <summary>Survives the last occupant leaving and the node restarting (<c>muc#roomconfig_persistentroom</c>).</summary>
    public bool Persistent { get; set; }

    /// <summary>Only occupants with voice may send to everyone (<c>muc#roomconfig_moderatedroom</c>).</summary>
    public bool Moderated { get; set; }

    /// <summary>Only members may enter (<c>muc#roomconfig_membersonly</c>).</summary>
    public bool MembersOnly { get; set; }

    /// <summary>Occupants, not only admins, may invite (<c>muc#roomconfig_allowinvites</c>).</summary>
    public bool AllowInvites { get; set; }

    /// <summary>A password is needed to enter (<c>muc#roomconfig_passwordprotectedroom</c>).</summary>
    public bool PasswordProtected { get; set; }

    /// <summary>The password (<c>muc#roomconfig_roomsecret</c>).</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>Who sees real JIDs (<c>muc#roomconfig_whois</c>).</summary>
    public MucWhois Whois { get; set; } = MucWhois.Moderators;

    /// <summary>Messages are archived (XEP-0313) and history survives the room (<c>muc#roomconfig_enablelogging</c>).</summary>
    public bool Logging { get; set; }

    /// <summary>Only registered nicks may enter, each user with their own (<c>x-muc#roomconfig_reservednick</c>).</summary>
    public bool ReservedNicksOnly { get; set; }

    /// <summary>Occupants may change their nick (<c>x-muc#roomconfig_canchangenick</c>).</summary>
    public bool CanChangeNick { get; set; } = true;

    /// <summary>Users may register with the room (XEP-0045 §7.10, <c>x-muc#roomconfig_registration</c>).</summary>
    public bool AllowRegistration { get; set; } = true;

    /// <summary>
    /// The secret behind the room's occupant ids (XEP-0421 §4): random, never shown, kept with the configuration so
    /// that ids stay the same when the room is re-created.
    /// </summary>
    public string OccupantIdSecret { get; set; } = string.Empty;

    /// <summary>A copy that can be changed without touching this one.</summary>
    public RoomConfig Clone()
    {
        var copy = (RoomConfig)MemberwiseClone();
        copy.PresenceBroadcast = [.. PresenceBroadcast];
        return copy;
    }
}
