using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Muc;

/// <summary>Steps the MUC tests share: entering rooms, creating instant rooms, reading status codes and items.</summary>
internal static class MucTestExtensions
{
    public const string MucNs = "http://jabber.org/protocol/muc";
    public const string UserNs = "http://jabber.org/protocol/muc#user";
    public const string AdminNs = "http://jabber.org/protocol/muc#admin";
    public const string OwnerNs = "http://jabber.org/protocol/muc#owner";
    public const string DataNs = "jabber:x:data";

    /// <summary>The bare JID of a room on the server's MUC service.</summary>
    public static string Room(this TestServer server, string name) => $"{name}@conference.{server.Domain}";

    /// <summary>
    /// Sends presence to room/nick (with <paramref name="mucXml"/> inside the MUC element) and returns the self-presence
    /// (status 110) or the error presence, whichever comes.
    /// </summary>
    public static Task<Element> JoinAsync(this RawXmppClient client, string room, string nick, string mucXml = "")
    {
        var to = $"{room}/{nick}";
        return JoinRawAsync(client, to, $"<presence to='{to}'><x xmlns='{MucNs}'>{mucXml}</x></presence>");
    }

    /// <summary>Sends the given presence and waits for the self-presence or an error from <paramref name="to"/>.</summary>
    public static async Task<Element> JoinRawAsync(RawXmppClient client, string to, string presenceXml)
    {
        await client.SendAsync(presenceXml);
        return await client.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == to
            && (e.GetAttribute("type") == "error" || HasStatus(e, 110)));
    }

    /// <summary>Creates a room with instant configuration (§10.1.2), as its owner; returns the 201 self-presence.</summary>
    public static async Task<Element> CreateInstantRoomAsync(this RawXmppClient owner, string room, string nick)
    {
        var self = await owner.JoinAsync(room, nick);
        HasStatus(self, 201).Should().BeTrue("the room is new: {0}", self);
        (await owner.SetAsync(room, $"<query xmlns='{OwnerNs}'><x xmlns='{DataNs}' type='submit'/></query>")).ShouldBeResult();
        return self;
    }

    /// <summary>Creates a room and submits configuration fields (var → values) in the same step.</summary>
    public static async Task CreateConfiguredRoomAsync(this RawXmppClient owner, string room, string nick, params (string Var, string Value)[] fields)
    {
        var self = await owner.JoinAsync(room, nick);
        HasStatus(self, 201).Should().BeTrue("the room is new: {0}", self);
        (await owner.ConfigureAsync(room, fields)).ShouldBeResult();
    }

    /// <summary>Submits the configuration form with these fields; returns the reply.</summary>
    public static Task<Element> ConfigureAsync(this RawXmppClient owner, string room, params (string Var, string Value)[] fields)
    {
        var xml = string.Concat(fields.Select(f => $"<field var='{f.Var}'><value>{f.Value}</value></field>"));
        return owner.SetAsync(room,
            $"<query xmlns='{OwnerNs}'><x xmlns='{DataNs}' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>{xml}</x></query>");
    }

    /// <summary>Waits for two stanzas in any order (an iq reply and the presences it caused arrive interleaved).</summary>
    public static async Task<(Element First, Element Second)> ExpectBothAsync(RawXmppClient client, Func<Element, bool> first, Func<Element, bool> second)
    {
        var found = await Im.ImTestExtensions.ExpectAllAsync(client, first, second);
        return (found[0], found[1]);
    }

    /// <summary>Whether a stanza's muc#user element carries this status code.</summary>
    public static bool HasStatus(Element e, int code) =>
        e.Child("x", UserNs)?.Elements().Any(s => s.Name == "status" && s.GetAttribute("code") == code.ToString(System.Globalization.CultureInfo.InvariantCulture)) == true;

    /// <summary>The muc#user item of a presence.</summary>
    public static Element Item(Element presence) => presence.Child("x", UserNs)!.Child("item", UserNs)!;

    /// <summary>A presence from room/nick (available, or of the given type).</summary>
    public static Func<Element, bool> PresenceFrom(string occupant, string? type = null) => e =>
        e.Name == "presence" && e.GetAttribute("from") == occupant && e.GetAttribute("type") == type;

    /// <summary>A groupchat message from room/nick with this body.</summary>
    public static Func<Element, bool> Groupchat(string from, string body) => e =>
        e.Name == "message" && e.GetAttribute("type") == "groupchat" && e.GetAttribute("from") == from && e.ChildText("body", Ns.Client) == body;

    /// <summary>The subject message that ends the join sequence (§7.2.16).</summary>
    public static bool IsSubject(Element e) =>
        e.Name == "message" && e.Child("subject", Ns.Client) is not null && e.Child("body", Ns.Client) is null;
}
