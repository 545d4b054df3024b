using Rookery.Modules.AvatarConversion;
using Rookery.Modules.Disco;
using Rookery.Modules.Pep;
using Rookery.Modules.Push;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>Service discovery (XEP-0030) with server contact addresses (XEP-0128, XEP-0157), over real sockets.</summary>
public sealed class DiscoTests
{
    private const string InfoQuery = "<query xmlns='http://jabber.org/protocol/disco#info'/>";

    /// <summary>
    /// The host features of every module this server ships, each enabled by default. Message archives are not among
    /// them: XEP-0313 §6 has them advertised by the archiving JID, the account (<see cref="AccountFeatures"/>).
    /// </summary>
    internal static readonly string[] AllFeatures =
    [
        "http://jabber.org/protocol/caps",
        "http://jabber.org/protocol/commands",
        "http://jabber.org/protocol/disco#info",
        "http://jabber.org/protocol/disco#items",
        "http://jabber.org/protocol/offline",
        "jabber:iq:last",
        "jabber:iq:private",
        "jabber:iq:register",
        "jabber:iq:roster",
        "jabber:iq:version",
        "urn:xmpp:blocking",
        "urn:xmpp:carbons:2",
        "urn:xmpp:ping",
        "urn:xmpp:reporting:1",
        "urn:xmpp:time",
        "vcard-temp",
    ];

    /// <summary>The features of an account's bare JID with every module enabled (XEP-0313 §6, XEP-0359, XEP-0163 §6.1, XEP-0357 §4.1, XEP-0411 §2, XEP-0402 §5.3).</summary>
    internal static readonly string[] AccountFeatures =
    [
        .. new[]
        {
            "http://jabber.org/protocol/disco#info",
            "urn:xmpp:bookmarks-conversion:0",
            "urn:xmpp:bookmarks:1#compat",
            "urn:xmpp:bookmarks:1#compat-pep",
            "urn:xmpp:mam:2",
            "urn:xmpp:mam:2#extended",
            "urn:xmpp:pep-vcard-conversion:0",
            "urn:xmpp:push:0",
            "urn:xmpp:sid:0",
        }.Concat(PepModule.Features).Order(StringComparer.Ordinal),
    ];

    [Fact]
    public async Task DiscoInfo_Host_ServerIdentityAndExactlyTheFeaturesOfEnabledModules()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(server.Domain, InfoQuery)).ShouldBeResult()!;

        query.Name.Should().Be("query");
        query.Namespace.Should().Be(DiscoModule.InfoNamespace);
        var identities = query.Elements().Where(e => e.Name == "identity").ToList();
        identities.Should().ContainSingle();
        identities[0].GetAttribute("category").Should().Be("server");
        identities[0].GetAttribute("type").Should().Be("im");
        Features(query).Should().Equal(AllFeatures);
        // No contact addresses configured: no extended information form.
        query.Child("x", DiscoModule.DataFormsNamespace).Should().BeNull();
    }

    [Fact]
    public async Task DiscoInfo_VersionDisabled_FeatureGoneAndVersionRequestServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules.Add("version"));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(server.Domain, InfoQuery)).ShouldBeResult()!;
        var version = await alice.GetAsync(server.Domain, "<query xmlns='jabber:iq:version'/>");
        var time = await alice.GetAsync(server.Domain, "<time xmlns='urn:xmpp:time'/>");

        Features(query).Should().Equal(AllFeatures.Where(f => f != "jabber:iq:version"));
        version.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        // The control: a module that stays enabled still answers.
        time.ShouldBeResult().Should().NotBeNull();
    }

    [Fact]
    public async Task DiscoInfo_ModuleDisabledOnOneHost_OnlyThatHostLosesIt()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new HostOptions();
            o.Hosts["other.test"] = new HostOptions { DisabledModules = ["time", "Last"] };
        });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var local = (await alice.GetAsync("localhost", InfoQuery)).ShouldBeResult()!;
        var other = (await alice.GetAsync("other.test", InfoQuery)).ShouldBeResult()!;
        var otherTime = await alice.GetAsync("other.test", "<time xmlns='urn:xmpp:time'/>");
        var otherPing = await alice.GetAsync("other.test", "<ping xmlns='urn:xmpp:ping'/>");

        Features(local).Should().Equal(AllFeatures);
        // Module names are matched without regard to case, as everywhere in DisabledModules.
        Features(other).Should().Equal(AllFeatures.Where(f => f is not ("urn:xmpp:time" or "jabber:iq:last")));
        otherTime.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        otherPing.ShouldBeResult();
    }

    [Fact]
    public async Task DiscoInfo_ContactAddressesConfigured_PublishedAsServerInfoForm()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            var addresses = o.Modules.Disco.ContactAddresses;
            addresses.Abuse.AddRange(["mailto:abuse@example.org", "xmpp:abuse@example.org"]);
            addresses.Admin.Add("xmpp:admin@example.org");
            addresses.Support.Add("https://example.org/support");
        });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(server.Domain, InfoQuery)).ShouldBeResult()!;

        var form = query.Child("x", DiscoModule.DataFormsNamespace);
        form.Should().NotBeNull();
        form!.GetAttribute("type").Should().Be("result");
        var fields = form.Elements().Where(e => e.Name == "field").ToList();
        fields.Select(f => f.GetAttribute("var")).Should().Equal("FORM_TYPE", "abuse-addresses", "admin-addresses", "support-addresses");
        fields[0].GetAttribute("type").Should().Be("hidden");
        Values(fields[0]).Should().Equal("http://jabber.org/network/serverinfo");
        Values(fields[1]).Should().Equal("mailto:abuse@example.org", "xmpp:abuse@example.org");
        Values(fields[2]).Should().Equal("xmpp:admin@example.org");
        Values(fields[3]).Should().Equal("https://example.org/support");
        // The form comes in addition to, not instead of, the identity and features.
        Features(query).Should().Equal(AllFeatures);
    }

    [Fact]
    public async Task DiscoInfo_AccountBareJid_AccountIdentity()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        // XEP-0030 §8: Bob may see Alice's presence, so the server answers for her account.
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.From);

        var query = (await bob.GetAsync(server.Bare("alice"), InfoQuery)).ShouldBeResult()!;
        var own = (await bob.GetAsync(null, InfoQuery)).ShouldBeResult()!;

        foreach (var q in new[] { query, own })
        {
            // The account identity, and the PEP service's (XEP-0163 §6.1).
            q.Elements().Where(e => e.Name == "identity").Select(e => e.GetAttribute("category") + "/" + e.GetAttribute("type"))
                .Should().Equal("account/registered", "pubsub/pep");
            Features(q).Should().Equal(AccountFeatures);
        }
    }

    [Fact]
    public async Task DiscoInfo_MamDisabled_AccountLosesArchiveFeaturesAndHostKeepsItsOwn()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules.Add("mam"));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var account = (await alice.GetAsync(null, InfoQuery)).ShouldBeResult()!;
        var host = (await alice.GetAsync(server.Domain, InfoQuery)).ShouldBeResult()!;
        var query = await alice.SetAsync(null, "<query xmlns='urn:xmpp:mam:2'/>");

        Features(account).Should().Equal(AccountFeatures.Where(f => !f.StartsWith("urn:xmpp:mam:", StringComparison.Ordinal) && f != "urn:xmpp:sid:0"));
        Features(host).Should().Equal(AllFeatures);
        query.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task DiscoInfo_AccountThatDoesNotExist_ServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");

        var reply = await bob.GetAsync(server.Bare("nobody"), InfoQuery);

        reply.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task DiscoInfoAndItems_AccountNotSharingPresence_ServiceUnavailableAndEmptyItems()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.SetAsync(null, Pep.PepTestExtensions.Publish("urn:open", "1", "<x xmlns='urn:t'/>", ("pubsub#access_model", "open")))).ShouldBeResult();
        // Alice sees Bob's presence, not he hers (SINT ServiceDiscoveryIntegrationTest, XEP-0030 §8).
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.To);

        var info = await bob.GetAsync(server.Bare("alice"), InfoQuery);
        var infoNode = await bob.GetAsync(server.Bare("alice"), "<query xmlns='http://jabber.org/protocol/disco#info' node='a-test-node'/>");
        var items = (await bob.GetAsync(server.Bare("alice"), "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var reverse = (await alice.GetAsync(server.Bare("bob"), InfoQuery)).ShouldBeResult()!;

        info.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        infoNode.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        // Even the open PEP node is not listed to someone who may not see her presence.
        items.Elements().Should().BeEmpty();
        // The control: the other direction is allowed.
        reverse.Elements().Should().Contain(e => e.Name == "identity" && e.GetAttribute("category") == "account");
    }

    [Fact]
    public async Task DiscoItems_AccountThatDoesNotExist_EmptyResultWithOrWithoutNode()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");

        var plain = (await bob.GetAsync(server.Bare("nobody"), "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var node = (await bob.GetAsync(server.Bare("nobody"), "<query xmlns='http://jabber.org/protocol/disco#items' node='a-test-node'/>")).ShouldBeResult()!;
        var last = await bob.GetAsync(server.Bare("nobody"), "<query xmlns='jabber:iq:last'/>");

        // XEP-0030 §8: an empty result set, not an error, node or not.
        plain.Namespace.Should().Be(DiscoModule.ItemsNamespace);
        plain.Elements().Should().BeEmpty();
        node.GetAttribute("node").Should().Be("a-test-node");
        node.Elements().Should().BeEmpty();
        // Every other request to the absent account keeps its service-unavailable (RFC 6121 §8.5.1).
        last.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task DiscoInfoAndItems_UnknownNode_ItemNotFound()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var info = await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#info' node='nope'/>");
        var items = await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items' node='nope'/>");

        info.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        items.ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task DiscoItems_Host_ListsTheMucUploadAndPubsubServices()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;

        query.Name.Should().Be("query");
        query.Namespace.Should().Be(DiscoModule.ItemsNamespace);
        // XEP-0045 §6.1, XEP-0363 §3 and XEP-0060 §5.1: the MUC, upload and pubsub services are found among the server's
        // items (upload is on because the test server has an HTTP listener).
        query.Elements().Select(e => e.GetAttribute("jid")).Should().BeEquivalentTo($"conference.{server.Domain}", $"upload.{server.Domain}", $"pubsub.{server.Domain}");
    }

    [Fact]
    public async Task DiscoItems_Host_MucUploadAndPubsubDisabled_ServicesNotListed()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules = ["muc", "http_upload", "pubsub"]);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;

        query.Elements().Should().BeEmpty();
    }

    private static List<string?> Features(Element query) =>
        query.Elements().Where(e => e.Name == "feature" && e.Namespace == DiscoModule.InfoNamespace).Select(e => e.GetAttribute("var")).ToList();

    private static List<string> Values(Element field) =>
        field.Elements().Where(e => e.Name == "value").Select(e => e.Text).ToList();
}
