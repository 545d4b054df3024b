using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Muc;

/// <summary>One occupant of a room: a nick bound to one real full JID, with a role and the presence it last sent.</summary>
internal sealed class Occupant(string nick, Jid roomJid, Jid realJid, MucRole role, string occupantId)
{
    /// <summary>The nick (the resource of <see cref="RoomJid"/>).</summary>
    public string Nick { get; private set; } = nick;

    /// <summary>room@service/nick.</summary>
    public Jid RoomJid { get; private set; } = roomJid;

    /// <summary>The occupant's real full JID, where the room sends its stanzas.</summary>
    public Jid RealJid { get; } = realJid;

    /// <summary>The cluster node the occupant's session is on (0 on a single node).</summary>
    public long NodeId { get; set; }

    /// <summary>The occupant's role.</summary>
    public MucRole Role { get; set; } = role;

    /// <summary>The XEP-0421 occupant id: stable per real bare JID within the room.</summary>
    public string OccupantId { get; } = occupantId;

    /// <summary>The show, status, priority and extensions of the last available presence, without MUC elements.</summary>
    public Element Presence { get; set; } = new("presence", Ns.Client);

    /// <summary>Changes the nick (a nick change, XEP-0045 §7.6).</summary>
    public void Rename(string nick, Jid roomJid)
    {
        Nick = nick;
        RoomJid = roomJid;
    }
}
