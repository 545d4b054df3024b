using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Im;

/// <summary>Roster management (RFC 6121 §2) and roster versioning (XEP-0237) over real sockets.</summary>
public sealed class RosterTests
{
    [Fact]
    public async Task RosterGet_EmptyRoster_ReturnsEmptyQueryWithVer()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var reply = await alice.RosterGetAsync(ver: string.Empty);

        reply.GetAttribute("type").Should().Be("result");
        var query = reply.Child("query", Ns.Roster);
        query.Should().NotBeNull("a roster get with an unknown version returns the roster: {0}", reply);
        query!.GetAttribute("ver").Should().NotBeNullOrEmpty("the server advertises roster versioning");
        query.Elements().Should().BeEmpty();
    }

    [Fact]
    public async Task RosterSet_NewItem_PushesToEveryInterestedResourceOnly()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var bob = server.Bare("bob");
        await using var desk = await server.LoginAsync("alice", resource: "desk");
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        await using var tablet = await server.LoginAsync("alice", resource: "tablet");
        await desk.RosterGetAsync();
        await phone.RosterGetAsync();

        await desk.SendRosterSetAsync("add1", $"<item jid='{bob}' name='Bob'><group>Friends</group></item>");

        var atDesk = await desk.ExpectAllAsync(Match.IqReply("add1"), Match.RosterPush(bob));
        atDesk[0].GetAttribute("type").Should().Be("result");
        var pushAtPhone = await phone.WaitForAsync(Match.RosterPush(bob));
        foreach (var push in new[] { atDesk[1], pushAtPhone })
        {
            var item = Match.PushedItem(push);
            item.GetAttribute("name").Should().Be("Bob");
            item.GetAttribute("subscription").Should().Be("none");
            item.GetAttribute("ask").Should().BeNull();
            item.Elements().Select(g => g.Text).Should().Equal("Friends");
            push.Child("query", Ns.Roster)!.GetAttribute("ver").Should().NotBeNullOrEmpty();
        }

        // The tablet never asked for the roster: it is not an interested resource (RFC 6121 §2.1.6).
        await tablet.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyRosterPush);
        var roster = (await tablet.RosterGetAsync()).Child("query", Ns.Roster)!;
        roster.Elements().Select(i => i.GetAttribute("jid")).Should().Equal(bob);
    }

    [Fact]
    public async Task RosterSet_ExistingItem_ReplacesNameAndGroups()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var bob = server.Bare("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.RosterGetAsync();
        await alice.SendRosterSetAsync("add1", $"<item jid='{bob}' name='Bob'><group>Friends</group></item>");
        await alice.ExpectAllAsync(Match.IqReply("add1"), Match.RosterPush(bob));

        await alice.SendRosterSetAsync("upd1", $"<item jid='{bob}' name='Robert'><group>Work</group><group>Family</group></item>");

        var got = await alice.ExpectAllAsync(Match.IqReply("upd1"), Match.RosterPush(bob));
        got[0].GetAttribute("type").Should().Be("result");
        var pushed = Match.PushedItem(got[1]);
        pushed.GetAttribute("name").Should().Be("Robert");
        pushed.Elements().Select(g => g.Text).Should().BeEquivalentTo("Work", "Family");
        var item = (await alice.RosterGetAsync(id: "get2")).Child("query", Ns.Roster)!.Elements().Should().ContainSingle().Subject;
        item.GetAttribute("name").Should().Be("Robert");
        item.Elements().Select(g => g.Text).Should().BeEquivalentTo("Work", "Family");
    }

    [Fact]
    public async Task RosterSet_SubscriptionRemove_PushesRemovalAndDropsItem()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var bob = server.Bare("bob");
        var carol = server.Bare("carol");
        await using var desk = await server.LoginAsync("alice", resource: "desk");
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        await desk.RosterGetAsync();
        await phone.RosterGetAsync();
        await desk.SendRosterSetAsync("add1", $"<item jid='{bob}'/>");
        await desk.ExpectAllAsync(Match.IqReply("add1"), Match.RosterPush(bob));
        await desk.SendRosterSetAsync("add2", $"<item jid='{carol}'/>");
        await desk.ExpectAllAsync(Match.IqReply("add2"), Match.RosterPush(carol));

        await desk.SendRosterSetAsync("rm1", $"<item jid='{bob}' subscription='remove'/>");

        var atDesk = await desk.ExpectAllAsync(Match.IqReply("rm1"), Match.RosterPush(bob, "remove"));
        atDesk[0].GetAttribute("type").Should().Be("result");
        await phone.WaitForAsync(Match.RosterPush(bob, "remove"));
        var items = (await desk.RosterGetAsync(id: "get2")).Child("query", Ns.Roster)!.Elements();
        items.Select(i => i.GetAttribute("jid")).Should().Equal(carol);
    }

    [Fact]
    public async Task RosterGet_WithCurrentVer_ReturnsEmptyResult()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var bob = server.Bare("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.RosterGetAsync();
        await alice.SendRosterSetAsync("add1", $"<item jid='{bob}'/>");
        var push = (await alice.ExpectAllAsync(Match.IqReply("add1"), Match.RosterPush(bob)))[1];
        var current = push.Child("query", Ns.Roster)!.GetAttribute("ver");
        current.Should().NotBeNullOrEmpty();

        var reply = await alice.RosterGetAsync(current, id: "get2");

        // XEP-0237 §4: nothing changed since that version, so the result carries no query at all.
        reply.GetAttribute("type").Should().Be("result");
        reply.Elements().Should().BeEmpty("the roster is unchanged since ver={0}: {1}", current, reply);
    }

    [Fact]
    public async Task RosterGet_WithOldVer_ReturnsFullRosterAndNewVer()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var bob = server.Bare("bob");
        var carol = server.Bare("carol");
        await using var alice = await server.LoginAsync("alice");
        var old = (await alice.RosterGetAsync()).Child("query", Ns.Roster)!.GetAttribute("ver");
        await alice.SendRosterSetAsync("add1", $"<item jid='{bob}'/>");
        await alice.ExpectAllAsync(Match.IqReply("add1"), Match.RosterPush(bob));
        await alice.SendRosterSetAsync("add2", $"<item jid='{carol}'/>");
        var push = (await alice.ExpectAllAsync(Match.IqReply("add2"), Match.RosterPush(carol)))[1];
        var latest = push.Child("query", Ns.Roster)!.GetAttribute("ver");

        var reply = await alice.RosterGetAsync(old, id: "get2");

        var query = reply.Child("query", Ns.Roster);
        query.Should().NotBeNull("ver={0} is out of date, so the whole roster comes back: {1}", old, reply);
        query!.GetAttribute("ver").Should().Be(latest).And.NotBe(old);
        query.Elements().Select(i => i.GetAttribute("jid")).Should().BeEquivalentTo(bob, carol);
    }

    [Theory]
    [InlineData("<item jid='bob@localhost'/><item jid='carol@localhost'/>", "bad-request")]
    [InlineData("<item jid='bob@localhost'><group>Friends</group><group>Friends</group></item>", "bad-request")]
    [InlineData("<item jid='bob@localhost'><group></group></item>", "not-acceptable")]
    public async Task RosterSet_InvalidItems_ReturnsErrorAndLeavesRosterUnchanged(string items, string condition)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        await alice.RosterGetAsync();

        await alice.SendRosterSetAsync("bad1", items);

        var reply = await alice.WaitForAsync(Match.IqReply("bad1"));
        reply.GetAttribute("type").Should().Be("error");
        Match.Condition(reply).Should().Be(condition);
        await alice.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyRosterPush);
        (await alice.RosterGetAsync(id: "get2")).Child("query", Ns.Roster)!.Elements().Should().BeEmpty();
    }

    [Fact]
    public async Task RosterGet_AddressedToAnotherUser_ReturnsForbidden()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedSubscriptionAsync("bob", "carol", Subscription.Both);
        await using var alice = await server.LoginAsync("alice");

        var reply = await alice.IqAsync($"<iq type='get' id='spy' to='{server.Bare("bob")}'><query xmlns='jabber:iq:roster'/></iq>", "spy");

        reply.GetAttribute("type").Should().Be("error");
        Match.Condition(reply).Should().Be("forbidden");
        reply.ToString().Should().NotContain("carol", "nothing of bob's roster may leak");
    }

    [Fact]
    public async Task RosterSet_RemoveUnknownItem_ReturnsItemNotFound()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        await alice.RosterGetAsync();

        await alice.SendRosterSetAsync("rm1", $"<item jid='{server.Bare("nobody")}' subscription='remove'/>");

        var reply = await alice.WaitForAsync(Match.IqReply("rm1"));
        reply.GetAttribute("type").Should().Be("error");
        Match.Condition(reply).Should().Be("item-not-found");
        await alice.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyRosterPush);
    }
}
