using Rookery.Integration.Tests.Im;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>Rooms over real sockets (XEP-0045 §7): creation, entering, leaving, messages, nicks, subject, history, discovery.</summary>
public sealed class MucRoomTests
{
    [Fact]
    public async Task Join_NewRoom_CreatedLockedWith201UntilInstantConfigAccepted()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("coffee");

        var self = await alice.JoinAsync(room, "Alice");
        self.GetAttribute("type").Should().BeNull();
        HasStatus(self, 201).Should().BeTrue();
        HasStatus(self, 110).Should().BeTrue();
        Item(self).GetAttribute("affiliation").Should().Be("owner");
        Item(self).GetAttribute("role").Should().Be("moderator");
        self.Child("occupant-id", "urn:xmpp:occupant-id:0")!.GetAttribute("id").Should().NotBeNullOrEmpty();

        // §10.1.1: locked for everyone but the owner.
        var refused = await bob.JoinAsync(room, "Bob");
        Match.Condition(refused).Should().Be("item-not-found");

        (await alice.SetAsync(room, $"<query xmlns='{OwnerNs}'><x xmlns='{DataNs}' type='submit'/></query>")).ShouldBeResult();
        var bobSelf = await bob.JoinAsync(room, "Bob");
        bobSelf.GetAttribute("type").Should().BeNull();
        Item(bobSelf).GetAttribute("affiliation").Should().Be("none");
        Item(bobSelf).GetAttribute("role").Should().Be("participant");
        HasStatus(bobSelf, 201).Should().BeFalse();
    }

    [Fact]
    public async Task SelfPresence_JoinChangeAndLeave_CarryTheIdOfTheOccupantsPresence()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("echo");
        await alice.CreateInstantRoomAsync(room, "Alice");

        var joined = await JoinRawAsync(bob, $"{room}/Bob", $"<presence id='join-1' to='{room}/Bob'><x xmlns='{MucNs}'/></presence>");
        await bob.SendAsync($"<presence id='away-2' to='{room}/Bob'><show>away</show></presence>");
        var changed = await bob.WaitForAsync(e => PresenceFrom($"{room}/Bob")(e) && HasStatus(e, 110));
        await bob.SendAsync($"<presence id='leave-3' to='{room}/Bob' type='unavailable'/>");
        var left = await bob.WaitForAsync(e => PresenceFrom($"{room}/Bob", "unavailable")(e) && HasStatus(e, 110));
        var seenByAlice = await alice.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));

        // A client matches the room's answer to what it sent by the id (Smack waits for it when leaving); the other
        // occupants' copies are the room's own stanzas and do not carry it.
        joined.GetAttribute("id").Should().Be("join-1");
        changed.GetAttribute("id").Should().Be("away-2");
        left.GetAttribute("id").Should().Be("leave-3");
        seenByAlice.GetAttribute("id").Should().BeNull();
    }

    [Fact]
    public async Task Join_AgainWhileInTheRoom_GetsTheOccupantsSelfPresenceAndSubjectAgain()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("resync");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await alice.SendAsync($"<message to='{room}' type='groupchat'><subject>Tea</subject></message>");
        await alice.WaitForAsync(IsSubject);
        await bob.JoinAsync(room, "Bob");
        await bob.WaitForAsync(IsSubject);

        // A client that lost track of the room sends its join again under the same nick.
        await bob.SendAsync($"<presence to='{room}/Bob'><x xmlns='{MucNs}'/></presence>");

        // XEP-0045 §7.2.1: it gets what a newcomer gets, in the same order.
        var aliceSeen = await bob.NextAsync();
        aliceSeen.GetAttribute("from").Should().Be($"{room}/Alice");
        var self = await bob.NextAsync();
        self.GetAttribute("from").Should().Be($"{room}/Bob");
        HasStatus(self, 110).Should().BeTrue("the self-presence comes after the occupants: {0}", self);
        var subject = await bob.WaitForAsync(IsSubject);
        subject.ChildText("subject", Ns.Client).Should().Be("Tea");
    }

    [Fact]
    public async Task Join_ExistingRoom_PresenceExchangeThenSubject()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("lobby");
        await alice.CreateInstantRoomAsync(room, "Alice");

        await bob.SendAsync($"<presence to='{room}/Bob'><x xmlns='{MucNs}'/></presence>");
        // §7.2.3: existing occupants first, then the newcomer's own presence with 110, then the subject.
        var aliceSeen = await bob.NextAsync();
        aliceSeen.GetAttribute("from").Should().Be($"{room}/Alice");
        Item(aliceSeen).GetAttribute("affiliation").Should().Be("owner");
        // Semi-anonymous by default: a participant does not see real JIDs.
        Item(aliceSeen).GetAttribute("jid").Should().BeNull();
        var bobSelf = await bob.NextAsync();
        bobSelf.GetAttribute("from").Should().Be($"{room}/Bob");
        HasStatus(bobSelf, 110).Should().BeTrue();
        HasStatus(bobSelf, 100).Should().BeFalse();
        var subject = await bob.NextAsync();
        IsSubject(subject).Should().BeTrue("{0}", subject);
        subject.ChildText("subject", Ns.Client).Should().BeEmpty();

        // The owner (a moderator) sees Bob's real JID.
        var bobAtAlice = await alice.WaitForAsync(PresenceFrom($"{room}/Bob"));
        Item(bobAtAlice).GetAttribute("jid").Should().Be(bob.Jid!.ToString());
    }

    [Fact]
    public async Task Join_NonAnonymousRoom_Status100AndRealJids()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("open");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_whois", "anyone"));

        await bob.SendAsync($"<presence to='{room}/Bob'><x xmlns='{MucNs}'/></presence>");
        var aliceSeen = await bob.WaitForAsync(PresenceFrom($"{room}/Alice"));
        Item(aliceSeen).GetAttribute("jid").Should().Be(alice.Jid!.ToString());
        var self = await bob.WaitForAsync(PresenceFrom($"{room}/Bob"));
        HasStatus(self, 100).Should().BeTrue();
        HasStatus(self, 110).Should().BeTrue();
    }

    [Fact]
    public async Task Groupchat_ReachesEveryOccupantIncludingSender()
    {
        await using var server = await TestServer.StartAsync();
        await using var r = await RoomWithOccupants.CreateAsync(server, "team", "alice", "bob", "carol");
        var (room, alice, bob, carol) = (r.Room, r["alice"], r["bob"], r["carol"]);

        await bob.SendAsync($"<message to='{room}' type='groupchat' id='g1'><body>Hello all</body></message>");
        foreach (var c in new[] { alice, bob, carol })
        {
            var m = await c.WaitForAsync(Groupchat($"{room}/Bob", "Hello all"));
            m.GetAttribute("to").Should().Be(c.Jid!.ToString());
            m.GetAttribute("id").Should().Be("g1");
            m.Child("occupant-id", "urn:xmpp:occupant-id:0").Should().NotBeNull();
        }
    }

    [Fact]
    public async Task Groupchat_FromNonOccupant_NotAcceptable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("eve");
        await using var alice = await server.LoginAsync("alice");
        await using var eve = await server.LoginAsync("eve");
        var room = server.Room("closed");
        await alice.CreateInstantRoomAsync(room, "Alice");

        await eve.SendAsync($"<message to='{room}' type='groupchat' id='x1'><body>spam</body></message>");
        var error = await eve.WaitForAsync(Match.Error("message", "x1"));
        Match.Condition(error).Should().Be("not-acceptable");
        await alice.ExpectNothingAsync(ImTestExtensions.Quiet, Match.Message(body: "spam"));
    }

    [Fact]
    public async Task Leave_EveryoneGetsUnavailable_LastOneOutRemovesTemporaryRoom()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("brief");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");

        await bob.SendAsync($"<presence to='{room}/Bob' type='unavailable'><status>bye</status></presence>");
        var selfOut = await bob.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        HasStatus(selfOut, 110).Should().BeTrue();
        Item(selfOut).GetAttribute("role").Should().Be("none");
        var seen = await alice.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        seen.ChildText("status", Ns.Client).Should().Be("bye");

        await alice.SendAsync($"<presence to='{room}/Alice' type='unavailable'/>");
        await alice.WaitForAsync(PresenceFrom($"{room}/Alice", "unavailable"));
        // §10.1.3: the temporary room is gone, so the next one to enter creates it anew.
        var again = await bob.JoinAsync(room, "Bob");
        HasStatus(again, 201).Should().BeTrue();
    }

    [Fact]
    public async Task Disconnect_OccupantLeavesTheRoom()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        var room = server.Room("drop");
        await alice.CreateInstantRoomAsync(room, "Alice");
        var bob = await server.LoginAsync("bob");
        await bob.JoinAsync(room, "Bob");
        await alice.WaitForAsync(PresenceFrom($"{room}/Bob"));

        await bob.DisposeAsync();
        // RFC 6121 §4.6.3: the server sends unavailable to every directed-presence target, the room included.
        await alice.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
    }

    [Fact]
    public async Task Join_NickInUse_Conflict()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("names");
        await alice.CreateInstantRoomAsync(room, "Alice");

        var error = await bob.JoinAsync(room, "Alice");
        error.GetAttribute("type").Should().Be("error");
        Match.Condition(error).Should().Be("conflict");
        // §7.2.9: the error echoes the MUC element.
        error.Child("x", MucNs).Should().NotBeNull();
    }

    [Fact]
    public async Task Join_WithoutNick_JidMalformed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var room = server.Room("nonick");

        await alice.SendAsync($"<presence to='{room}' id='p1'><x xmlns='{MucNs}'/></presence>");
        var error = await alice.WaitForAsync(Match.Error("presence", "p1"));
        Match.Condition(error).Should().Be("jid-malformed");
    }

    [Fact]
    public async Task NickChange_UnavailableWith303ThenNewPresence()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("rename");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");
        await alice.WaitForAsync(PresenceFrom($"{room}/Bob"));

        await bob.SendAsync($"<presence to='{room}/Robert'/>");
        var gone = await alice.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        HasStatus(gone, 303).Should().BeTrue();
        Item(gone).GetAttribute("nick").Should().Be("Robert");
        await alice.WaitForAsync(PresenceFrom($"{room}/Robert"));
        var selfGone = await bob.WaitForAsync(PresenceFrom($"{room}/Bob", "unavailable"));
        HasStatus(selfGone, 303).Should().BeTrue();
        HasStatus(selfGone, 110).Should().BeTrue();
        var selfNew = await bob.WaitForAsync(PresenceFrom($"{room}/Robert"));
        HasStatus(selfNew, 110).Should().BeTrue();

        // The old nick is free, the new one taken.
        await bob.SendAsync($"<message to='{room}' type='groupchat'><body>as Robert</body></message>");
        await alice.WaitForAsync(Groupchat($"{room}/Robert", "as Robert"));
    }

    [Fact]
    public async Task NickChange_ToNickInUse_Conflict()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("clash");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");

        await bob.SendAsync($"<presence to='{room}/Alice' id='n1'/>");
        var error = await bob.WaitForAsync(Match.Error("presence", "n1"));
        Match.Condition(error).Should().Be("conflict");
    }

    [Fact]
    public async Task PrivateMessage_GoesToTheOccupantFromSendersRoomJid()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("whisper");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");

        await bob.SendAsync($"<message to='{room}/Alice' type='chat'><body>psst</body></message>");
        var pm = await alice.WaitForAsync(Match.Message(body: "psst"));
        pm.GetAttribute("from").Should().Be($"{room}/Bob");
        pm.GetAttribute("type").Should().Be("chat");
        pm.Child("x", UserNs).Should().NotBeNull();

        await bob.SendAsync($"<message to='{room}/Nobody' type='chat' id='pm2'><body>?</body></message>");
        Match.Condition(await bob.WaitForAsync(Match.Error("message", "pm2"))).Should().Be("item-not-found");
        await bob.SendAsync($"<message to='{room}/Alice' type='groupchat' id='pm3'><body>?</body></message>");
        Match.Condition(await bob.WaitForAsync(Match.Error("message", "pm3"))).Should().Be("bad-request");
    }

    [Fact]
    public async Task Subject_ModeratorChangesIt_ParticipantOnlyWhenAllowed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("topic");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await bob.JoinAsync(room, "Bob");

        await bob.SendAsync($"<message to='{room}' type='groupchat' id='s1'><subject>mine</subject></message>");
        Match.Condition(await bob.WaitForAsync(Match.Error("message", "s1"))).Should().Be("forbidden");

        await alice.SendAsync($"<message to='{room}' type='groupchat'><subject>Coffee</subject></message>");
        var seen = await bob.WaitForAsync(e => IsSubject(e) && e.ChildText("subject", Ns.Client) == "Coffee");
        seen.GetAttribute("from").Should().Be($"{room}/Alice");

        (await alice.ConfigureAsync(room, ("muc#roomconfig_changesubject", "1"))).ShouldBeResult();
        await bob.SendAsync($"<message to='{room}' type='groupchat'><subject>Tea</subject></message>");
        await alice.WaitForAsync(e => IsSubject(e) && e.ChildText("subject", Ns.Client) == "Tea");

        // A newcomer gets the current subject last.
        await using var carol = await server.LoginAsync("carol");
        await carol.JoinAsync(room, "Carol");
        var subject = await carol.WaitForAsync(IsSubject);
        subject.ChildText("subject", Ns.Client).Should().Be("Tea");
        subject.GetAttribute("from").Should().Be($"{room}/Bob");
    }

    [Fact]
    public async Task History_NewcomerGetsDelayedMessages_WithinMaxStanzasAndMaxChars()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        var room = server.Room("past");
        await alice.CreateInstantRoomAsync(room, "Alice");
        for (var i = 1; i <= 5; i++)
        {
            await alice.SendAsync($"<message to='{room}' type='groupchat'><body>m{i}</body></message>");
            await alice.WaitForAsync(Groupchat($"{room}/Alice", $"m{i}"));
        }

        await using var bob = await server.LoginAsync("bob");
        await bob.JoinAsync(room, "Bob", "<history maxstanzas='2'/>");
        var h1 = await bob.NextAsync();
        var h2 = await bob.NextAsync();
        var subject = await bob.NextAsync();
        h1.ChildText("body", Ns.Client).Should().Be("m4");
        h2.ChildText("body", Ns.Client).Should().Be("m5");
        h1.GetAttribute("from").Should().Be($"{room}/Alice");
        var delay = h1.Child("delay", Ns.Delay)!;
        delay.GetAttribute("from").Should().Be(room);
        delay.GetAttribute("stamp").Should().NotBeNullOrEmpty();
        IsSubject(subject).Should().BeTrue();

        // maxchars='0' asks for no history at all (§7.2.15).
        await using var carol = await server.LoginAsync("carol");
        await carol.JoinAsync(room, "Carol", "<history maxchars='0'/>");
        IsSubject(await carol.NextAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task History_SecondsAndSince_LimitByTime()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        var room = server.Room("recent");
        await alice.CreateInstantRoomAsync(room, "Alice");
        await alice.SendAsync($"<message to='{room}' type='groupchat'><body>old</body></message>");
        await alice.WaitForAsync(Groupchat($"{room}/Alice", "old"));

        await using var bob = await server.LoginAsync("bob");
        await bob.JoinAsync(room, "Bob", "<history seconds='3600'/>");
        (await bob.NextAsync()).ChildText("body", Ns.Client).Should().Be("old");

        await using var carol = await server.LoginAsync("carol");
        var future = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        await carol.JoinAsync(room, "Carol", $"<history since='{future}'/>");
        IsSubject(await carol.NextAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task Disco_ServiceListsPublicRoomsOnly_RoomInfoHasFeaturesAndForm()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var service = $"conference.{server.Domain}";
        await alice.CreateConfiguredRoomAsync(server.Room("public"), "Alice", ("muc#roomconfig_roomname", "Public room"));
        await alice.CreateConfiguredRoomAsync(server.Room("hidden"), "Alice", ("muc#roomconfig_publicroom", "0"));
        // A locked room is not listed either.
        await alice.JoinAsync(server.Room("locked"), "Alice");

        var info = (await bob.GetAsync(service, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
        info.Child("identity", "http://jabber.org/protocol/disco#info")!.GetAttribute("category").Should().Be("conference");
        Features(info).Should().Contain(MucNs);

        var items = (await bob.GetAsync(service, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var listed = items.Elements().Select(i => i.GetAttribute("jid")).ToList();
        listed.Should().Equal(server.Room("public"));
        items.FirstElement()!.GetAttribute("name").Should().Be("Public room");

        var roomInfo = (await bob.GetAsync(server.Room("public"), "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
        Features(roomInfo).Should().Contain([MucNs, "muc_public", "muc_temporary", "muc_open", "muc_unmoderated", "muc_semianonymous", "muc_unsecured", "urn:xmpp:occupant-id:0"]);
        var form = roomInfo.Child("x", DataNs)!;
        form.Elements().Select(f => f.GetAttribute("var")).Should().Contain(["FORM_TYPE", "muc#roominfo_occupants", "muc#roominfo_description"]);
        form.Elements().Single(f => f.GetAttribute("var") == "muc#roominfo_occupants").ChildText("value", DataNs).Should().Be("1");

        var roomItems = (await bob.GetAsync(server.Room("public"), "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        roomItems.Elements().Select(i => i.GetAttribute("jid")).Should().Equal($"{server.Room("public")}/Alice");

        (await bob.GetAsync(server.Room("locked"), "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await bob.GetAsync(server.Room("nothere"), "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task DirectInvitation_PassesBetweenClientsUntouched()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("direct");

        await alice.SendAsync($"<message to='bob@{server.Domain}'><x xmlns='jabber:x:conference' jid='{room}' reason='join us' password='pw'/></message>");
        var invite = await bob.WaitForAsync(e => e.Name == "message" && e.Child("x", "jabber:x:conference") is not null);
        var x = invite.Child("x", "jabber:x:conference")!;
        x.GetAttribute("jid").Should().Be(room);
        x.GetAttribute("reason").Should().Be("join us");
        x.GetAttribute("password").Should().Be("pw");
    }

    private static List<string?> Features(Element info) =>
        [.. info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var"))];
}
