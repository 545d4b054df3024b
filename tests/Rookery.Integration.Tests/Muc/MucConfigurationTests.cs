using Rookery.Integration.Tests.Im;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>
/// Room configuration over real sockets (XEP-0045 §10): the form, reserved rooms, entry rules (password, members-only,
/// maxusers, reserved nicks, nick changes), registration and the reserved-nick query, notices, destruction.
/// </summary>
public sealed class MucConfigurationTests
{
    private static readonly string[] ConfigFields =
    [
        "muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_changesubject", "muc#roomconfig_maxusers",
        "muc#roomconfig_presencebroadcast", "muc#roomconfig_publicroom", "muc#roomconfig_persistentroom",
        "muc#roomconfig_moderatedroom", "muc#roomconfig_membersonly", "muc#roomconfig_allowinvites",
        "muc#roomconfig_passwordprotectedroom", "muc#roomconfig_roomsecret", "muc#roomconfig_whois",
        "muc#roomconfig_enablelogging", "muc#roomconfig_roomadmins", "muc#roomconfig_roomowners",
        "x-muc#roomconfig_reservednick", "x-muc#roomconfig_canchangenick", "x-muc#roomconfig_registration",
    ];

    [Fact]
    public async Task ReservedRoom_OwnerGetsFormWithEveryField_SubmitUnlocks()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("reserved");
        await alice.JoinAsync(room, "Alice");

        var form = (await alice.GetAsync(room, $"<query xmlns='{OwnerNs}'/>")).ShouldBeResult()!.Child("x", DataNs)!;
        form.GetAttribute("type").Should().Be("form");
        var vars = form.Elements().Where(f => f.Name == "field").Select(f => f.GetAttribute("var")).ToList();
        vars.Should().Contain("FORM_TYPE").And.Contain(ConfigFields);
        form.Elements().Single(f => f.GetAttribute("var") == "muc#roomconfig_roomsecret").GetAttribute("type").Should().Be("text-private");
        form.Elements().Single(f => f.GetAttribute("var") == "muc#roomconfig_roomowners").ChildText("value", DataNs).Should().Be(alice.Jid!.Bare.ToString());

        // Still locked while the owner looks at the form.
        Match.Condition(await bob.JoinAsync(room, "Bob")).Should().Be("item-not-found");
        (await bob.GetAsync(room, $"<query xmlns='{OwnerNs}'/>")).ShouldBeError(StanzaErrorCondition.Forbidden);

        (await alice.ConfigureAsync(room, ("muc#roomconfig_roomname", "Reserved"), ("muc#roomconfig_roomdesc", "A room"))).ShouldBeResult();
        (await bob.JoinAsync(room, "Bob")).GetAttribute("type").Should().BeNull();
        var form2 = (await alice.GetAsync(room, $"<query xmlns='{OwnerNs}'/>")).ShouldBeResult()!.Child("x", DataNs)!;
        form2.Elements().Single(f => f.GetAttribute("var") == "muc#roomconfig_roomname").ChildText("value", DataNs).Should().Be("Reserved");
    }

    [Fact]
    public async Task CancelInitialConfiguration_DestroysTheRoom()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var room = server.Room("cancelled");
        await alice.JoinAsync(room, "Alice");

        await alice.SendAsync($"<iq type='set' id='cancel' to='{room}'><query xmlns='{OwnerNs}'><x xmlns='{DataNs}' type='cancel'/></query></iq>");
        var (reply, gone) = await ExpectBothAsync(alice, Match.IqReply("cancel"), PresenceFrom($"{room}/Alice", "unavailable"));
        reply.ShouldBeResult();
        HasStatus(gone, 110).Should().BeTrue();
        (await alice.GetAsync(room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task InvalidForm_Rejected_NothingChanges()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var room = server.Room("strict");
        await alice.CreateInstantRoomAsync(room, "Alice");

        (await alice.ConfigureAsync(room, ("muc#roomconfig_maxusers", "lots"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.ConfigureAsync(room, ("muc#roomconfig_passwordprotectedroom", "1"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.ConfigureAsync(room, ("muc#roomconfig_whois", "everybody"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.SetAsync(room, $"<query xmlns='{OwnerNs}'><x xmlns='{DataNs}' type='submit'><field var='muc#roomconfig_roomowners'/></x></query>"))
            .ShouldBeError(StanzaErrorCondition.Conflict);
        var info = (await alice.GetAsync(room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
        info.Elements().Select(e => e.GetAttribute("var")).Should().Contain("muc_unsecured");
    }

    [Fact]
    public async Task PasswordProtectedRoom_NotAuthorizedWithoutPassword()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("secret");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_passwordprotectedroom", "1"), ("muc#roomconfig_roomsecret", "cauliflower"));

        Match.Condition(await bob.JoinAsync(room, "Bob")).Should().Be("not-authorized");
        Match.Condition(await bob.JoinAsync(room, "Bob", "<password>wrong</password>")).Should().Be("not-authorized");
        (await bob.JoinAsync(room, "Bob", "<password>cauliflower</password>")).GetAttribute("type").Should().BeNull();
    }

    [Fact]
    public async Task MembersOnlyRoom_NonMemberRefusedWithRegistrationRequired()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("club");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_membersonly", "1"));

        Match.Condition(await bob.JoinAsync(room, "Bob")).Should().Be("registration-required");
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='member' jid='{bob.Jid!.Bare}'/></query>")).ShouldBeResult();
        var self = await bob.JoinAsync(room, "Bob");
        Item(self).GetAttribute("affiliation").Should().Be("member");
    }

    [Fact]
    public async Task MaxUsers_FullRoomRefusesWithServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        var room = server.Room("tiny");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_maxusers", "2"));
        await bob.JoinAsync(room, "Bob");

        var refused = await carol.JoinAsync(room, "Carol");
        Match.Condition(refused).Should().Be("service-unavailable");
    }

    [Fact]
    public async Task ConfigChange_OccupantsGet104And172()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("notice");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");

        (await alice.ConfigureAsync(room, ("muc#roomconfig_whois", "anyone"))).ShouldBeResult();
        var notice = await bob.WaitForAsync(e => e.Name == "message" && HasStatus(e, 104));
        notice.GetAttribute("from").Should().Be(room);
        HasStatus(notice, 172).Should().BeTrue();
    }

    [Fact]
    public async Task CanChangeNickOff_NickChangeNotAcceptable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("fixed");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("x-muc#roomconfig_canchangenick", "0"));
        await bob.JoinAsync(room, "Bob");

        await bob.SendAsync($"<presence to='{room}/Bobby' id='nc'/>");
        Match.Condition(await bob.WaitForAsync(Match.Error("presence", "nc"))).Should().Be("not-acceptable");
    }

    [Fact]
    public async Task Registration_ReservesNick_OthersGetConflict_NickQueryAnswers()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        var room = server.Room("registry");
        await alice.CreateInstantRoomAsync(room, "Alice");

        var form = (await bob.GetAsync(room, "<query xmlns='jabber:iq:register'/>")).ShouldBeResult()!;
        form.Child("x", DataNs)!.Elements().Select(f => f.GetAttribute("var")).Should().Contain("muc#register_roomnick");
        (await bob.SetAsync(room,
            $"<query xmlns='jabber:iq:register'><x xmlns='{DataNs}' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>" +
            "<field var='muc#register_roomnick'><value>Bobby</value></field></x></query>")).ShouldBeResult();

        // §7.12: the reserved nick is the identity of the x-roomuser-item node.
        var nickInfo = (await bob.GetAsync(room, "<query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/>")).ShouldBeResult()!;
        nickInfo.FirstElement()!.GetAttribute("name").Should().Be("Bobby");
        var registered = (await bob.GetAsync(room, "<query xmlns='jabber:iq:register'/>")).ShouldBeResult()!;
        registered.Child("registered", "jabber:iq:register").Should().NotBeNull();

        // Registration made Bob a member; his nick is his alone.
        var members = (await alice.GetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='member'/></query>")).ShouldBeResult()!;
        members.Elements().Single().GetAttribute("jid").Should().Be(bob.Jid!.Bare.ToString());
        Match.Condition(await carol.JoinAsync(room, "Bobby")).Should().Be("conflict");

        // With reserved nicks only, Bob must use his own.
        (await alice.ConfigureAsync(room, ("x-muc#roomconfig_reservednick", "1"))).ShouldBeResult();
        Match.Condition(await bob.JoinAsync(room, "Bob")).Should().Be("not-acceptable");
        (await bob.JoinAsync(room, "Bobby")).GetAttribute("type").Should().BeNull();
    }

    [Fact]
    public async Task Destroy_OccupantsLeaveWithReasonAndAlternateVenue_RoomGone()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("doomed");
        var venue = server.Room("newhome");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");

        (await bob.SetAsync(room, $"<query xmlns='{OwnerNs}'><destroy/></query>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        await alice.SendAsync($"<iq type='set' id='destroy' to='{room}'><query xmlns='{OwnerNs}'><destroy jid='{venue}'><reason>Moving</reason></destroy></query></iq>");
        var (reply, _) = await ExpectBothAsync(alice, Match.IqReply("destroy"), PresenceFrom($"{room}/Alice", "unavailable"));
        reply.ShouldBeResult();
        var gone = await bob.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        var destroy = gone.Child("x", UserNs)!.Child("destroy", UserNs)!;
        destroy.GetAttribute("jid").Should().Be(venue);
        destroy.ChildText("reason", UserNs).Should().Be("Moving");
        Item(gone).GetAttribute("role").Should().Be("none");
        Item(gone).GetAttribute("affiliation").Should().Be("none");

        (await bob.GetAsync(room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }
}
