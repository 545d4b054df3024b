using Rookery.Integration.Tests.Im;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>
/// Moderated message retraction (XEP-0425) over real sockets, in a logged room: Alice owns it (moderator), Bob and
/// Carol are participants.
/// </summary>
public sealed class MucModerationTests
{
    private const string ModerateNs = "urn:xmpp:message-moderate:1";
    private const string RetractNs = "urn:xmpp:message-retract:1";
    private const string MamNs = "urn:xmpp:mam:2";

    [Fact]
    public async Task Moderator_Retracts_EveryOccupantToldArchiveKeepsTombstoneNewcomerHistoryLacksIt()
    {
        await using var server = await TestServer.StartAsync();
        await using var room = await LoggedRoomAsync(server, "moderated", "alice", "bob", "carol");
        var stanzaId = await SayAsync(room, "bob", "DM me for free magic potions!");
        await SayAsync(room, "carol", "hello all");

        var info = (await room["bob"].GetAsync(room.Room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
        info.Elements().Select(e => e.GetAttribute("var")).Should().Contain([ModerateNs, "urn:xmpp:message-moderate:0"]);

        await room["alice"].SendAsync(
            $"<iq type='set' id='mod' to='{room.Room}'><moderate id='{stanzaId}' xmlns='{ModerateNs}'><retract xmlns='{RetractNs}'/><reason>Spam</reason></moderate></iq>");
        // The moderator is told like everyone else; the announcement and the iq result may come in either order.
        var (reply, toAlice) = await ExpectBothAsync(room["alice"], Match.IqReply("mod"), IsRetraction);
        reply.ShouldBeResult();

        foreach (var user in new[] { "alice", "bob", "carol" })
        {
            var announcement = user == "alice" ? toAlice : await room[user].WaitForAsync(IsRetraction);
            announcement.GetAttribute("from").Should().Be(room.Room, "{0} gets it from the room itself", user);
            announcement.GetAttribute("type").Should().Be("groupchat");
            var retract = announcement.Child("retract", RetractNs)!;
            retract.GetAttribute("id").Should().Be(stanzaId);
            retract.Child("moderated", ModerateNs)!.GetAttribute("by").Should().Be(room.Occupant("alice"));
            retract.Child("moderated", ModerateNs)!.Child("occupant-id", "urn:xmpp:occupant-id:0").Should().NotBeNull();
            retract.ChildText("reason", RetractNs).Should().Be("Spam");
        }

        // The room's archive: the message is a tombstone now, in its old place; the other message is untouched.
        await room["carol"].SendAsync($"<iq type='set' id='q' to='{room.Room}'><query xmlns='{MamNs}' queryid='mq'/></iq>");
        var results = new List<Element>();
        while (true)
        {
            var e = await room["carol"].WaitForAsync(e => Match.IqReply("q")(e) || (e.Name == "message" && e.Child("result", MamNs) is not null));
            if (e.Name == "iq")
            {
                e.ShouldBeResult();
                break;
            }

            results.Add(e.Child("result", MamNs)!);
        }

        var archived = results.Single(r => r.GetAttribute("id") == stanzaId).Child("forwarded", "urn:xmpp:forward:0")!.Child("message", Ns.Client)!;
        archived.Child("body", Ns.Client).Should().BeNull();
        ElementWriter.ToXmlString(archived).Should().NotContain("potions");
        archived.GetAttribute("from").Should().Be(room.Occupant("bob"));
        var retracted = archived.Child("retracted", RetractNs)!;
        retracted.Child("moderated", ModerateNs)!.GetAttribute("by").Should().Be(room.Occupant("alice"));
        results.Select(r => r.Child("forwarded", "urn:xmpp:forward:0")!.Child("message", Ns.Client)!.ChildText("body", Ns.Client))
            .Should().Contain("hello all");
        results.Should().Contain(r => r.Child("forwarded", "urn:xmpp:forward:0")!.Child("message", Ns.Client)!.Child("retract", RetractNs) != null,
            "the announcement is archived too, for clients catching up over MAM");

        // A newcomer's join history has the other message and not the retracted one.
        await server.CreateUserAsync("dave");
        await using var dave = await server.LoginAsync("dave");
        await dave.JoinAsync(room.Room, "Dave");
        var history = new List<Element>();
        while (true)
        {
            var e = await dave.WaitForAsync(e => e.Name == "message");
            if (IsSubject(e))
            {
                break;
            }

            history.Add(e);
        }

        history.Select(e => e.ChildText("body", Ns.Client)).Should().Equal("hello all");
    }

    [Fact]
    public async Task Participant_Moderates_Forbidden()
    {
        await using var server = await TestServer.StartAsync();
        await using var room = await LoggedRoomAsync(server, "participants", "alice", "bob");
        var stanzaId = await SayAsync(room, "alice", "owner speaking");

        (await room["bob"].SetAsync(room.Room,
            $"<moderate id='{stanzaId}' xmlns='{ModerateNs}'><retract xmlns='{RetractNs}'/></moderate>")).ShouldBeError(StanzaErrorCondition.Forbidden);
    }

    [Fact]
    public async Task Moderator_UnknownStanzaId_ItemNotFound()
    {
        await using var server = await TestServer.StartAsync();
        await using var room = await LoggedRoomAsync(server, "unknown", "alice", "bob");
        await SayAsync(room, "bob", "something");

        (await room["alice"].SetAsync(room.Room,
            $"<moderate id='not-a-stanza-id' xmlns='{ModerateNs}'><retract xmlns='{RetractNs}'/></moderate>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    private static bool IsRetraction(Element e) => e.Name == "message" && e.Child("retract", RetractNs) is not null;

    private static async Task<RoomWithOccupants> LoggedRoomAsync(TestServer server, string name, params string[] users)
    {
        var room = await RoomWithOccupants.CreateAsync(server, name, users);
        (await room[users[0]].ConfigureAsync(room.Room, ("muc#roomconfig_enablelogging", "1"))).ShouldBeResult();
        return room;
    }

    /// <summary>Sends a groupchat message as <paramref name="user"/>; returns the room's stanza-id of it.</summary>
    private static async Task<string> SayAsync(RoomWithOccupants room, string user, string body)
    {
        await room[user].SendAsync($"<message to='{room.Room}' type='groupchat'><body>{body}</body></message>");
        var echo = await room[user].WaitForAsync(Groupchat(room.Occupant(user), body));
        var stanzaId = echo.Child("stanza-id", "urn:xmpp:sid:0")!;
        stanzaId.GetAttribute("by").Should().Be(room.Room);
        return stanzaId.GetAttribute("id")!;
    }
}
