using Microsoft.Extensions.DependencyInjection;
using Rookery.Hosting;
using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Disco;
using Rookery.Modules.Pubsub;
using Rookery.Protocol.Errors;
using Rookery.Server.Hosts;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pubsub.PubsubTestExtensions;

namespace Rookery.Integration.Tests.Pubsub;

/// <summary>
/// The publish-subscribe service on pubsub.&lt;host&gt; (XEP-0060) over real sockets: discovery, node creation and who
/// may create, configuration, default configuration, deletion and purge, with their notifications and errors.
/// </summary>
public sealed class PubsubNodeTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    [Fact]
    public async Task Disco_HostListsService_ServiceAnnouncesIdentityAndOnlyImplementedFeatures()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var items = (await alice.GetAsync(server.Domain, $"<query xmlns='{DiscoModule.ItemsNamespace}'/>")).ShouldBeResult()!;
        var info = (await alice.GetAsync(server.Service(), $"<query xmlns='{DiscoModule.InfoNamespace}'/>")).ShouldBeResult()!;

        items.Elements().Select(i => i.GetAttribute("jid")).Should().Contain("pubsub.localhost");
        var identity = info.Child("identity", DiscoModule.InfoNamespace)!;
        (identity.GetAttribute("category"), identity.GetAttribute("type")).Should().Be(("pubsub", "service"));
        var features = info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).ToList();
        features.Should().Contain([Ns, Ns + "#create-nodes", Ns + "#instant-nodes", Ns + "#publish", Ns + "#subscribe", Ns + "#access-whitelist", Ns + "#access-presence", Ns + "#access-roster", Ns + "#access-authorize", Ns + "#modify-affiliations", Ns + "#subscription-options", Ns + "#multi-subscribe", Ns + "#rsm"]);
        features.Should().NotContain([Ns + "#collections", Ns + "#auto-create"]);
    }

    [Fact]
    public async Task Disabled_NotListedAndNotServed()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules.Add(PubsubModule.ModuleName));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var items = (await alice.GetAsync(server.Domain, $"<query xmlns='{DiscoModule.ItemsNamespace}'/>")).ShouldBeResult()!;

        items.Elements().Select(i => i.GetAttribute("jid")).Should().NotContain("pubsub.localhost");
        (await alice.CreateAsync(server, "news")).ShouldBeError(StanzaErrorCondition.RemoteServerNotFound);
    }

    [Fact]
    public async Task ComponentConfiguredOnTheDomain_ServiceLeftToIt()
    {
        await using var server = await TestServer.StartAsync(o => o.Components["pubsub.localhost"] = new Rookery.Server.Components.ComponentDomainOptions { Secret = "s3cret" });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        server.Services.GetRequiredService<PubsubServiceHost>().Services.Should().BeEmpty();
        // No component is connected, so nothing answers in the service's place.
        (await alice.CreateAsync(server, "news")).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task Create_Named_OwnerAffiliationListedAndSecondCreateConflicts()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        (await alice.CreateAsync(server, "news")).ShouldBeResult().Should().BeNull("§8.1.2: a named node needs no result payload");
        (await bob.CreateAsync(server, "news")).ShouldBeError(StanzaErrorCondition.Conflict);

        var affiliations = (await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><affiliations/></pubsub>")).ShouldBeResult()!.Child("affiliations", Ns)!;
        var affiliation = affiliations.Elements().Should().ContainSingle().Subject;
        (affiliation.GetAttribute("node"), affiliation.GetAttribute("affiliation")).Should().Be(("news", "owner"));
        var nodes = (await bob.GetAsync(server.Service(), $"<query xmlns='{DiscoModule.ItemsNamespace}'/>")).ShouldBeResult()!;
        nodes.Elements().Select(i => i.GetAttribute("node")).Should().Equal("news");
    }

    [Fact]
    public async Task Create_Instant_ServiceGeneratesUniqueNames()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var first = (await alice.CreateAsync(server, null)).ShouldBeResult()!.Child("create", Ns)!.GetAttribute("node");
        var second = (await alice.CreateAsync(server, null)).ShouldBeResult()!.Child("create", Ns)!.GetAttribute("node");

        first.Should().NotBeNullOrEmpty().And.NotBe(second);
        (await alice.PublishAsync(server, first!, "1")).ShouldBeResult();
    }

    [Fact]
    public async Task Create_WithConfigure_AppliesTheFormAndRefusesWhatItCannotTake()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        (await alice.CreateAsync(server, "news", ("pubsub#title", "News"), ("pubsub#access_model", "whitelist"), ("pubsub#max_items", "max"))).ShouldBeResult();
        (await alice.CreateAsync(server, "a", ("pubsub#access_model", "martian"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.CreateAsync(server, "b", ("pubsub#no_such_option", "1"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.CreateAsync(server, "c", ("pubsub#max_items", "100000"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.CreateAsync(server, "d", ("pubsub#node_type", "collection"))).ShouldBeError(StanzaErrorCondition.NotAcceptable);

        var form = Configuration(await alice.OwnerAsync(server, "get", "<configure node='news'/>"));
        form["pubsub#title"].Should().Be("News");
        form["pubsub#access_model"].Should().Be("whitelist");
        form["pubsub#max_items"].Should().Be("max");
        (await alice.OwnerAsync(server, "get", "<configure node='a'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task Create_UserOfAnotherHostOrAnonymous_Forbidden()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new HostOptions { AllowAnonymous = true };
            o.Hosts["other.example"] = new HostOptions();
        });
        await server.Services.GetRequiredService<Rookery.Server.Auth.AccountService>().CreateAsync(Rookery.Protocol.Addressing.Jid.Create("olga", "other.example"), "secret");
        await using var olga = await RawXmppClient.ConnectAsync("127.0.0.1", server.Port, "other.example");
        await olga.LoginAsync("olga", "secret");
        await using var guest = await server.ConnectAsync();
        await guest.OpenStreamAsync();
        await guest.StartTlsAsync();
        await guest.AuthenticateAnonymousAsync();
        await guest.BindAsync(null);

        (await olga.CreateAsync(server, "news")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await guest.CreateAsync(server, "news")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await guest.CreateAsync(server, null)).ShouldBeError(StanzaErrorCondition.Forbidden);
    }

    [Fact]
    public async Task Create_AdminsOnly_UserForbiddenAdminAllowed()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Admins.Add("root@localhost");
            ModuleTestExtensions.SetInit(o.Modules.Pubsub, nameof(PubsubOptions.NodeCreation), NodeCreation.Admins);
        });
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("root");
        await using var alice = await server.LoginAsync("alice");
        await using var root = await server.LoginAsync("root");

        (await alice.CreateAsync(server, "news")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await root.CreateAsync(server, "news")).ShouldBeResult();
    }

    [Fact]
    public async Task Create_PastTheOwnersNodeLimit_NotAcceptable()
    {
        await using var server = await TestServer.StartAsync(o => ModuleTestExtensions.SetInit(o.Modules.Pubsub, nameof(PubsubOptions.MaxNodesPerOwner), 2));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        (await alice.CreateAsync(server, "a")).ShouldBeResult();
        (await alice.CreateAsync(server, "b")).ShouldBeResult();
        (await alice.CreateAsync(server, "c")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
    }

    [Fact]
    public async Task Subscribe_PastTheJidsSubscriptionLimit_PolicyViolation_OtherJidsStillSubscribe()
    {
        await using var server = await TestServer.StartAsync(o => ModuleTestExtensions.SetInit(o.Modules.Pubsub, nameof(PubsubOptions.MaxSubscriptionsPerJid), 2));
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();

        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeError(StanzaErrorCondition.PolicyViolation);
        (await alice.SubscribeAsync(server, "news")).ShouldBeResult();
    }

    [Fact]
    public async Task Configure_OwnerOnly_SmallerMaxItemsTrims_NotifyConfigTellsSubscribers()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();
        foreach (var id in new[] { "1", "2", "3" })
        {
            (await alice.PublishAsync(server, "news", id)).ShouldBeResult();
        }

        var configure = $"<configure node='news'>{Form(NodeConfiguration.FormType, ("pubsub#max_items", "2"), ("pubsub#notify_config", "1"), ("pubsub#title", "Daily"))}</configure>";
        (await bob.OwnerAsync(server, "set", configure)).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await bob.OwnerAsync(server, "get", "<configure node='news'/>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await alice.OwnerAsync(server, "set", configure)).ShouldBeResult();

        (await alice.ItemsAsync(server, "news")).ItemIds().Should().Equal("2", "3");
        var notification = await bob.WaitForAsync(Event(server, "news", "configuration"));
        notification.GetAttribute("type").Should().Be("headline");
        var form = notification.EventChild("configuration").Child("x", "jabber:x:data")!;
        form.Elements().Single(f => f.GetAttribute("var") == "pubsub#title").ChildText("value", "jabber:x:data").Should().Be("Daily");
        Configuration(await alice.OwnerAsync(server, "get", "<configure node='news'/>"))["pubsub#max_items"].Should().Be("2");
    }

    [Fact]
    public async Task Configure_CancelChangesNothing_BadFormsRefused_MissingNodeOrNodeId()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        (await alice.CreateAsync(server, "news", ("pubsub#title", "News"))).ShouldBeResult();

        (await alice.OwnerAsync(server, "set", "<configure node='news'><x xmlns='jabber:x:data' type='cancel'/></configure>")).ShouldBeResult();
        (await alice.OwnerAsync(server, "set", "<configure node='news'/>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.OwnerAsync(server, "set", $"<configure node='news'>{Form("urn:other", ("pubsub#title", "x"))}</configure>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.OwnerAsync(server, "set", $"<configure node='news'>{Form(NodeConfiguration.FormType, ("pubsub#persist_items", "perhaps"))}</configure>")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
        (await alice.OwnerAsync(server, "get", "<configure node='nope'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await alice.OwnerAsync(server, "get", "<configure/>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "nodeid-required");

        Configuration(await alice.OwnerAsync(server, "get", "<configure node='news'/>"))["pubsub#title"].Should().Be("News");
    }

    [Fact]
    public async Task Default_IsTheLeafNodeForm_CollectionsUnsupported()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var reply = await alice.OwnerAsync(server, "get", "<default/>");
        var form = reply.ShouldBeResult()!.Child("default", OwnerNs)!.Child("x", "jabber:x:data")!;

        form.GetAttribute("type").Should().Be("form");
        var values = form.Elements().ToDictionary(f => f.GetAttribute("var")!, f => f.ChildText("value", "jabber:x:data"));
        values["FORM_TYPE"].Should().Be(NodeConfiguration.FormType);
        values["pubsub#access_model"].Should().Be("open");
        values["pubsub#publish_model"].Should().Be("publishers");
        (await alice.OwnerAsync(server, "get", "<default type='collection'/>")).ShouldBePubsubError(StanzaErrorCondition.FeatureNotImplemented, "unsupported", "collections");
    }

    [Fact]
    public async Task Delete_SubscribersToldWithRedirect_NodeGone_OnlyOwnerMay()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();

        (await bob.OwnerAsync(server, "set", "<delete node='news'/>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await alice.OwnerAsync(server, "set", "<delete node='news'><redirect uri='xmpp:pubsub.localhost?;node=daily'/></delete>")).ShouldBeResult();

        var notification = await bob.WaitForAsync(Event(server, "news", "delete"));
        notification.EventChild("delete").Child("redirect", EventNs)!.GetAttribute("uri").Should().Be("xmpp:pubsub.localhost?;node=daily");
        (await bob.ItemsAsync(server, "news")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await alice.OwnerAsync(server, "set", "<delete node='news'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions/></pubsub>")).ShouldBeResult()!.Child("subscriptions", Ns)!.Elements().Should().BeEmpty();
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
    }

    [Fact]
    public async Task Purge_RemovesEveryItem_SubscribersGetOnePurge()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "2")).ShouldBeResult();
        (await bob.SubscribeAsync(server, "news")).ShouldBeResult();

        (await bob.OwnerAsync(server, "set", "<purge node='news'/>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await alice.OwnerAsync(server, "set", "<purge node='news'/>")).ShouldBeResult();

        await bob.WaitForAsync(Event(server, "news", "purge"));
        (await alice.ItemsAsync(server, "news")).ItemIds().Should().BeEmpty();
        (await alice.OwnerAsync(server, "set", "<purge node='nope'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        await bob.ExpectNothingAsync(Quiet, Event(server, "news"));
    }

    [Fact]
    public async Task NodeDisco_LeafIdentityWithMetaData_ItemsListed()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        // SINT's §5.3 and §5.5 tests create their node with pubsub#node_type set to leaf.
        (await alice.CreateAsync(server, "news", ("pubsub#title", "News"), ("pubsub#node_type", "leaf"))).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "first")).ShouldBeResult();

        var info = (await bob.GetAsync(server.Service(), $"<query xmlns='{DiscoModule.InfoNamespace}' node='news'/>")).ShouldBeResult()!;
        var items = (await bob.GetAsync(server.Service(), $"<query xmlns='{DiscoModule.ItemsNamespace}' node='news'/>")).ShouldBeResult()!;

        info.Child("identity", DiscoModule.InfoNamespace)!.GetAttribute("type").Should().Be("leaf");
        var meta = info.Child("x", "jabber:x:data")!.Elements().ToDictionary(f => f.GetAttribute("var")!, f => f.ChildText("value", "jabber:x:data"));
        meta["FORM_TYPE"].Should().Be(NodeConfiguration.MetaDataFormType);
        meta["pubsub#owner"].Should().Be("alice@localhost");
        meta["pubsub#title"].Should().Be("News");
        items.Elements().Select(i => i.GetAttribute("name")).Should().Equal("first");
        // §5.5: an item's name is its id, and it has no node attribute.
        items.Elements().Should().OnlyContain(i => i.GetAttribute("node") == null && i.GetAttribute("jid") == server.Service());
        (await bob.GetAsync(server.Service(), $"<query xmlns='{DiscoModule.InfoNamespace}' node='nope'/>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task Requests_NotForTheServiceOrMalformed_ClearErrors()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        (await alice.GetAsync(server.Service(), "<query xmlns='jabber:iq:version'/>")).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'/>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><create node='a'/><create node='b'/></pubsub>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><publish node='a'/></pubsub>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await alice.GetAsync("news@" + server.Service(), $"<pubsub xmlns='{Ns}'><items node='a'/></pubsub>")).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    /// <summary>Starts a server with these accounts.</summary>
    internal static async Task<TestServer> StartAsync(params string[] users)
    {
        var server = await TestServer.StartAsync();
        foreach (var user in users)
        {
            await server.CreateUserAsync(user);
        }

        return server;
    }

    /// <summary>The field values of a configure result.</summary>
    private static Dictionary<string, string?> Configuration(Protocol.Xml.Element reply) =>
        reply.ShouldBeResult()!.Child("configure", OwnerNs)!.Child("x", "jabber:x:data")!.Elements()
            .ToDictionary(f => f.GetAttribute("var")!, f => f.ChildText("value", "jabber:x:data"));
}
