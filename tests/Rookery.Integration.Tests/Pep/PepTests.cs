using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Disco;
using Rookery.Modules.Pep;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pep.PepTestExtensions;

namespace Rookery.Integration.Tests.Pep;

/// <summary>Personal eventing (XEP-0163) on the pubsub core (XEP-0060) with entity capabilities (XEP-0115), over real sockets.</summary>
public sealed class PepTests
{
    private const string Tune = "http://jabber.org/protocol/tune";
    private const string TunePayload = "<tune xmlns='http://jabber.org/protocol/tune'><artist>Yes</artist><title>Heart of the Sunrise</title></tune>";
    private const string Bookmarks = "urn:xmpp:bookmarks:1";

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Publish_ContactWithNotifyCaps_GetsNotificationAndContactWithoutDoesNot()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "carol", Subscription.Both);
        await using var alice = await server.LoginWithCapsAsync("alice", "phone", Tune + "+notify");
        await using var bob = await server.LoginWithCapsAsync("bob", "laptop", Tune + "+notify");
        await using var carol = await server.LoginWithCapsAsync("carol", "desk", Tune);

        var reply = await alice.SetAsync(null, Publish(Tune, "song1", TunePayload));

        var published = reply.ShouldBeResult()!;
        published.Child("publish", PepModule.Namespace)!.Child("item", PepModule.Namespace)!.GetAttribute("id").Should().Be("song1");
        var notification = await bob.WaitForAsync(Event(server.Bare("alice"), Tune));
        notification.GetAttribute("type").Should().Be("headline");
        notification.GetAttribute("to").Should().Be(bob.Jid!.ToString());
        var item = notification.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!.Child("item", PepModule.EventNamespace)!;
        item.GetAttribute("id").Should().Be("song1");
        item.Child("tune", Tune)!.ChildText("artist", Tune).Should().Be("Yes");
        // XEP-0163 §4.3.1: the owner's own resources that asked get it too.
        await alice.ReceivedAsync(Event(server.Bare("alice"), Tune));
        await carol.ExpectNothingAsync(Quiet, Event(server.Bare("alice"), Tune));
    }

    [Fact]
    public async Task Publish_ContactWithoutSubscription_GetsNoNotificationEvenForOpenNode()
    {
        await using var server = await StartAsync("alice", "dave");
        await using var alice = await server.LoginAsync("alice");
        await using var dave = await server.LoginWithCapsAsync("dave", "pc", Tune + "+notify");

        (await alice.SetAsync(null, Publish(Tune, "1", TunePayload, ("pubsub#access_model", "open")))).ShouldBeResult();

        await dave.ExpectNothingAsync(Quiet, Event(server.Bare("alice"), Tune));
    }

    [Fact]
    public async Task Login_ContactWithNotifyCaps_GetsLastPublishedItem()
    {
        await using var server = await StartAsync("alice", "bob");
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.From);
        await using var alice = await server.LoginAsync("alice");
        (await alice.SetAsync(null, Publish(Tune, "old", TunePayload))).ShouldBeResult();
        (await alice.SetAsync(null, Publish(Tune, "new", TunePayload))).ShouldBeResult();

        await using var bob = await server.LoginWithCapsAsync("bob", "laptop", Tune + "+notify");

        var last = await bob.ReceivedAsync(Event(server.Bare("alice"), Tune));
        ItemIds(last.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!).Should().Equal("new");
        last.Child("delay", "urn:xmpp:delay")!.GetAttribute("from").Should().Be(server.Bare("alice"));
        // Once per node for the session: the same presence again sends nothing more.
        await bob.SendAsync("<presence><show>away</show></presence>");
        await bob.ExpectNothingAsync(Quiet, Event(server.Bare("alice"), Tune));
    }

    [Fact]
    public async Task Login_OwnResourceWithNotifyCaps_GetsOwnLastItem()
    {
        await using var server = await StartAsync("alice");
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        (await phone.SetAsync(null, Publish("urn:xmpp:avatar:metadata", "abc", "<metadata xmlns='urn:xmpp:avatar:metadata'/>"))).ShouldBeResult();

        await using var laptop = await server.LoginWithCapsAsync("alice", "laptop", "urn:xmpp:avatar:metadata+notify");

        var last = await laptop.ReceivedAsync(Event(server.Bare("alice"), "urn:xmpp:avatar:metadata"));
        ItemIds(last.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!).Should().Equal("abc");
    }

    [Fact]
    public async Task PublishOptions_ExistingNodeDiffers_PreconditionNotMetAndNothingPublished()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        (await alice.SetAsync(null, Publish(Tune, "1", TunePayload, ("pubsub#access_model", "open")))).ShouldBeResult();
        // The same options again are met.
        (await alice.SetAsync(null, Publish(Tune, "2", TunePayload, ("pubsub#access_model", "open")))).ShouldBeResult();

        var reply = await alice.SetAsync(null, Publish(Tune, "3", TunePayload, ("pubsub#access_model", "whitelist")));

        reply.ShouldBeError(StanzaErrorCondition.Conflict);
        reply.Child("error", Ns.Client)!.Child("precondition-not-met", PepModule.ErrorsNamespace).Should().NotBeNull();
        var items = (await alice.GetAsync(null, Items(Tune))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(items).Should().Equal("2");
        var config = (await alice.GetAsync(null, $"<pubsub xmlns='{PepModule.OwnerNamespace}'><configure node='{Tune}'/></pubsub>")).ShouldBeResult()!;
        config.Child("configure", PepModule.OwnerNamespace)!.Child("x", DiscoModule.DataFormsNamespace)!.Elements()
            .Single(f => f.GetAttribute("var") == "pubsub#access_model").ChildText("value", DiscoModule.DataFormsNamespace).Should().Be("open");
    }

    [Fact]
    public async Task PublishOptions_MaxItems_KeepsNewestAndItemsQueriesHonourMaxAndIds()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        foreach (var id in new[] { "a", "b", "c" })
        {
            (await alice.SetAsync(null, Publish("urn:test:list", id, $"<entry xmlns='urn:test'>{id}</entry>", ("pubsub#max_items", "2")))).ShouldBeResult();
        }

        var all = (await alice.GetAsync(null, Items("urn:test:list"))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(all).Should().Equal("b", "c");
        var newest = (await alice.GetAsync(null, Items("urn:test:list", " max_items='1'"))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(newest).Should().Equal("c");
        var byId = (await alice.GetAsync(null, $"<pubsub xmlns='{PepModule.Namespace}'><items node='urn:test:list'><item id='b'/><item id='a'/></items></pubsub>"))
            .ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(byId).Should().Equal("b");
        byId.Child("item", PepModule.Namespace)!.ChildText("entry", "urn:test").Should().Be("b");
    }

    [Fact]
    public async Task Publish_WithoutItemId_ServerGeneratesOne()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var reply = (await alice.SetAsync(null, Publish(Tune, null, TunePayload))).ShouldBeResult()!;

        var id = reply.Child("publish", PepModule.Namespace)!.Child("item", PepModule.Namespace)!.GetAttribute("id");
        id.Should().NotBeNullOrEmpty();
        ItemIds((await alice.GetAsync(null, Items(Tune))).ShouldBeResult()!.Child("items", PepModule.Namespace)!).Should().Equal(id);
    }

    [Fact]
    public async Task Items_AccessModels_OpenForAnyonePresenceForSubscribersOnly()
    {
        await using var server = await StartAsync("alice", "bob", "dave");
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.From);
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var dave = await server.LoginAsync("dave");
        (await alice.SetAsync(null, Publish("eu.siacs.conversations.axolotl.devicelist", "current",
            "<list xmlns='eu.siacs.conversations.axolotl'><device id='1'/></list>", ("pubsub#access_model", "open")))).ShouldBeResult();
        (await alice.SetAsync(null, Publish(Tune, "1", TunePayload))).ShouldBeResult();

        // Open: a stranger may read.
        var open = (await dave.GetAsync(server.Bare("alice"), Items("eu.siacs.conversations.axolotl.devicelist"))).ShouldBeResult()!;
        ItemIds(open.Child("items", PepModule.Namespace)!).Should().Equal("current");
        // Presence (the default): a subscriber may, a stranger gets XEP-0060 §6.5.9.6.
        (await bob.GetAsync(server.Bare("alice"), Items(Tune))).ShouldBeResult();
        var denied = await dave.GetAsync(server.Bare("alice"), Items(Tune));
        denied.ShouldBeError(StanzaErrorCondition.NotAuthorized);
        denied.Child("error", Ns.Client)!.Child("presence-subscription-required", PepModule.ErrorsNamespace).Should().NotBeNull();
        // A node that does not exist.
        (await dave.GetAsync(server.Bare("alice"), Items("urn:nothing"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        // Only the owner publishes.
        (await dave.SetAsync(server.Bare("alice"), Publish(Tune, "x", TunePayload))).ShouldBeError(StanzaErrorCondition.Forbidden);
    }

    [Fact]
    public async Task Retract_NotifiesInterestedContactsAndRemovesItem()
    {
        await using var server = await StartAsync("alice", "bob");
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginWithCapsAsync("bob", "laptop", Tune + "+notify");
        (await alice.SetAsync(null, Publish(Tune, "song1", TunePayload, ("pubsub#max_items", "5")))).ShouldBeResult();
        (await alice.SetAsync(null, Publish(Tune, "song2", TunePayload))).ShouldBeResult();
        await bob.WaitForAsync(Event(server.Bare("alice"), Tune));
        await bob.WaitForAsync(Event(server.Bare("alice"), Tune));

        (await alice.SetAsync(null, $"<pubsub xmlns='{PepModule.Namespace}'><retract node='{Tune}'><item id='song1'/></retract></pubsub>")).ShouldBeResult();

        var retraction = await bob.WaitForAsync(Event(server.Bare("alice"), Tune));
        retraction.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!
            .Child("retract", PepModule.EventNamespace)!.GetAttribute("id").Should().Be("song1");
        ItemIds((await alice.GetAsync(null, Items(Tune))).ShouldBeResult()!.Child("items", PepModule.Namespace)!).Should().Equal("song2");
        (await alice.SetAsync(null, $"<pubsub xmlns='{PepModule.Namespace}'><retract node='{Tune}'><item id='song1'/></retract></pubsub>"))
            .ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task Bookmarks2_WhitelistNodeWithMaxItemsMax_OnlyOwnerSeesAndIsNotified()
    {
        await using var server = await StartAsync("alice", "bob");
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await using var phone = await server.LoginAsync("alice", resource: "phone");
        await using var laptop = await server.LoginWithCapsAsync("alice", "laptop", Bookmarks + "+notify");
        await using var bob = await server.LoginWithCapsAsync("bob", "pc", Bookmarks + "+notify");
        (string, string)[] options =
        [
            ("pubsub#persist_items", "true"), ("pubsub#max_items", "max"),
            ("pubsub#send_last_published_item", "never"), ("pubsub#access_model", "whitelist"),
        ];

        // XEP-0402 §3.2: one item per room, the room's JID as item id.
        (await phone.SetAsync(null, Publish(Bookmarks, "theplay@conference.shakespeare.lit",
            "<conference xmlns='urn:xmpp:bookmarks:1' name='The Play' autojoin='true'><nick>JC</nick></conference>", options))).ShouldBeResult();
        (await phone.SetAsync(null, Publish(Bookmarks, "orchard@conference.shakespeare.lit",
            "<conference xmlns='urn:xmpp:bookmarks:1' name='The Orchard'/>", options))).ShouldBeResult();

        var pushed = await laptop.WaitForAsync(Event(server.Bare("alice"), Bookmarks));
        ItemIds(pushed.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!).Should().Equal("theplay@conference.shakespeare.lit");
        await laptop.WaitForAsync(Event(server.Bare("alice"), Bookmarks));
        var all = (await laptop.GetAsync(null, Items(Bookmarks))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(all).Should().BeEquivalentTo(["theplay@conference.shakespeare.lit", "orchard@conference.shakespeare.lit"]);
        all.Elements().First().Child("conference", Bookmarks)!.ChildText("nick", Bookmarks).Should().Be("JC");

        (await phone.SetAsync(null, $"<pubsub xmlns='{PepModule.Namespace}'><retract node='{Bookmarks}' notify='true'><item id='orchard@conference.shakespeare.lit'/></retract></pubsub>")).ShouldBeResult();
        var retracted = await laptop.WaitForAsync(Event(server.Bare("alice"), Bookmarks));
        retracted.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!.Child("retract", PepModule.EventNamespace).Should().NotBeNull();

        // Whitelist: the contact neither reads nor is told (XEP-0060 §6.5.9.8).
        var denied = await bob.GetAsync(server.Bare("alice"), Items(Bookmarks));
        denied.ShouldBeError(StanzaErrorCondition.NotAllowed);
        denied.Child("error", Ns.Client)!.Child("closed-node", PepModule.ErrorsNamespace).Should().NotBeNull();
        await bob.ExpectNothingAsync(Quiet, Event(server.Bare("alice"), Bookmarks));
    }

    [Fact]
    public async Task Disco_AccountIsPepServiceAndListsNodesTheRequesterMaySee()
    {
        await using var server = await StartAsync("alice", "dave");
        await using var alice = await server.LoginAsync("alice");
        await using var dave = await server.LoginAsync("dave");
        (await alice.SetAsync(null, Publish("urn:open", "1", "<x xmlns='urn:t'/>", ("pubsub#access_model", "open")))).ShouldBeResult();
        (await alice.SetAsync(null, Publish("urn:private", "1", "<x xmlns='urn:t'/>", ("pubsub#access_model", "whitelist")))).ShouldBeResult();
        // XEP-0030 §8: the server answers for Alice's account to those who may see her presence.
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "dave", Subscription.From);

        var info = (await dave.GetAsync(server.Bare("alice"), "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
        info.Elements().Should().Contain(e => e.Name == "identity" && e.GetAttribute("category") == "pubsub" && e.GetAttribute("type") == "pep");
        info.Elements().Select(e => e.GetAttribute("var")).Should().Contain(PepModule.Namespace + "#publish-options");

        static List<string?> Nodes(Element query) => [.. query.Elements().Select(e => e.GetAttribute("node"))];
        Nodes((await alice.GetAsync(null, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!).Should().Equal("urn:open", "urn:private");
        Nodes((await dave.GetAsync(server.Bare("alice"), "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!).Should().Equal("urn:open");
    }

    [Fact]
    public async Task DiscoNode_LeafWithItsItemsForThoseWhoMayRetrieveIt()
    {
        await using var server = await StartAsync("alice", "dave");
        await using var alice = await server.LoginAsync("alice");
        await using var dave = await server.LoginAsync("dave");
        (await alice.SetAsync(null, Publish("urn:open", "i1", "<x xmlns='urn:t'/>", ("pubsub#access_model", "open")))).ShouldBeResult();
        (await alice.SetAsync(null, Publish("urn:private", "1", "<x xmlns='urn:t'/>", ("pubsub#access_model", "whitelist")))).ShouldBeResult();
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "dave", Subscription.Both);
        static string Info(string node) => $"<query xmlns='http://jabber.org/protocol/disco#info' node='{node}'/>";

        var own = (await alice.GetAsync(null, Info("urn:private"))).ShouldBeResult()!;
        var open = (await dave.GetAsync(server.Bare("alice"), Info("urn:open"))).ShouldBeResult()!;
        var items = (await dave.GetAsync(server.Bare("alice"), "<query xmlns='http://jabber.org/protocol/disco#items' node='urn:open'/>")).ShouldBeResult()!;
        var hidden = await dave.GetAsync(server.Bare("alice"), Info("urn:private"));
        var missing = await alice.GetAsync(null, Info("urn:none"));

        // XEP-0060 §5.3: a leaf node of a pubsub service, the answer mirroring the node.
        foreach (var (query, node) in new[] { (own, "urn:private"), (open, "urn:open") })
        {
            query.GetAttribute("node").Should().Be(node);
            query.Elements().Should().Contain(e => e.Name == "identity" && e.GetAttribute("category") == "pubsub" && e.GetAttribute("type") == "leaf");
            query.Elements().Select(e => e.GetAttribute("var")).Should().Contain(PepModule.Namespace);
        }

        // §5.5: the items by id, at the account's JID.
        items.Elements().Select(e => (e.GetAttribute("jid"), e.GetAttribute("name"))).Should().Equal((server.Bare("alice"), "i1"));
        // A whitelist node is as unknown to a contact as one that does not exist.
        hidden.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        missing.ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task DeleteNode_NotifiesAndRemovesItems()
    {
        await using var server = await StartAsync("alice", "bob");
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginWithCapsAsync("bob", "pc", Tune + "+notify");
        (await alice.SetAsync(null, Publish(Tune, "1", TunePayload))).ShouldBeResult();
        await bob.WaitForAsync(Event(server.Bare("alice"), Tune));

        (await alice.SetAsync(null, $"<pubsub xmlns='{PepModule.OwnerNamespace}'><delete node='{Tune}'/></pubsub>")).ShouldBeResult();

        await bob.WaitForAsync(e => e.Child("event", PepModule.EventNamespace)?.Child("delete", PepModule.EventNamespace)?.GetAttribute("node") == Tune);
        (await alice.GetAsync(null, Items(Tune))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await server.Storage.Pubsub.GetNodesAsync(server.Bare("alice"))).Should().BeEmpty();
    }

    [Fact]
    public async Task Configure_LowerMaxItems_TrimsAtOnceAndBadValueIsNotAcceptable()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        foreach (var id in new[] { "1", "2", "3" })
        {
            (await alice.SetAsync(null, Publish("urn:test:n", id, "<x xmlns='urn:t'/>", ("pubsub#max_items", "10")))).ShouldBeResult();
        }

        static string Configure(string field, string value) =>
            $"<pubsub xmlns='{PepModule.OwnerNamespace}'><configure node='urn:test:n'><x xmlns='jabber:x:data' type='submit'>" +
            $"<field var='FORM_TYPE' type='hidden'><value>{NodeConfig.FormType}</value></field><field var='{field}'><value>{value}</value></field></x></configure></pubsub>";

        (await alice.SetAsync(null, Configure("pubsub#max_items", "1"))).ShouldBeResult();
        ItemIds((await alice.GetAsync(null, Items("urn:test:n"))).ShouldBeResult()!.Child("items", PepModule.Namespace)!).Should().Equal("3");
        (await alice.SetAsync(null, Configure("pubsub#max_items", "lots"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.SetAsync(null, Configure("pubsub#access_model", "authorize"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await bob.SetAsync(server.Bare("alice"), Configure("pubsub#max_items", "5"))).ShouldBeError(StanzaErrorCondition.Forbidden);
    }

    [Fact]
    public async Task Publish_BadRequests_GetPubsubErrors()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var noPayload = await alice.SetAsync(null, $"<pubsub xmlns='{PepModule.Namespace}'><publish node='urn:n'><item id='1'/></publish></pubsub>");
        noPayload.ShouldBeError(StanzaErrorCondition.BadRequest);
        noPayload.Child("error", Ns.Client)!.Child("payload-required", PepModule.ErrorsNamespace).Should().NotBeNull();
        var noNode = await alice.SetAsync(null, $"<pubsub xmlns='{PepModule.Namespace}'><publish><item><x xmlns='urn:t'/></item></publish></pubsub>");
        noNode.ShouldBeError(StanzaErrorCondition.BadRequest);
        noNode.Child("error", Ns.Client)!.Child("nodeid-required", PepModule.ErrorsNamespace).Should().NotBeNull();
        var subscribe = await alice.SetAsync(null, $"<pubsub xmlns='{PepModule.Namespace}'><subscribe node='urn:n' jid='{server.Bare("alice")}'/></pubsub>");
        subscribe.ShouldBeError(StanzaErrorCondition.FeatureNotImplemented);
    }

    private static async Task<TestServer> StartAsync(params string[] users)
    {
        var server = await TestServer.StartAsync();
        foreach (var user in users)
        {
            await server.CreateUserAsync(user);
        }

        return server;
    }
}
