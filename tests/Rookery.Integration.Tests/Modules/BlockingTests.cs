using Microsoft.Extensions.DependencyInjection;
using Rookery.Integration.Tests.Im;
using Rookery.Modules.Blocking;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>
/// Blocking command (XEP-0191) over real sockets: the list and its pushes, and enforcement in both directions for
/// messages, iq and presence. Every "nothing arrives" check has a control that does arrive, so that a test fails when
/// blocking stops working rather than when the server stops delivering.
/// </summary>
public sealed class BlockingTests
{
    private const string BlockList = "<blocklist xmlns='urn:xmpp:blocking'/>";

    // BlockingModule's log event for a XEP-0377 report.
    private const int ReportedEvent = 5680;

    [Fact]
    public async Task BlockAndUnblock_ResultsAndPushesToEveryResourceThatRequestedTheList()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var desk = await server.LoginAsync("alice", resource: "desk");
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        await using var tablet = await server.LoginAsync("alice", resource: "tablet");
        (await desk.GetAsync(null, BlockList)).ShouldBeResult()!.ToString().Should().Be(BlockList);
        (await phone.GetAsync(null, BlockList)).ShouldBeResult();

        // Mixed case and a repeated item: the items are prepared and kept once.
        await desk.SendAsync(
            "<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'>" +
            "<item jid='Bob@LocalHost'/><item jid='Spam.Example'/><item jid='bob@localhost'/></block></iq>");

        var blockPush = Push("block", "bob@localhost", "spam.example");
        var deskBlock = await desk.ExpectAllAsync(Match.IqReply("b1"), blockPush);
        var phoneBlock = await phone.WaitForAsync(blockPush);
        deskBlock[0].ShouldBeResult().Should().BeNull();
        deskBlock[1].GetAttribute("to").Should().Be(desk.Jid!.ToString());
        phoneBlock.GetAttribute("to").Should().Be(phone.Jid!.ToString());
        List(await phone.GetAsync(null, BlockList)).Should().Equal("bob@localhost", "spam.example");

        await phone.SendAsync("<iq type='set' id='u1'><unblock xmlns='urn:xmpp:blocking'><item jid='spam.example'/></unblock></iq>");
        var unblockPush = Push("unblock", "spam.example");
        (await phone.ExpectAllAsync(Match.IqReply("u1"), unblockPush))[0].ShouldBeResult();
        await desk.WaitForAsync(unblockPush);
        List(await desk.GetAsync(null, BlockList)).Should().Equal("bob@localhost");

        // §3.5: an empty unblock unblocks everything, and the push says so with an empty unblock.
        await desk.SendAsync("<iq type='set' id='u2'><unblock xmlns='urn:xmpp:blocking'/></iq>");
        var unblockAll = Push("unblock");
        (await desk.ExpectAllAsync(Match.IqReply("u2"), unblockAll))[0].ShouldBeResult();
        await phone.WaitForAsync(unblockAll);
        List(await phone.GetAsync(null, BlockList)).Should().BeEmpty();

        // The tablet never requested the list: no pushes, but the same list.
        await tablet.ExpectNothingAsync(ImTestExtensions.Quiet, e => e.Name == "iq");
        List(await tablet.GetAsync(null, BlockList)).Should().BeEmpty();
    }

    [Fact]
    public async Task Block_NoItem_BadRequest_MalformedJid_JidMalformed_AndNothingIsBlocked()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        var empty = await alice.SetAsync(null, "<block xmlns='urn:xmpp:blocking'/>");
        var malformed = await alice.SetAsync(null, "<block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/><item jid='@localhost'/></block>");
        var missing = await alice.SetAsync(null, "<block xmlns='urn:xmpp:blocking'><item/></block>");
        var someoneElses = await bob.SetAsync(server.Bare("alice"), "<block xmlns='urn:xmpp:blocking'><item jid='carol@localhost'/></block>");

        empty.ShouldBeError(StanzaErrorCondition.BadRequest);
        malformed.ShouldBeError(StanzaErrorCondition.JidMalformed);
        missing.ShouldBeError(StanzaErrorCondition.BadRequest);
        someoneElses.ShouldBeError(StanzaErrorCondition.Forbidden);
        List(await alice.GetAsync(null, BlockList)).Should().BeEmpty();
        // The valid item of the refused command was not blocked either.
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>still here</body></message>");
        await alice.WaitForAsync(Match.Message(bob.Jid!.ToString(), "still here"));
    }

    [Fact]
    public async Task BlockWithReport_BlocksAndLogsTheReportForTheOperator()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        // XEP-0377 §6: the report rides on the item, with the stanza IDs of archived messages and the user's words.
        var reply = await alice.SetAsync(null,
            "<block xmlns='urn:xmpp:blocking'><item jid='spammer@spam.example'>" +
            "<report xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'>" +
            "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@localhost' id='28482-98726'/>" +
            "<text xml:lang='en'>Buy cheap watches</text><third-party/></report></item>" +
            "<item jid='troll@localhost'><report xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:abuse'/></item>" +
            "<item jid='plain@localhost'/></block>");

        reply.ShouldBeResult();
        List(await alice.GetAsync(null, BlockList)).Should().BeEquivalentTo("spammer@spam.example", "troll@localhost", "plain@localhost");
        var reports = server.Logs.Entries.Where(e => e.EventId.Id == ReportedEvent).Select(e => e.Message).ToList();
        reports.Should().HaveCount(2, "one per reported item, none for the item without a report");
        reports.Should().ContainSingle(m => m.Contains("spammer@spam.example", StringComparison.Ordinal)).Which
            .Should().Contain("alice@localhost").And.Contain("urn:xmpp:reporting:spam").And.Contain("alice@localhost#28482-98726")
            .And.Contain("third-party").And.Contain("Buy cheap watches");
        reports.Should().ContainSingle(m => m.Contains("troll@localhost", StringComparison.Ordinal)).Which
            .Should().Contain("urn:xmpp:reporting:abuse");
    }

    [Fact]
    public async Task BlockWithReport_UnknownOrMissingReason_BadRequestAndNothingBlockedOrLogged()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var unknown = await alice.SetAsync(null,
            "<block xmlns='urn:xmpp:blocking'><item jid='ok@localhost'/><item jid='bob@localhost'>" +
            "<report xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:annoying'/></item></block>");
        var missing = await alice.SetAsync(null,
            "<block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'><report xmlns='urn:xmpp:reporting:1'/></item></block>");
        var badStanzaId = await alice.SetAsync(null,
            "<block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'><report xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'>" +
            "<stanza-id xmlns='urn:xmpp:sid:0' id='x'/></report></item></block>");

        unknown.ShouldBeError(StanzaErrorCondition.BadRequest);
        missing.ShouldBeError(StanzaErrorCondition.BadRequest);
        badStanzaId.ShouldBeError(StanzaErrorCondition.BadRequest);
        List(await alice.GetAsync(null, BlockList)).Should().BeEmpty("a refused command blocks none of its items");
        server.Logs.Entries.Should().NotContain(e => e.EventId.Id == ReportedEvent);
    }

    [Fact]
    public async Task Disco_Server_AdvertisesReporting()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var info = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;

        var features = info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).ToList();
        features.Should().Contain("urn:xmpp:blocking").And.Contain("urn:xmpp:reporting:1");
    }

    [Fact]
    public async Task BlockedContact_MessagesAndIq_NeverArriveAndSenderGetsServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        // A vCard to read, so that the iq's error below comes from the block and not from a missing vCard.
        (await alice.SetAsync(null, "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>")).ShouldBeResult();
        await BlockAsync(alice, server.Bare("bob"));

        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m1'><body>bare</body></message>");
        await bob.SendAsync($"<message to='{alice.Jid}' type='chat' id='m2'><body>full</body></message>");
        var toBare = await bob.WaitForAsync(Match.Error("message", "m1"));
        var toFull = await bob.WaitForAsync(Match.Error("message", "m2"));
        var iqToFull = await bob.GetAsync(alice.Jid!.ToString(), "<ping xmlns='urn:xmpp:ping'/>");
        var iqToBare = await bob.GetAsync(server.Bare("alice"), "<vCard xmlns='vcard-temp'/>");
        await carol.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>control</body></message>");

        // §3.3: a message SHOULD and an iq get or set MUST be answered with service-unavailable.
        toBare.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        toBare.GetAttribute("from").Should().Be(server.Bare("alice"));
        toFull.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        iqToFull.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        iqToBare.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        // The control arrives; nothing of bob's does (carol's message was routed after all of bob's stanzas).
        await alice.WaitForAsync(Match.Message(carol.Jid!.ToString(), "control"));
        alice.Skipped.Should().NotContain(e => (e.GetAttribute("from") ?? string.Empty).StartsWith(server.Bare("bob"), StringComparison.Ordinal));
        await alice.ExpectNothingAsync(ImTestExtensions.Quiet, e => e.GetAttribute("from") is { } f && f.StartsWith(server.Bare("bob"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task BlockedContact_SubscriptionRequest_DroppedWithoutAnswerOrStorage()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        await BlockAsync(alice, server.Bare("bob"));

        await bob.SendAsync($"<presence type='subscribe' to='{server.Bare("alice")}' id='s1'/>");
        await bob.SyncAsync();
        await carol.SendAsync($"<presence type='subscribe' to='{server.Bare("alice")}'/>");

        // §3.3: presence, subscriptions included, gets neither an answer nor an error.
        await alice.WaitForAsync(Match.Presence(server.Bare("carol"), "subscribe"));
        alice.Skipped.Should().NotContain(e => e.Name == "presence" && e.GetAttribute("type") == "subscribe" && e.GetAttribute("from") == server.Bare("bob"));
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, e => e.Name == "presence");
        var pending = await server.Storage.Rosters.GetPendingInAsync(server.Bare("alice"));
        pending.Select(p => p.Contact).Should().Equal(server.Bare("carol"));
    }

    [Fact]
    public async Task Blocker_StanzasToBlockedContact_NotRoutedAndNotAcceptableWithBlocked()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await BlockAsync(alice, server.Bare("bob"));

        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='m1'><body>Can you hear me now?</body></message>");
        var message = await alice.WaitForAsync(Match.Error("message", "m1"));
        var iq = await alice.GetAsync(bob.Jid!.ToString(), "<ping xmlns='urn:xmpp:ping'/>");
        await alice.SendAsync($"<presence to='{bob.Jid}' id='p1'/>");
        var presence = await alice.WaitForAsync(Match.Error("presence", "p1"));

        foreach (var error in new[] { message, iq, presence })
        {
            error.ShouldBeError(StanzaErrorCondition.NotAcceptable);
            var detail = error.Child("error", Ns.Client)!;
            detail.GetAttribute("type").Should().Be("cancel");
            detail.Child("blocked", BlockingModule.ErrorsNamespace).Should().NotBeNull("the reply was {0}", error);
        }

        message.GetAttribute("from").Should().Be(server.Bare("bob"));
        message.GetAttribute("to").Should().Be(alice.Jid!.ToString());
        message.ChildText("body", Ns.Client).Should().Be("Can you hear me now?");
        // Nothing reached bob; the control, a message from alice's own other resource to alice, still goes through.
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, e => e.GetAttribute("from") is { } f && f.StartsWith(server.Bare("alice"), StringComparison.Ordinal));
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        await phone.SendAsync($"<message to='{alice.Jid}' type='chat'><body>own resource</body></message>");
        await alice.WaitForAsync(Match.Message(phone.Jid!.ToString(), "own resource"));
    }

    [Fact]
    public async Task Block_SubscribedContact_GetsUnavailableAndNoLaterPresenceEitherWay()
    {
        await using var server = await TestServer.StartAsync();
        foreach (var user in new[] { "alice", "bob", "carol" })
        {
            await server.CreateUserAsync(user);
        }

        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        await server.SeedSubscriptionAsync("alice", "carol", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await alice.ExpectAllAsync(Match.Presence(bob.Jid!.ToString()), Match.Presence(carol.Jid!.ToString()));
        await bob.WaitForAsync(Match.Presence(alice.Jid!.ToString()));
        await carol.WaitForAsync(Match.Presence(alice.Jid!.ToString()));

        await alice.SendAsync($"<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='{server.Bare("bob")}'/></block></iq>");

        // §3.3: bob could see alice, so he gets her unavailable presence; alice's client in turn sees bob go offline.
        var atAlice = await alice.ExpectAllAsync(Match.IqReply("b1"), Match.Presence(bob.Jid!.ToString(), "unavailable"));
        atAlice[0].ShouldBeResult();
        await bob.WaitForAsync(Match.Presence(alice.Jid!.ToString(), "unavailable"));

        // Alice's broadcast reaches carol (the control), not bob.
        await alice.SendAsync("<presence><show>away</show></presence>");
        var away = await carol.WaitForAsync(Match.Presence(alice.Jid!.ToString()));
        away.ChildText("show", Ns.Client).Should().Be("away");
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("alice")));

        // Bob's broadcast reaches his own other resource (the control), not alice.
        await using var bobPhone = await server.LoginAsync("bob", resource: "phone");
        await bob.SendAsync("<presence><show>dnd</show></presence>");
        await bobPhone.WaitForAsync(e => Match.Presence(bob.Jid!.ToString())(e) && e.ChildText("show", Ns.Client) == "dnd");
        // Bob's new resource probed alice at login and learned nothing; alice saw neither its login nor bob's change.
        await bobPhone.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("alice")));
        await alice.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("bob")));

        // A new resource of alice: its initial presence and probes do not reach bob either (carol is the control).
        await using var alicePhone = await server.LoginAsync("alice", resource: "phone");
        await carol.WaitForAsync(Match.Presence(alicePhone.Jid!.ToString()));
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("alice")));
        await alicePhone.WaitForAsync(Match.Presence(carol.Jid!.ToString()));
        await alicePhone.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyPresenceFrom(server.Bare("bob")));
    }

    [Fact]
    public async Task Unblock_ContactGetsCurrentPresenceAndMessagesFlowBothWaysAgain()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedSubscriptionAsync("alice", "bob", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.LoginAsync("alice", sendPresence: false);
        await alice.SendAsync("<presence><status>back soon</status></presence>");
        await alice.ExpectAllAsync(Match.Presence(alice.Jid!.ToString()), Match.Presence(bob.Jid!.ToString()));
        await bob.WaitForAsync(Match.Presence(alice.Jid!.ToString()));
        await alice.SendAsync($"<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='{server.Bare("bob")}'/></block></iq>");
        await alice.ExpectAllAsync(Match.IqReply("b1"), Match.Presence(bob.Jid!.ToString(), "unavailable"));
        await bob.WaitForAsync(Match.Presence(alice.Jid!.ToString(), "unavailable"));
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m0'><body>blocked</body></message>");
        (await bob.WaitForAsync(Match.Error("message", "m0"))).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);

        await alice.SendAsync("<iq type='set' id='u1'><unblock xmlns='urn:xmpp:blocking'/></iq>");

        // §3.4: bob gets alice's current presence; alice's server probes bob, so alice learns his again.
        var again = await bob.WaitForAsync(Match.Presence(alice.Jid!.ToString()));
        again.ChildText("status", Ns.Client).Should().Be("back soon");
        (await alice.ExpectAllAsync(Match.IqReply("u1"), Match.Presence(bob.Jid!.ToString())))[0].ShouldBeResult();
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m1'><body>hello again</body></message>");
        await alice.WaitForAsync(Match.Message(bob.Jid!.ToString(), "hello again"));
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='m2'><body>welcome back</body></message>");
        await bob.WaitForAsync(Match.Message(alice.Jid!.ToString(), "welcome back"));
        alice.Skipped.Should().NotContain(e => e.GetAttribute("type") == "error");
    }

    [Fact]
    public async Task Block_Domain_BlocksTheDomainAndEveryAddressAtIt()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new HostOptions();
            o.Hosts["other.test"] = new HostOptions();
        });
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.Services.GetRequiredService<AccountService>().CreateAsync(Jid.Create("mallory", "other.test"), "secret");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var mallory = await RawXmppClient.ConnectAsync("127.0.0.1", server.Port, "other.test");
        await mallory.LoginAsync("mallory", "secret", "laptop");
        await BlockAsync(alice, "other.test");

        await mallory.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m1'><body>from the domain</body></message>");
        var fromDomain = await mallory.WaitForAsync(Match.Error("message", "m1"));
        var toUser = await alice.GetAsync(mallory.Jid!.ToString(), "<ping xmlns='urn:xmpp:ping'/>");
        var toDomain = await alice.GetAsync("other.test", "<ping xmlns='urn:xmpp:ping'/>");
        // Alice's own server is another domain, and stays reachable.
        var ownServer = await alice.GetAsync(server.Domain, "<ping xmlns='urn:xmpp:ping'/>");
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat'><body>control</body></message>");

        fromDomain.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        toUser.ShouldBeError(StanzaErrorCondition.NotAcceptable);
        toDomain.ShouldBeError(StanzaErrorCondition.NotAcceptable);
        ownServer.ShouldBeResult();
        await alice.WaitForAsync(Match.Message(bob.Jid!.ToString(), "control"));
        alice.Skipped.Should().NotContain(e => e.Name == "message" && e.GetAttribute("type") != "error");
    }

    [Fact]
    public async Task Block_FullJid_BlocksOnlyThatResource()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bobPhone = await server.LoginAsync("bob", resource: "phone");
        await using var bobDesk = await server.LoginAsync("bob", resource: "desk");
        await BlockAsync(alice, bobPhone.Jid!.ToString());

        await bobPhone.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m1'><body>phone</body></message>");
        var error = await bobPhone.WaitForAsync(Match.Error("message", "m1"));
        await bobDesk.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m2'><body>desk</body></message>");

        error.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        await alice.WaitForAsync(Match.Message(bobDesk.Jid!.ToString(), "desk"));
        alice.Skipped.Should().NotContain(e => e.Name == "message");
        List(await alice.GetAsync(null, BlockList)).Should().Equal(bobPhone.Jid!.ToString());
    }

    [Fact]
    public async Task Block_BeyondMaxItems_NotAcceptableAndNothingAdded()
    {
        await using var server = await TestServer.StartAsync(o => ModuleTestExtensions.SetInit(o.Modules.Blocking, nameof(BlockingOptions.MaxItems), 2));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        await BlockAsync(alice, "a@example.org", "b@example.org");

        var beyond = await alice.SetAsync(null, "<block xmlns='urn:xmpp:blocking'><item jid='a@example.org'/><item jid='c@example.org'/></block>");
        var again = await alice.SetAsync(null, "<block xmlns='urn:xmpp:blocking'><item jid='b@example.org'/></block>");

        beyond.ShouldBeError(StanzaErrorCondition.NotAcceptable);
        again.ShouldBeResult();
        List(await alice.GetAsync(null, BlockList)).Should().Equal("a@example.org", "b@example.org");
    }

    [Fact]
    public async Task BlockList_SurvivesRelogin_AndIsEnforcedForANewSession()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using (var first = await server.LoginAsync("alice"))
        {
            await BlockAsync(first, server.Bare("bob"));
        }

        await using var alice = await server.LoginAsync("alice", resource: "again");
        await using var bob = await server.LoginAsync("bob");
        await bob.SendAsync($"<message to='{alice.Jid}' type='chat' id='m1'><body>hi</body></message>");

        (await bob.WaitForAsync(Match.Error("message", "m1"))).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        List(await alice.GetAsync(null, BlockList)).Should().Equal(server.Bare("bob"));
        (await server.Storage.BlockLists.GetAsync(server.Bare("alice"))).Should().Equal(server.Bare("bob"));
    }

    [Fact]
    public async Task BlockList_AccountRemovedAndCreatedAgain_StartsEmpty()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using (var old = await server.LoginAsync("alice"))
        {
            await BlockAsync(old, server.Bare("bob"));
            // XEP-0077 §3.2: the account removes itself (and its stored list with it).
            await old.SendAsync("<iq type='set' id='x1'><query xmlns='jabber:iq:register'><remove/></query></iq>");
            (await old.WaitForAsync(Match.IqReply("x1"))).ShouldBeResult();
            (await old.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.NotAuthorized);
        }

        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        // The new account neither sees nor enforces the old account's list, although it was cached.
        List(await alice.GetAsync(null, BlockList)).Should().BeEmpty();
        await bob.SendAsync($"<message to='{server.Bare("alice")}' type='chat' id='m1'><body>new account</body></message>");
        await alice.WaitForAsync(Match.Message(bob.Jid!.ToString(), "new account"));
    }

    private static async Task BlockAsync(RawXmppClient client, params string[] jids)
    {
        var items = string.Concat(jids.Select(j => $"<item jid='{j}'/>"));
        (await client.SetAsync(null, $"<block xmlns='urn:xmpp:blocking'>{items}</block>")).ShouldBeResult();
    }

    /// <summary>The JIDs of a block list result, in order.</summary>
    private static List<string> List(Element reply)
    {
        var list = reply.ShouldBeResult()!;
        list.Name.Should().Be("blocklist");
        list.Namespace.Should().Be(BlockingModule.Namespace);
        return list.Elements().Select(i => i.GetAttribute("jid")!).ToList();
    }

    /// <summary>A block or unblock push (an iq set from the account) carrying exactly these items, in any order.</summary>
    private static Func<Element, bool> Push(string command, params string[] jids) => e =>
        e.Name == "iq" && e.GetAttribute("type") == "set"
        && e.Child(command, BlockingModule.Namespace) is { } payload
        && payload.Elements().Select(i => i.GetAttribute("jid")).Order(StringComparer.Ordinal).SequenceEqual(jids.Order(StringComparer.Ordinal));
}
