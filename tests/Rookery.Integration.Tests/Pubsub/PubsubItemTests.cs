using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Disco;
using Rookery.Modules.Pubsub;
using Rookery.Protocol.Errors;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pubsub.PubsubNodeTests;
using static Rookery.Integration.Tests.Pubsub.PubsubTestExtensions;

namespace Rookery.Integration.Tests.Pubsub;

/// <summary>
/// Publishing, retracting and retrieving items on the pubsub.&lt;host&gt; service (XEP-0060 §6.5, §7), their
/// notifications to subscribers and every error the specification prescribes, over real sockets.
/// </summary>
public sealed class PubsubItemTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    [Fact]
    public async Task Publish_SubscriberGetsHeadlineWithPayload_ResultNamesTheItem()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();

        var published = (await alice.PublishAsync(server, "news", "first")).ShouldBeResult()!;

        published.Child("publish", Ns)!.Child("item", Ns)!.GetAttribute("id").Should().Be("first");
        var notification = await bob.WaitForAsync(Event(server, "news"));
        notification.GetAttribute("type").Should().Be("headline");
        notification.GetAttribute("to").Should().Be(bob.Jid!.ToString());
        var item = notification.EventChild("items").Child("item", EventNs)!;
        item.GetAttribute("id").Should().Be("first");
        item.Child("entry", "http://www.w3.org/2005/Atom")!.ChildText("title", "http://www.w3.org/2005/Atom").Should().Be("Hello");
        item.GetAttribute("publisher").Should().BeNull("pubsub#itemreply is owner by default");
    }

    [Fact]
    public async Task Publish_WithoutId_ServiceGeneratesOne_ItemsRetrievableAllLatestAndById()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "2")).ShouldBeResult();

        var generated = (await alice.PublishAsync(server, "news", null)).ShouldBeResult()!.Child("publish", Ns)!.Child("item", Ns)!.GetAttribute("id");

        generated.Should().NotBeNullOrEmpty();
        (await bob.ItemsAsync(server, "news")).ItemIds().Should().Equal("1", "2", generated);
        (await bob.ItemsAsync(server, "news", " max_items='2'")).ItemIds().Should().Equal("2", generated);
        (await bob.ItemsAsync(server, "news", children: $"<item id='1'/><item id='{generated}'/><item id='nope'/>")).ItemIds().Should().Equal("1", generated);
        (await bob.ItemsAsync(server, "news", " max_items='none'")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await bob.ItemsAsync(server, "nope")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><items/></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "nodeid-required");
    }

    [Fact]
    public async Task Publish_SameIdReplaces_MaxItemsDropsOldest()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        (await alice.CreateAsync(server, "news", ("pubsub#max_items", "2"))).ShouldBeResult();

        foreach (var id in new[] { "1", "2", "1", "3" })
        {
            (await alice.PublishAsync(server, "news", id)).ShouldBeResult();
        }

        (await alice.ItemsAsync(server, "news")).ItemIds().Should().Equal("1", "3");
    }

    [Fact]
    public async Task Publish_BadRequests_EachWithItsCondition()
    {
        await using var server = await TestServer.StartAsync(o => ModuleTestExtensions.SetInit(o.Modules.Pubsub, nameof(PubsubOptions.MaxPayloadBytes), 1024));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.CreateAsync(server, "typed", ("pubsub#type", "http://www.w3.org/2005/Atom"))).ShouldBeResult();
        string Publish(string inner, string node = "news") => $"<pubsub xmlns='{Ns}'><publish node='{node}'>{inner}</publish></pubsub>";

        (await alice.PublishAsync(server, "news", "big", $"<big xmlns='urn:test'>{new string('x', 2000)}</big>")).ShouldBePubsubError(StanzaErrorCondition.NotAcceptable, "payload-too-big");
        (await alice.SetAsync(server.Service(), Publish(string.Empty))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "item-required");
        (await alice.SetAsync(server.Service(), Publish("<item id='1'/>"))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "payload-required");
        (await alice.SetAsync(server.Service(), Publish("<item id='1'><a xmlns='urn:a'/><b xmlns='urn:b'/></item>"))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-payload");
        (await alice.SetAsync(server.Service(), Publish("<item id='1'><a xmlns='urn:a'/></item>", "typed"))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-payload");
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><publish><item><a xmlns='urn:a'/></item></publish></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "nodeid-required");
        (await alice.PublishAsync(server, "nope", "1")).ShouldBeError(StanzaErrorCondition.ItemNotFound);

        (await alice.ItemsAsync(server, "news")).ItemIds().Should().BeEmpty("nothing refused was stored");
        (await alice.PublishAsync(server, "typed", "1")).ShouldBeResult();
    }

    [Fact]
    public async Task Publish_PublishOptions_AreChecked()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        (await alice.CreateAsync(server, "news", ("pubsub#access_model", "whitelist"))).ShouldBeResult();

        (await alice.PublishAsync(server, "news", "1", Entry, ("pubsub#access_model", "whitelist"))).ShouldBeResult();
        var refused = await alice.PublishAsync(server, "news", "2", Entry, ("pubsub#access_model", "open"));
        var unknown = await alice.PublishAsync(server, "news", "3", Entry, ("pubsub#no_such_option", "1"));

        refused.ShouldBePubsubError(StanzaErrorCondition.Conflict, "precondition-not-met");
        unknown.ShouldBePubsubError(StanzaErrorCondition.Conflict, "precondition-not-met");
        (await alice.ItemsAsync(server, "news")).ItemIds().Should().Equal("1");
    }

    [Fact]
    public async Task Publish_PublishModels_DecideWhoMay()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        (await alice.CreateAsync(server, "publishers")).ShouldBeResult();
        (await alice.CreateAsync(server, "subscribers", ("pubsub#publish_model", "subscribers"))).ShouldBeResult();
        (await alice.CreateAsync(server, "open", ("pubsub#publish_model", "open"))).ShouldBeResult();
        (await bob.SubscribeAsync(server, "subscribers")).ShouldBeResult();

        (await bob.PublishAsync(server, "publishers", "1")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await bob.PublishAsync(server, "subscribers", "1")).ShouldBeResult();
        (await carol.PublishAsync(server, "subscribers", "2")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await carol.PublishAsync(server, "open", "1")).ShouldBeResult();
        (await alice.OwnerAsync(server, "set", "<affiliations node='publishers'><affiliation jid='bob@localhost' affiliation='publish-only'/></affiliations>")).ShouldBeResult();
        (await bob.PublishAsync(server, "publishers", "1")).ShouldBeResult();
    }

    [Fact]
    public async Task Publish_NoPayloadDeliveryAndItemReply_NotificationWithoutPayloadNamingPublisher()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news", ("pubsub#deliver_payloads", "0"), ("pubsub#itemreply", "publisher"), ("pubsub#notification_type", "normal"))).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();

        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();

        var notification = await bob.WaitForAsync(Event(server, "news"));
        notification.GetAttribute("type").Should().Be("normal");
        var item = notification.EventChild("items").Child("item", EventNs)!;
        item.GetAttribute("id").Should().Be("1");
        item.HasNodes.Should().BeFalse("pubsub#deliver_payloads is off");
        item.GetAttribute("publisher").Should().Be("alice@localhost");
        // Stored all the same, and retrievable with the payload.
        (await bob.ItemsAsync(server, "news")).ShouldBeResult()!.Child("items", Ns)!.Child("item", Ns)!.HasNodes.Should().BeTrue();

        // §7.1.3.6: a persistent notification-only node needs an item, not a payload: one without is stored as it came.
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><publish node='news'><item id='bare'/></publish></pubsub>")).ShouldBeResult();
        (await bob.WaitForAsync(Event(server, "news"))).EventChild("items").Child("item", EventNs)!.GetAttribute("id").Should().Be("bare");
        var stored = (await bob.ItemsAsync(server, "news", children: "<item id='bare'/>")).ShouldBeResult()!.Child("items", Ns)!.Child("item", Ns)!;
        (stored.GetAttribute("id"), stored.HasNodes).Should().Be(("bare", false));
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><publish node='news'/></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "item-required");
    }

    [Fact]
    public async Task Publish_TransientNode_NotifiesButStoresNothing()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "live", ("pubsub#persist_items", "0"))).ShouldBeResult();
        (await alice.CreateAsync(server, "pings", ("pubsub#persist_items", "0"), ("pubsub#deliver_payloads", "0"))).ShouldBeResult();
        (await bob.SubscribeAsync(server, "live")).ShouldBeResult();

        (await alice.PublishAsync(server, "live", "1")).ShouldBeResult();

        (await bob.WaitForAsync(Event(server, "live"))).EventChild("items").Child("item", EventNs)!.HasNodes.Should().BeTrue();
        (await bob.ItemsAsync(server, "live")).ShouldBePubsubError(StanzaErrorCondition.FeatureNotImplemented, "unsupported", "persistent-items");
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><retract node='live'><item id='1'/></retract></pubsub>"))
            .ShouldBePubsubError(StanzaErrorCondition.FeatureNotImplemented, "unsupported", "persistent-items");
        (await alice.OwnerAsync(server, "set", "<purge node='live'/>")).ShouldBePubsubError(StanzaErrorCondition.FeatureNotImplemented, "unsupported", "persistent-items");
        // §7.1.3.6: a notification-only transient node takes no item at all, even one without payload; a transient node
        // that delivers payloads needs one.
        (await alice.PublishAsync(server, "pings", "1")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "item-forbidden");
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><publish node='pings'><item id='2'/></publish></pubsub>"))
            .ShouldBePubsubError(StanzaErrorCondition.BadRequest, "item-forbidden");
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><publish node='live'/></pubsub>"))
            .ShouldBePubsubError(StanzaErrorCondition.BadRequest, "payload-required");
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><publish node='pings'/></pubsub>")).ShouldBeResult();
    }

    [Fact]
    public async Task Retract_NotifiesSubscribers_ErrorsForMissingItemIdOrPrivilege()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "2")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();
        string Retract(string inner, string node = "news") => $"<pubsub xmlns='{Ns}'><retract node='{node}'>{inner}</retract></pubsub>";

        (await bob.SetAsync(server.Service(), Retract("<item id='1'/>"))).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await alice.SetAsync(server.Service(), Retract("<item id='1'/>"))).ShouldBeResult();

        var notification = await bob.WaitForAsync(Event(server, "news"));
        notification.EventChild("items").Child("retract", EventNs)!.GetAttribute("id").Should().Be("1");
        (await alice.SetAsync(server.Service(), Retract("<item id='1'/>"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await alice.SetAsync(server.Service(), Retract("<item/>"))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "item-required");
        (await alice.SetAsync(server.Service(), Retract(string.Empty))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "item-required");
        (await alice.SetAsync(server.Service(), Retract("<item id='2'/>", "nope"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><retract><item id='2'/></retract></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "nodeid-required");
        (await alice.ItemsAsync(server, "news")).ItemIds().Should().Equal("2");
    }

    [Fact]
    public async Task Retract_PublishOnlyAffiliate_OwnItemsOnly_NotifyFalseSendsNothing()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.OwnerAsync(server, "set", "<affiliations node='news'><affiliation jid='bob@localhost' affiliation='publish-only'/></affiliations>")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "alices")).ShouldBeResult();
        (await bob.PublishAsync(server, "news", "bobs")).ShouldBeResult();
        (await carol.SubscribeAsync(server, "news")).ShouldBeResult();

        (await bob.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><retract node='news'><item id='alices'/></retract></pubsub>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await bob.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><retract node='news' notify='false'><item id='bobs'/></retract></pubsub>")).ShouldBeResult();

        await carol.ExpectNothingAsync(Quiet, Event(server, "news"));
        (await alice.ItemsAsync(server, "news")).ItemIds().Should().Equal("alices");
    }

    [Fact]
    public async Task Items_WhitelistNode_OnlyAffiliatesRetrieve_OutcastForbidden()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        (await alice.CreateAsync(server, "private", ("pubsub#access_model", "whitelist"))).ShouldBeResult();
        (await alice.CreateAsync(server, "public")).ShouldBeResult();
        (await alice.PublishAsync(server, "private", "1")).ShouldBeResult();
        (await alice.PublishAsync(server, "public", "1")).ShouldBeResult();

        (await bob.ItemsAsync(server, "private")).ShouldBePubsubError(StanzaErrorCondition.NotAllowed, "closed-node");
        (await alice.OwnerAsync(server, "set", "<affiliations node='private'><affiliation jid='bob@localhost' affiliation='member'/></affiliations>")).ShouldBeResult();
        (await alice.OwnerAsync(server, "set", "<affiliations node='public'><affiliation jid='carol@localhost' affiliation='outcast'/></affiliations>")).ShouldBeResult();

        (await bob.ItemsAsync(server, "private")).ItemIds().Should().Equal("1");
        (await carol.ItemsAsync(server, "public")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await carol.PublishAsync(server, "public", "2")).ShouldBeError(StanzaErrorCondition.Forbidden);
    }

    [Fact]
    public async Task Items_WithResultSetManagement_PagedByItemIdWithCount()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        foreach (var id in new[] { "1", "2", "3", "4", "5" })
        {
            (await alice.PublishAsync(server, "news", id)).ShouldBeResult();
        }

        static string Page(string inner) => $"<set xmlns='{Rsm}'>{inner}</set>";
        var first = await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><items node='news'/>{Page("<max>2</max>")}</pubsub>");
        var next = await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><items node='news'/>{Page("<max>2</max><after>2</after>")}</pubsub>");
        var last = await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><items node='news'/>{Page("<max>2</max><before/>")}</pubsub>");
        var count = await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><items node='news'/>{Page("<max>0</max>")}</pubsub>");
        var unknown = await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><items node='news'/>{Page("<after>nope</after>")}</pubsub>");
        var nodes = await alice.GetAsync(server.Service(), $"<query xmlns='{DiscoModule.ItemsNamespace}'>{Page("<max>1</max>")}</query>");

        first.ItemIds().Should().Equal("1", "2");
        SetOf(first).Should().Equal(("first", "1", "0"), ("last", "2", null), ("count", "5", null));
        next.ItemIds().Should().Equal("3", "4");
        SetOf(next).Should().Equal(("first", "3", "2"), ("last", "4", null), ("count", "5", null));
        last.ItemIds().Should().Equal("4", "5");
        count.ItemIds().Should().BeEmpty();
        SetOf(count).Should().Equal(("count", "5", null));
        unknown.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        var discoSet = nodes.ShouldBeResult()!;
        discoSet.Elements().Where(e => e.Name == "item").Select(e => e.GetAttribute("node")).Should().Equal("news");
        discoSet.Child("set", Rsm)!.ChildText("count", Rsm).Should().Be("1");
    }

    private const string Rsm = "http://jabber.org/protocol/rsm";

    private static List<(string Name, string Text, string? Index)> SetOf(Rookery.Protocol.Xml.Element reply) =>
        [.. reply.ShouldBeResult()!.Child("set", Rsm)!.Elements().Select(e => (e.Name, e.Text, e.GetAttribute("index")))];

    [Fact]
    public async Task Items_WithSubId_MustBeTheRequestersSubscription()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();
        var subId = (await bob.SubscribeAsync(server, "news")).ShouldBeResult()!.Child("subscription", Ns)!.GetAttribute("subid");

        (await bob.ItemsAsync(server, "news", $" subid='{subId}'")).ItemIds().Should().Equal("1");
        (await bob.ItemsAsync(server, "news", " subid='not-mine'")).ShouldBePubsubError(StanzaErrorCondition.NotAcceptable, "invalid-subid");
        (await alice.ItemsAsync(server, "news", $" subid='{subId}'")).ShouldBePubsubError(StanzaErrorCondition.NotAcceptable, "invalid-subid");
    }
}
