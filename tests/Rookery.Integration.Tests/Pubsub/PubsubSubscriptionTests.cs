using Microsoft.Extensions.DependencyInjection;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pubsub.PubsubNodeTests;
using static Rookery.Integration.Tests.Pubsub.PubsubTestExtensions;
using Element = Rookery.Protocol.Xml.Element;

namespace Rookery.Integration.Tests.Pubsub;

/// <summary>
/// Subscriptions and affiliations on the pubsub.&lt;host&gt; service (XEP-0060 §5.6, §5.7, §6.1, §6.2, §8.8, §8.9):
/// subscribing bare and full JIDs, subid handling, the last item on subscription, the owner's management, and the
/// errors, over real sockets.
/// </summary>
public sealed class PubsubSubscriptionTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    [Fact]
    public async Task Subscribe_BareAndFullJids_AreSeparateSubscriptions_ListedWithSubIds()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.CreateAsync(server, "sports")).ShouldBeResult();

        var full = (await bob.SubscribeAsync(server, "news")).ShouldBeResult()!.Child("subscription", Ns)!;
        var bare = (await bob.SubscribeAsync(server, "news", "bob@localhost")).ShouldBeResult()!.Child("subscription", Ns)!;
        var again = (await bob.SubscribeAsync(server, "news")).ShouldBeResult()!.Child("subscription", Ns)!;
        (await bob.SubscribeAsync(server, "sports")).ShouldBeResult();

        (full.GetAttribute("node"), full.GetAttribute("jid"), full.GetAttribute("subscription")).Should().Be(("news", bob.Jid!.ToString(), "subscribed"));
        full.GetAttribute("subid").Should().NotBeNullOrEmpty().And.NotBe(bare.GetAttribute("subid"));
        again.GetAttribute("subid").Should().NotBe(full.GetAttribute("subid"), "§6.1.6: a further subscribe is a further subscription (multi-subscribe)");
        var all = Subscriptions(await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions/></pubsub>"));
        all.Should().BeEquivalentTo([("news", "bob@localhost"), ("news", bob.Jid!.ToString()), ("news", bob.Jid!.ToString()), ("sports", bob.Jid!.ToString())]);
        Subscriptions(await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions node='sports'/></pubsub>")).Should().Equal(("sports", bob.Jid!.ToString()));
        Subscriptions(await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions/></pubsub>")).Should().BeEmpty();
    }

    [Fact]
    public async Task Subscribe_Errors_InvalidJidMissingNodeWhitelistOutcast()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.CreateAsync(server, "private", ("pubsub#access_model", "whitelist"))).ShouldBeResult();

        (await bob.SubscribeAsync(server, "news", "alice@localhost")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-jid");
        (await bob.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscribe node='news'/></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-jid");
        (await bob.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscribe jid='bob@localhost'/></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "nodeid-required");
        (await bob.SubscribeAsync(server, "nope")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await bob.SubscribeAsync(server, "private")).ShouldBePubsubError(StanzaErrorCondition.NotAllowed, "closed-node");
        (await alice.OwnerAsync(server, "set", "<affiliations node='news'><affiliation jid='bob@localhost' affiliation='outcast'/></affiliations>")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeError(StanzaErrorCondition.Forbidden);

        Subscriptions(await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions/></pubsub>")).Should().BeEmpty();
    }

    [Fact]
    public async Task Unsubscribe_StopsNotifications_ErrorsForOthersNotSubscribedAndWrongSubId()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        var subId = (await bob.SubscribeAsync(server, "news")).ShouldBeResult()!.Child("subscription", Ns)!.GetAttribute("subid");
        string Unsubscribe(string jid, string extra = "", string node = "news") => $"<pubsub xmlns='{Ns}'><unsubscribe node='{node}' jid='{jid}'{extra}/></pubsub>";

        (await alice.SetAsync(server.Service(), Unsubscribe(bob.Jid!.ToString()))).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await bob.SetAsync(server.Service(), Unsubscribe(bob.Jid!.ToString(), " subid='other'"))).ShouldBePubsubError(StanzaErrorCondition.NotAcceptable, "invalid-subid");
        (await bob.SetAsync(server.Service(), Unsubscribe("bob@localhost"))).ShouldBePubsubError(StanzaErrorCondition.UnexpectedRequest, "not-subscribed")
            .GetAttribute("type").Should().Be("cancel", "XEP-0060 §6.2.3");
        (await bob.SetAsync(server.Service(), Unsubscribe(bob.Jid!.ToString(), node: "nope"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await bob.SetAsync(server.Service(), Unsubscribe(bob.Jid!.ToString(), $" subid='{subId}'"))).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();

        await bob.ExpectNothingAsync(Quiet, Event(server, "news"));
        (await bob.SetAsync(server.Service(), Unsubscribe(bob.Jid!.ToString()))).ShouldBePubsubError(StanzaErrorCondition.UnexpectedRequest, "not-subscribed");
    }

    [Fact]
    public async Task Subscribe_SendLastOnSub_LastItemFollowsTheResultWithDelay()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news", ("pubsub#send_last_published_item", "on_sub"))).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "old")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "last")).ShouldBeResult();

        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();

        var notification = await bob.WaitForAsync(Event(server, "news"));
        notification.EventChild("items").Child("item", EventNs)!.GetAttribute("id").Should().Be("last");
        notification.Child("delay", "urn:xmpp:delay")!.GetAttribute("from").Should().Be(server.Service());
        await bob.ExpectNothingAsync(Quiet, Event(server, "news"));
    }

    [Fact]
    public async Task Whitelist_MemberSubscribesAndIsNotified_TakenOffTheListNotifiedNoMore()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "private", ("pubsub#access_model", "whitelist"))).ShouldBeResult();
        (await alice.OwnerAsync(server, "set", "<affiliations node='private'><affiliation jid='bob@localhost' affiliation='member'/></affiliations>")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "private")).ShouldBeResult();
        (await alice.PublishAsync(server, "private", "1")).ShouldBeResult();
        await bob.WaitForAsync(Event(server, "private"));

        (await alice.OwnerAsync(server, "set", "<affiliations node='private'><affiliation jid='bob@localhost' affiliation='none'/></affiliations>")).ShouldBeResult();
        (await alice.PublishAsync(server, "private", "2")).ShouldBeResult();

        await bob.ExpectNothingAsync(Quiet, Event(server, "private"));
    }

    [Fact]
    public async Task PresenceAccess_OnlyContactsReceivingTheOwnersPresenceSubscribeRetrieveAndAreNotified()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Rookery.Storage.Subscription.From);
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        (await alice.CreateAsync(server, "status", ("pubsub#access_model", "presence"))).ShouldBeResult();
        (await alice.PublishAsync(server, "status", "1")).ShouldBeResult();

        // XEP-0060 §6.1.3.2 and §6.5.9: carol is not subscribed to alice's presence.
        (await carol.SubscribeAsync(server, "status")).ShouldBePubsubError(StanzaErrorCondition.NotAuthorized, "presence-subscription-required");
        (await carol.ItemsAsync(server, "status")).ShouldBePubsubError(StanzaErrorCondition.NotAuthorized, "presence-subscription-required");
        (await bob.SubscribeAsync(server, "status", "bob@localhost")).ShouldBeResult();
        (await bob.ItemsAsync(server, "status")).ItemIds().Should().Equal("1");
        (await alice.PublishAsync(server, "status", "2")).ShouldBeResult();
        await bob.WaitForAsync(Event(server, "status"));

        // Alice's roster changes: bob no longer receives her presence, so no longer her node's notifications (§4.5).
        await server.Storage.Rosters.SetItemAsync("alice@localhost", new Rookery.Storage.RosterItem("bob@localhost", null, Rookery.Storage.Subscription.None, false, []));
        (await alice.PublishAsync(server, "status", "3")).ShouldBeResult();
        await bob.ExpectNothingAsync(Quiet, Event(server, "status"));
    }

    [Fact]
    public async Task AuthorizeAccess_SubscriptionPendingUntilTheOwnerApproves()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "club", ("pubsub#access_model", "authorize"), ("pubsub#send_last_published_item", "on_sub"))).ShouldBeResult();
        (await alice.PublishAsync(server, "club", "1")).ShouldBeResult();

        // XEP-0060 §6.1.4: the answer is pending; §6.1.3.7: asking again while pending is not-authorized.
        var pending = (await bob.SubscribeAsync(server, "club", "bob@localhost")).ShouldBeResult()!.Child("subscription", Ns)!;
        (pending.GetAttribute("subscription"), pending.GetAttribute("jid")).Should().Be(("pending", "bob@localhost"));
        pending.GetAttribute("subid").Should().NotBeNullOrEmpty();
        (await bob.SubscribeAsync(server, "club", "bob@localhost")).ShouldBePubsubError(StanzaErrorCondition.NotAuthorized, "pending-subscription");
        (await bob.ItemsAsync(server, "club")).ShouldBePubsubError(StanzaErrorCondition.NotAuthorized, "not-subscribed");
        (await alice.PublishAsync(server, "club", "2")).ShouldBeResult();
        await bob.ExpectNothingAsync(Quiet, Event(server, "club"));
        var listed = (await alice.OwnerAsync(server, "get", "<subscriptions node='club'/>")).ShouldBeResult()!.Child("subscriptions", OwnerNs)!.Elements().Single();
        (listed.GetAttribute("jid"), listed.GetAttribute("subscription")).Should().Be(("bob@localhost", "pending"));

        // §8.8.2: the owner approves; the subscription keeps its id and now receives notifications and items.
        (await alice.OwnerAsync(server, "set", "<subscriptions node='club'><subscription jid='bob@localhost' subscription='subscribed'/></subscriptions>")).ShouldBeResult();
        var approved = (await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions node='club'/></pubsub>")).ShouldBeResult()!.Child("subscriptions", Ns)!.Elements().Single();
        (approved.GetAttribute("subscription"), approved.GetAttribute("subid")).Should().Be(("subscribed", pending.GetAttribute("subid")));
        // Approved once, bob's further subscriptions (§6.1.6) need no second approval.
        var further = (await bob.SubscribeAsync(server, "club", "bob@localhost")).ShouldBeResult()!.Child("subscription", Ns)!;
        further.GetAttribute("subscription").Should().Be("subscribed");
        further.GetAttribute("subid").Should().NotBe(pending.GetAttribute("subid"));
        (await bob.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><unsubscribe node='club' jid='bob@localhost' subid='{further.GetAttribute("subid")}'/></pubsub>")).ShouldBeResult();
        (await alice.PublishAsync(server, "club", "3")).ShouldBeResult();
        (await bob.WaitForAsync(e => Event(server, "club")(e) && e.EventChild("items").Child("item", EventNs)?.GetAttribute("id") == "3")).Should().NotBeNull();
        (await bob.ItemsAsync(server, "club")).ItemIds().Should().Equal("1", "2", "3");
    }

    [Fact]
    public async Task RosterAccess_OnlyContactsInAnAllowedGroupSubscribe()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await server.Storage.Rosters.SetItemAsync("alice@localhost", new Rookery.Storage.RosterItem("bob@localhost", null, Rookery.Storage.Subscription.Both, false, ["Family"]));
        await server.Storage.Rosters.SetItemAsync("alice@localhost", new Rookery.Storage.RosterItem("carol@localhost", null, Rookery.Storage.Subscription.Both, false, ["Work"]));
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        var create = $"<pubsub xmlns='{Ns}'><create node='family'/><configure><x xmlns='jabber:x:data' type='submit'>" +
            $"<field var='FORM_TYPE' type='hidden'><value>{Rookery.Modules.Pubsub.NodeConfiguration.FormType}</value></field>" +
            "<field var='pubsub#access_model'><value>roster</value></field>" +
            "<field var='pubsub#roster_groups_allowed'><value>Family</value><value>Friends</value></field></x></configure></pubsub>";
        (await alice.SetAsync(server.Service(), create)).ShouldBeResult();

        // XEP-0060 §6.1.3.3: carol is in alice's roster, but not in an allowed group.
        (await carol.SubscribeAsync(server, "family")).ShouldBePubsubError(StanzaErrorCondition.NotAuthorized, "not-in-roster-group");
        (await bob.SubscribeAsync(server, "family")).ShouldBeResult();
        var groups = (await alice.OwnerAsync(server, "get", "<configure node='family'/>")).ShouldBeResult()!
            .Child("configure", OwnerNs)!.Child("x", "jabber:x:data")!.Elements().Single(e => e.GetAttribute("var") == "pubsub#roster_groups_allowed");
        groups.Elements().Where(e => e.Name == "value").Select(e => e.Text).Should().Equal("Family", "Friends");
    }

    [Fact]
    public async Task Affiliations_OwnerManages_PublisherMayPublish_OutcastLosesSubscription_LastOwnerKept()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await carol.SubscribeAsync(server, "news")).ShouldBeResult();
        var set = "<affiliations node='news'><affiliation jid='bob@localhost/phone' affiliation='publisher'/><affiliation jid='carol@localhost' affiliation='outcast'/></affiliations>";

        (await bob.OwnerAsync(server, "set", set)).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await bob.OwnerAsync(server, "get", "<affiliations node='news'/>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await alice.OwnerAsync(server, "set", set)).ShouldBeResult();

        Affiliations(await alice.OwnerAsync(server, "get", "<affiliations node='news'/>")).Should().Equal(
            ("alice@localhost", "owner"), ("bob@localhost", "publisher"), ("carol@localhost", "outcast"));
        (await bob.PublishAsync(server, "news", "1")).ShouldBeResult();
        Subscriptions(await carol.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions/></pubsub>")).Should().BeEmpty("§4.1: an outcast has no subscription");
        (await alice.OwnerAsync(server, "set", "<affiliations node='news'><affiliation jid='alice@localhost' affiliation='member'/></affiliations>")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.OwnerAsync(server, "set", "<affiliations node='news'><affiliation jid='bob@localhost' affiliation='king'/></affiliations>")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.OwnerAsync(server, "set", "<affiliations node='news'><affiliation jid='bob@localhost' affiliation='owner'/><affiliation jid='alice@localhost' affiliation='none'/></affiliations>")).ShouldBeResult();
        Affiliations(await bob.OwnerAsync(server, "get", "<affiliations node='news'/>")).Should().Equal(("bob@localhost", "owner"), ("carol@localhost", "outcast"));
        (await alice.OwnerAsync(server, "get", "<affiliations node='news'/>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        var own = (await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><affiliations node='news'/></pubsub>")).ShouldBeResult()!.Child("affiliations", Ns)!;
        own.Elements().Select(a => a.GetAttribute("affiliation")).Should().Equal("owner");
    }

    [Fact]
    public async Task Subscriptions_OwnerListsAddsAndRemoves()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();
        var set = $"<subscriptions node='news'><subscription jid='{bob.Jid}' subscription='none'/><subscription jid='{carol.Jid}' subscription='subscribed'/></subscriptions>";

        (await bob.OwnerAsync(server, "set", set)).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await alice.OwnerAsync(server, "set", $"<subscriptions node='news'><subscription jid='{carol.Jid}' subscription='pending'/></subscriptions>")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.OwnerAsync(server, "set", set)).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();

        await carol.WaitForAsync(Event(server, "news"));
        await bob.ExpectNothingAsync(Quiet, Event(server, "news"));
        var list = (await alice.OwnerAsync(server, "get", "<subscriptions node='news'/>")).ShouldBeResult()!.Child("subscriptions", OwnerNs)!;
        var only = list.Elements().Should().ContainSingle().Subject;
        (only.GetAttribute("jid"), only.GetAttribute("subscription")).Should().Be((carol.Jid!.ToString(), "subscribed"));
        only.GetAttribute("subid").Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task DeleteAccount_TakesItsSubscriptionsAndTheNodesItAloneOwned()
    {
        await using var server = await StartAsync("alice", "bob");
        await using (var alice = await server.LoginAsync("alice"))
        {
            (await alice.CreateAsync(server, "alices")).ShouldBeResult();
        }

        await using var bob = await server.LoginAsync("bob");
        (await bob.CreateAsync(server, "bobs")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "alices")).ShouldBeResult();
        await using (var alice = await server.LoginAsync("alice"))
        {
            (await alice.SubscribeAsync(server, "bobs")).ShouldBeResult();
        }

        await server.Services.GetRequiredService<Rookery.Server.Auth.AccountService>().DeleteAsync(Rookery.Protocol.Addressing.Jid.Create("alice", server.Domain));

        (await bob.ItemsAsync(server, "alices")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        var subscriptions = (await bob.OwnerAsync(server, "get", "<subscriptions node='bobs'/>")).ShouldBeResult()!.Child("subscriptions", OwnerNs)!;
        subscriptions.Elements().Should().BeEmpty();
    }

    private static List<(string? Node, string? Jid)> Subscriptions(Element reply) =>
        [.. reply.ShouldBeResult()!.Child("subscriptions", Ns)!.Elements().Select(s => (s.GetAttribute("node"), s.GetAttribute("jid")))];

    private static List<(string? Jid, string? Affiliation)> Affiliations(Element reply) =>
        [.. reply.ShouldBeResult()!.Child("affiliations", OwnerNs)!.Elements().Select(a => (a.GetAttribute("jid"), a.GetAttribute("affiliation")))];
}
