namespace Rookery.Modules.Muc;

/// <summary>The namespaces and features of multi-user chat (XEP-0045 §19.1) and its companions, in one place.</summary>
public static class MucNs
{
    /// <summary>The basic MUC protocol: the join element and the service feature.</summary>
    public const string Muc = "http://jabber.org/protocol/muc";

    /// <summary>What the room tells occupants: items, status codes, invitations, destroy.</summary>
    public const string User = "http://jabber.org/protocol/muc#user";

    /// <summary>Role and affiliation changes and lists by moderators and admins (§9).</summary>
    public const string Admin = "http://jabber.org/protocol/muc#admin";

    /// <summary>Room configuration and destruction by owners (§10).</summary>
    public const string Owner = "http://jabber.org/protocol/muc#owner";

    /// <summary>The FORM_TYPE of the room configuration form (§15.5.3).</summary>
    public const string RoomConfig = "http://jabber.org/protocol/muc#roomconfig";

    /// <summary>The FORM_TYPE of the room information form in disco#info (§15.5.4).</summary>
    public const string RoomInfo = "http://jabber.org/protocol/muc#roominfo";

    /// <summary>The FORM_TYPE of the room registration form (§15.5.2).</summary>
    public const string Register = "http://jabber.org/protocol/muc#register";

    /// <summary>In-band registration (XEP-0077), which a room uses for member registration (§7.10).</summary>
    public const string IqRegister = "jabber:iq:register";

    /// <summary>Service discovery information (XEP-0030).</summary>
    public const string DiscoInfo = "http://jabber.org/protocol/disco#info";

    /// <summary>Service discovery items (XEP-0030).</summary>
    public const string DiscoItems = "http://jabber.org/protocol/disco#items";

    /// <summary>Data forms (XEP-0004).</summary>
    public const string DataForms = "jabber:x:data";

    /// <summary>The FORM_TYPE of voice requests and their approval (XEP-0045 §7.13, §8.6).</summary>
    public const string Request = "http://jabber.org/protocol/muc#request";

    /// <summary>XEP-0199 ping, which XEP-0410 self-pings use.</summary>
    public const string Ping = "urn:xmpp:ping";

    /// <summary>The feature that says the room answers self-pings itself (XEP-0410 §3).</summary>
    public const string SelfPingOptimization = "http://jabber.org/protocol/muc#self-ping-optimization";

    /// <summary>Occupant identifiers (XEP-0421).</summary>
    public const string OccupantId = "urn:xmpp:occupant-id:0";

    /// <summary>Unique and stable stanza ids (XEP-0359).</summary>
    public const string StanzaId = "urn:xmpp:sid:0";

    /// <summary>Message archive management (XEP-0313).</summary>
    public const string Mam = "urn:xmpp:mam:2";

    /// <summary>Moderated message retraction (XEP-0425 0.3): the request, the feature and the announcement's marker.</summary>
    public const string Moderate = "urn:xmpp:message-moderate:1";

    /// <summary>XEP-0425 0.2 moderation, inside a XEP-0422 <c>&lt;apply-to/&gt;</c>; Prosody and ejabberd still speak it.</summary>
    public const string ModerateLegacy = "urn:xmpp:message-moderate:0";

    /// <summary>Message retraction (XEP-0424 1.x), which a moderated retraction announces and its tombstone records.</summary>
    public const string Retract = "urn:xmpp:message-retract:1";

    /// <summary>Message retraction (XEP-0424 0.x), the action inside a XEP-0425 0.2 request.</summary>
    public const string RetractLegacy = "urn:xmpp:message-retract:0";

    /// <summary>Message fastening (XEP-0422), the wrapper of a XEP-0425 0.2 request and announcement.</summary>
    public const string Fasten = "urn:xmpp:fasten:0";

    /// <summary>Direct MUC invitations (XEP-0249), which pass between clients untouched.</summary>
    public const string DirectInvite = "jabber:x:conference";

    /// <summary>The disco node of the reserved-nick query (§7.12).</summary>
    public const string RoomUserItemNode = "x-roomuser-item";
}
