using Rookery.Integration.Tests.Im;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>
/// Roles and affiliations over real sockets (XEP-0045 §8–§10): kick, ban, voice, moderator, member/admin/owner
/// lists, members-only removal, mediated invitations and declines.
/// </summary>
public sealed class MucAdministrationTests
{
    [Fact]
    public async Task Kick_KickedAndOthersGet307WithActorAndReason()
    {
        await using var server = await TestServer.StartAsync();
        await using var r = await RoomWithOccupants.CreateAsync(server, "kicks", "alice", "bob", "carol");
        var (room, alice, bob, carol) = (r.Room, r["alice"], r["bob"], r["carol"]);

        // A participant is no moderator.
        (await carol.SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Bob' role='none'/></query>")).ShouldBeError(StanzaErrorCondition.Forbidden);

        await alice.SendAsync($"<iq type='set' id='kick' to='{room}'><query xmlns='{AdminNs}'><item nick='Bob' role='none'><reason>Spamming</reason></item></query></iq>");
        var (reply, _) = await ExpectBothAsync(alice, Match.IqReply("kick"), PresenceFrom($"{room}/Bob", "unavailable"));
        reply.ShouldBeResult();
        var kicked = await bob.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        HasStatus(kicked, 307).Should().BeTrue();
        HasStatus(kicked, 110).Should().BeTrue();
        Item(kicked).GetAttribute("role").Should().Be("none");
        Item(kicked).ChildText("reason", UserNs).Should().Be("Spamming");
        Item(kicked).Child("actor", UserNs)!.GetAttribute("nick").Should().Be("Alice");
        var seen = await carol.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        HasStatus(seen, 307).Should().BeTrue();
        HasStatus(seen, 110).Should().BeFalse();

        // Bob is no longer an occupant, and may come back.
        await bob.SendAsync($"<message to='{room}' type='groupchat' id='after'><body>still here?</body></message>");
        Match.Condition(await bob.WaitForAsync(Match.Error("message", "after"))).Should().Be("not-acceptable");
        (await bob.JoinAsync(room, "Bob")).GetAttribute("type").Should().BeNull();
    }

    [Fact]
    public async Task Kick_AdminOrOwner_NotAllowed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("protected");
        await alice.CreateInstantRoomAsync(room, "Alice");
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='admin' jid='{bob.Jid!.Bare}'/></query>")).ShouldBeResult();
        var self = await bob.JoinAsync(room, "Bob");
        Item(self).GetAttribute("role").Should().Be("moderator");

        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Alice' role='none'/></query>")).ShouldBeError(StanzaErrorCondition.NotAllowed);
    }

    [Fact]
    public async Task Ban_RemovesWith301_RejoinForbidden_OutcastListHasReason()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("bans");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");

        await alice.SendAsync($"<iq type='set' id='ban' to='{room}'><query xmlns='{AdminNs}'><item affiliation='outcast' jid='{bob.Jid!.Bare}'><reason>Troll</reason></item></query></iq>");
        var (reply, seen) = await ExpectBothAsync(alice, Match.IqReply("ban"), PresenceFrom($"{room}/Bob", "unavailable"));
        reply.ShouldBeResult();
        HasStatus(seen, 301).Should().BeTrue();
        var banned = await bob.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        HasStatus(banned, 301).Should().BeTrue();
        Item(banned).GetAttribute("affiliation").Should().Be("outcast");

        Match.Condition(await bob.JoinAsync(room, "Bob")).Should().Be("forbidden");
        var outcasts = (await alice.GetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='outcast'/></query>")).ShouldBeResult()!;
        var item = outcasts.Elements().Single();
        item.GetAttribute("jid").Should().Be(bob.Jid.Bare.ToString());
        item.ChildText("reason", AdminNs).Should().Be("Troll");

        // Lifting the ban lets Bob in again.
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='none' jid='{bob.Jid.Bare}'/></query>")).ShouldBeResult();
        (await bob.JoinAsync(room, "Bob")).GetAttribute("type").Should().BeNull();
    }

    [Fact]
    public async Task ModeratedRoom_VisitorsNeedVoice_GrantAndRevoke()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("stage");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_moderatedroom", "1"));
        var self = await bob.JoinAsync(room, "Bob");
        Item(self).GetAttribute("role").Should().Be("visitor");

        await bob.SendAsync($"<message to='{room}' type='groupchat' id='v1'><body>hi</body></message>");
        Match.Condition(await bob.WaitForAsync(Match.Error("message", "v1"))).Should().Be("forbidden");

        await alice.SendAsync($"<iq type='set' id='voice' to='{room}'><query xmlns='{AdminNs}'><item nick='Bob' role='participant'/></query></iq>");
        await ExpectBothAsync(alice, Match.IqReply("voice"), PresenceFrom($"{room}/Bob"));
        var voiced = await bob.WaitForAsync(PresenceFrom($"{room}/Bob"));
        Item(voiced).GetAttribute("role").Should().Be("participant");
        var voiceList = (await alice.GetAsync(room, $"<query xmlns='{AdminNs}'><item role='participant'/></query>")).ShouldBeResult()!;
        voiceList.Elements().Single().GetAttribute("nick").Should().Be("Bob");

        await bob.SendAsync($"<message to='{room}' type='groupchat'><body>now I speak</body></message>");
        await alice.WaitForAsync(Groupchat($"{room}/Bob", "now I speak"));

        await alice.SendAsync($"<iq type='set' id='revoke' to='{room}'><query xmlns='{AdminNs}'><item nick='Bob' role='visitor'/></query></iq>");
        await alice.WaitForAsync(Match.IqReply("revoke"));
        var silenced = await bob.WaitForAsync(e => PresenceFrom($"{room}/Bob")(e) && Item(e).GetAttribute("role") == "visitor");
        silenced.Should().NotBeNull();
    }

    [Fact]
    public async Task Moderator_GrantedByAdminOnly()
    {
        await using var server = await TestServer.StartAsync();
        await using var r = await RoomWithOccupants.CreateAsync(server, "mods", "alice", "bob", "carol");
        var (room, alice, bob) = (r.Room, r["alice"], r["bob"]);

        await alice.SendAsync($"<iq type='set' id='mod' to='{room}'><query xmlns='{AdminNs}'><item nick='Bob' role='moderator'/></query></iq>");
        await alice.WaitForAsync(Match.IqReply("mod"));
        await bob.WaitForAsync(e => PresenceFrom($"{room}/Bob")(e) && Item(e).GetAttribute("role") == "moderator");

        // Bob is a moderator but not an admin: he may kick Carol, not make her a moderator.
        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Carol' role='moderator'/></query>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        var moderators = (await alice.GetAsync(room, $"<query xmlns='{AdminNs}'><item role='moderator'/></query>")).ShouldBeResult()!;
        moderators.Elements().Select(e => e.GetAttribute("nick")).Should().BeEquivalentTo("Alice", "Bob");
    }

    [Fact]
    public async Task AffiliationLists_AdminsManageMembers_OwnersManageAdminsAndOwners()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("lists");
        var dave = $"dave@{server.Domain}";
        var erin = $"erin@{server.Domain}";
        await alice.CreateInstantRoomAsync(room, "Alice");

        (await bob.GetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='member'/></query>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='admin' jid='{bob.Jid!.Bare}'/><item affiliation='member' jid='{dave}'/></query>")).ShouldBeResult();

        // Bob, an admin, manages members but cannot make admins or touch owners.
        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='member' jid='{erin}'/></query>")).ShouldBeResult();
        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='admin' jid='{erin}'/></query>")).ShouldBeError(StanzaErrorCondition.NotAllowed);
        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='none' jid='{alice.Jid!.Bare}'/></query>")).ShouldBeError(StanzaErrorCondition.NotAllowed);

        var members = (await bob.GetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='member'/></query>")).ShouldBeResult()!;
        members.Elements().Select(e => e.GetAttribute("jid")).Should().Equal(dave, erin);
        var admins = (await alice.GetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='admin'/></query>")).ShouldBeResult()!;
        admins.Elements().Select(e => e.GetAttribute("jid")).Should().Equal(bob.Jid.Bare.ToString());

        // §10.9: the last owner cannot step down; with a second owner it can.
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='admin' jid='{alice.Jid.Bare}'/></query>")).ShouldBeError(StanzaErrorCondition.Conflict);
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='owner' jid='{dave}'/></query>")).ShouldBeResult();
        var owners = (await alice.GetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='owner'/></query>")).ShouldBeResult()!;
        owners.Elements().Select(e => e.GetAttribute("jid")).Should().Equal(alice.Jid.Bare.ToString(), dave);
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='admin' jid='{alice.Jid.Bare}'/></query>")).ShouldBeResult();
    }

    [Fact]
    public async Task MembersOnly_MembershipRevoked_RemovedWith321()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("members");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_membersonly", "1"));
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='member' jid='{bob.Jid!.Bare}'/></query>")).ShouldBeResult();
        await bob.JoinAsync(room, "Bob");

        await alice.SendAsync($"<iq type='set' id='unmember' to='{room}'><query xmlns='{AdminNs}'><item affiliation='none' jid='{bob.Jid.Bare}'/></query></iq>");
        await alice.WaitForAsync(Match.IqReply("unmember"));
        var removed = await bob.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        HasStatus(removed, 321).Should().BeTrue();
    }

    [Fact]
    public async Task MediatedInvitation_MembersOnly_InviteeBecomesMember_DeclineReachesInviter()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        var room = server.Room("invites");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_membersonly", "1"));

        await alice.SendAsync($"<message to='{room}'><x xmlns='{UserNs}'><invite to='{bob.Jid!.Bare}'><reason>Join us</reason></invite></x></message>");
        var invitation = await bob.WaitForAsync(e => e.Name == "message" && e.Child("x", UserNs)?.Child("invite", UserNs) is not null);
        invitation.GetAttribute("from").Should().Be(room);
        var invite = invitation.Child("x", UserNs)!.Child("invite", UserNs)!;
        invite.GetAttribute("from").Should().Be(alice.Jid!.ToString());
        invite.ChildText("reason", UserNs).Should().Be("Join us");
        (await bob.JoinAsync(room, "Bob")).GetAttribute("type").Should().BeNull();

        // Bob, a member but no admin, may not invite unless the room allows it.
        await bob.SendAsync($"<message to='{room}' id='inv2'><x xmlns='{UserNs}'><invite to='{carol.Jid!.Bare}'/></x></message>");
        Match.Condition(await bob.WaitForAsync(Match.Error("message", "inv2"))).Should().Be("forbidden");

        await carol.SendAsync($"<message to='{room}'><x xmlns='{UserNs}'><decline to='{alice.Jid.Bare}'><reason>Busy</reason></decline></x></message>");
        var declined = await alice.WaitForAsync(e => e.Name == "message" && e.Child("x", UserNs)?.Child("decline", UserNs) is not null);
        declined.GetAttribute("from").Should().Be(room);
        var decline = declined.Child("x", UserNs)!.Child("decline", UserNs)!;
        decline.GetAttribute("from").Should().Be(carol.Jid.Bare.ToString());
        decline.ChildText("reason", UserNs).Should().Be("Busy");
    }
}
