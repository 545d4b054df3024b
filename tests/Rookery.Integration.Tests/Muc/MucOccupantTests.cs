using Rookery.Integration.Tests.Im;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>Self-ping (XEP-0410), iq to occupants, and occupant ids (XEP-0421), over real sockets.</summary>
public sealed class MucOccupantTests
{
    private const string OccupantIdNs = "urn:xmpp:occupant-id:0";

    [Fact]
    public async Task SelfPing_JoinedGetsResult_NotJoinedGetsNotAcceptable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("pings");
        await alice.CreateInstantRoomAsync(room, "Alice");

        (await alice.GetAsync($"{room}/Alice", "<ping xmlns='urn:xmpp:ping'/>")).ShouldBeResult();
        (await bob.GetAsync($"{room}/Alice", "<ping xmlns='urn:xmpp:ping'/>")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await bob.GetAsync($"{room}/Bob", "<ping xmlns='urn:xmpp:ping'/>")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        var info = (await alice.GetAsync(room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
        info.Elements().Select(e => e.GetAttribute("var")).Should().Contain("http://jabber.org/protocol/muc#self-ping-optimization");
    }

    [Fact]
    public async Task IqToOtherOccupant_ForwardedAndAnswerReturned()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("relay");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");

        await alice.SendAsync($"<iq type='get' id='v1' to='{room}/Bob'><query xmlns='jabber:iq:version'/></iq>");
        var forwarded = await bob.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("type") == "get");
        forwarded.GetAttribute("from").Should().Be($"{room}/Alice");
        await bob.SendAsync($"<iq type='result' id='{forwarded.GetAttribute("id")}' to='{room}/Alice'><query xmlns='jabber:iq:version'><name>BobClient</name></query></iq>");
        var answer = await alice.WaitForAsync(Match.IqReply("v1"));
        answer.GetAttribute("type").Should().Be("result");
        answer.GetAttribute("from").Should().Be($"{room}/Bob");
        answer.Child("query", "jabber:iq:version")!.ChildText("name", "jabber:iq:version").Should().Be("BobClient");
    }

    [Fact]
    public async Task OccupantId_SameInPresenceAndMessages_StableAcrossVisits_ForgeryReplaced()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("ids");
        await alice.CreateInstantRoomAsync(room, "Alice");

        var first = (await bob.JoinAsync(room, "Bob")).Child("occupant-id", OccupantIdNs)!.GetAttribute("id");
        await bob.SendAsync($"<message to='{room}' type='groupchat'><body>hi</body><occupant-id xmlns='{OccupantIdNs}' id='forged'/></message>");
        var message = await alice.WaitForAsync(Groupchat($"{room}/Bob", "hi"));
        message.Elements().Where(e => e.Namespace == OccupantIdNs).Select(e => e.GetAttribute("id")).Should().Equal(first);

        await bob.SendAsync($"<presence to='{room}/Bob' type='unavailable'/>");
        await bob.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        var again = (await bob.JoinAsync(room, "Robert")).Child("occupant-id", OccupantIdNs)!.GetAttribute("id");
        again.Should().Be(first);
        // Alice's presence came before Bob's own (§7.2.3), so the join step passed over it.
        var alicePresence = bob.Skipped.Last(PresenceFrom($"{room}/Alice"));
        alicePresence.Child("occupant-id", OccupantIdNs)!.GetAttribute("id").Should().NotBe(first);
    }
}
