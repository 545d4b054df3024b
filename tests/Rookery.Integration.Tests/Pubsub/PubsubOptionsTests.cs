using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Disco;
using Rookery.Modules.Pubsub;
using Rookery.Protocol.Errors;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pubsub.PubsubNodeTests;
using static Rookery.Integration.Tests.Pubsub.PubsubTestExtensions;
using Element = Rookery.Protocol.Xml.Element;

namespace Rookery.Integration.Tests.Pubsub;

/// <summary>
/// Subscription options (XEP-0060 §6.3, §6.4) and multiple subscriptions of one JID (§6.1.6) on the pubsub.&lt;host&gt;
/// service, over real sockets: reading and submitting options, subscribing with options, pubsub#deliver and
/// pubsub#show-values honoured by notifications, SubID headers, and the errors of §6.2.3 and §6.3.4.
/// </summary>
public sealed class PubsubOptionsTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    [Fact]
    public async Task Disco_AnnouncesOptionsAndMultiSubscribe_DefaultOptionsForm()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();

        var info = (await alice.GetAsync(server.Service(), $"<query xmlns='{DiscoModule.InfoNamespace}'/>")).ShouldBeResult()!;
        var defaults = (await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><default node='news'/></pubsub>")).ShouldBeResult()!;

        info.Elements().Select(f => f.GetAttribute("var")).Should().Contain(
            [Ns + "#subscription-options", Ns + "#multi-subscribe", Ns + "#retrieve-default-sub"]);
        var form = defaults.Child("default", Ns)!.Child("x", "jabber:x:data")!;
        form.GetAttribute("type").Should().Be("form");
        Fields(form).Should().Contain(("FORM_TYPE", SubscriptionOptions.FormType)).And.Contain(("pubsub#deliver", "1"));
        (await alice.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><default node='nope'/></pubsub>")).ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task Options_GetAndSubmit_DeliverFalseStopsNotificationsUntilTurnedBackOn()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        var subId = SubIdOf(await bob.SubscribeAsync(server, "news", "bob@localhost"));

        var options = (await bob.GetAsync(server.Service(), GetOptions("bob@localhost"))).ShouldBeResult()!.Child("options", Ns)!;
        (await bob.SetAsync(server.Service(), SubmitOptions("bob@localhost", ("pubsub#deliver", "0")))).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();
        await bob.ExpectNothingAsync(Quiet, Event(server, "news"));
        var changed = (await bob.GetAsync(server.Service(), GetOptions("bob@localhost"))).ShouldBeResult()!.Child("options", Ns)!;
        (await bob.SetAsync(server.Service(), SubmitOptions("bob@localhost", ("pubsub#deliver", "true")))).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "2")).ShouldBeResult();

        (await bob.WaitForAsync(Event(server, "news"))).EventChild("items").Child("item", EventNs)!.GetAttribute("id").Should().Be("2");
        (options.GetAttribute("node"), options.GetAttribute("jid"), options.GetAttribute("subid")).Should().Be(("news", "bob@localhost", subId));
        Fields(options.Child("x", "jabber:x:data")!).Should().Contain(("FORM_TYPE", SubscriptionOptions.FormType)).And.Contain(("pubsub#deliver", "1"));
        Fields(changed.Child("x", "jabber:x:data")!).Should().Contain(("pubsub#deliver", "0"));
    }

    [Fact]
    public async Task SubscribeAndConfigure_OptionsStoredAndEchoed_RefusedOptionsStoreNothing()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();

        var refused = await bob.SetAsync(server.Service(), SubscribeWith("bob@localhost", ("pubsub#digest", "1")));
        var reply = (await bob.SetAsync(server.Service(), SubscribeWith("bob@localhost", ("pubsub#deliver", "0")))).ShouldBeResult()!;
        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();

        refused.ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-options");
        var subscription = reply.Child("subscription", Ns)!;
        subscription.GetAttribute("subscription").Should().Be("subscribed");
        var echoed = reply.Child("options", Ns)!;
        echoed.GetAttribute("subid").Should().Be(subscription.GetAttribute("subid"));
        Fields(echoed.Child("x", "jabber:x:data")!).Should().Contain(("pubsub#deliver", "0"));
        await bob.ExpectNothingAsync(Quiet, Event(server, "news"));
        Subscriptions(await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions node='news'/></pubsub>")).Should().ContainSingle("the refused request stored nothing");
    }

    [Fact]
    public async Task Options_Errors_NoSuchSubscriberOthersJidSubIdRequiredInvalidAndBadForms()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        (await bob.GetAsync(server.Service(), GetOptions("bob@localhost"))).ShouldBePubsubError(StanzaErrorCondition.UnexpectedRequest, "not-subscribed");
        SubIdOf(await bob.SubscribeAsync(server, "news", "bob@localhost"));
        SubIdOf(await bob.SubscribeAsync(server, "news", "bob@localhost"));
        var first = SubIdOf(await bob.SubscribeAsync(server, "news"));

        (await alice.GetAsync(server.Service(), GetOptions("bob@localhost"))).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await bob.GetAsync(server.Service(), GetOptions("bob@localhost"))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "subid-required");
        (await bob.GetAsync(server.Service(), GetOptions("bob@localhost", " subid='nope'"))).ShouldBePubsubError(StanzaErrorCondition.NotAcceptable, "invalid-subid");
        (await bob.GetAsync(server.Service(), GetOptions(bob.Jid!.ToString(), $" subid='{first}'"))).ShouldBeResult();
        // The full JID holds one subscription, which needs no subid.
        (await bob.GetAsync(server.Service(), GetOptions(bob.Jid!.ToString()))).ShouldBeResult();
        (await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><options node='news'/></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "jid-required");
        (await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><options jid='bob@localhost'/></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "nodeid-required");
        (await bob.GetAsync(server.Service(), GetOptions("bob@localhost", node: "nope"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        var full = bob.Jid!.ToString();
        (await bob.SetAsync(server.Service(), SubmitOptions(full, ("pubsub#show-values", "sleepy")))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-options");
        (await bob.SetAsync(server.Service(), SubmitOptions(full, ("pubsub#include_body", "1")))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-options");
        (await bob.SetAsync(server.Service(), SubmitOptions(full, ("pubsub#expire", "presence")))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-options");
        (await bob.SetAsync(server.Service(), SubmitOptions(full, ("pubsub#deliver", "maybe")))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-options");
        (await bob.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><options node='news' jid='{full}'/></pubsub>")).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "invalid-options");
        (await bob.SetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><options node='news' jid='{full}'>{Form(NodeConfiguration.FormType, ("pubsub#deliver", "0"))}</options></pubsub>"))
            .ShouldBeError(StanzaErrorCondition.BadRequest);

        // None of the refused forms changed anything.
        var options = (await bob.GetAsync(server.Service(), GetOptions(full))).ShouldBeResult()!.Child("options", Ns)!;
        Fields(options.Child("x", "jabber:x:data")!).Should().Contain(("pubsub#deliver", "1")).And.NotContain(f => f.Var == "pubsub#show-values" && f.Value != null);
    }

    [Fact]
    public async Task MultiSubscribe_OneNotificationNamingTheDeliveringSubIds_UnsubscribeNeedsTheSubId()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        var a = SubIdOf(await bob.SubscribeAsync(server, "news", "bob@localhost"));
        var b = SubIdOf(await bob.SubscribeAsync(server, "news", "bob@localhost"));
        var quiet = SubIdOf(await bob.SetAsync(server.Service(), SubscribeWith("bob@localhost", ("pubsub#deliver", "0"))));

        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();
        var both = await bob.WaitForAsync(Event(server, "news"));
        await bob.ExpectNothingAsync(Quiet, Event(server, "news"));
        (await bob.SetAsync(server.Service(), Unsubscribe("bob@localhost"))).ShouldBePubsubError(StanzaErrorCondition.BadRequest, "subid-required");
        (await bob.SetAsync(server.Service(), Unsubscribe("bob@localhost", " subid='nope'"))).ShouldBePubsubError(StanzaErrorCondition.NotAcceptable, "invalid-subid");
        (await bob.SetAsync(server.Service(), Unsubscribe("bob@localhost", $" subid='{a}'"))).ShouldBeResult();
        (await bob.SetAsync(server.Service(), Unsubscribe("bob@localhost", $" subid='{quiet}'"))).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "2")).ShouldBeResult();
        var single = await bob.WaitForAsync(Event(server, "news"));

        new[] { a, b, quiet }.Should().OnlyHaveUniqueItems();
        SubIdHeaders(both).Should().BeEquivalentTo([a, b], "the subscription with pubsub#deliver off did not generate it");
        single.Child("headers", "http://jabber.org/protocol/shim").Should().BeNull("bob holds one subscription now");
        Subscriptions(await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions node='news'/></pubsub>")).Should().Equal(b);
    }

    [Fact]
    public async Task ShowValues_OnlyResourcesWhosePresenceHasAListedShowAreNotified()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var phone = await server.LoginAsync("bob", resource: "phone");
        await using var desk = await server.LoginAsync("bob", resource: "desk");
        (await alice.CreateAsync(server, "news")).ShouldBeResult();
        await phone.SendAsync("<presence><show>away</show></presence>");
        // The stream's stanzas are handled in order: once the ping is answered, the presence counts.
        (await phone.GetAsync(server.Domain, "<ping xmlns='urn:xmpp:ping'/>")).ShouldBeResult();
        // Options on a bare JID (either resource may set them) and on the desk's full JID.
        var away = SubIdOf(await desk.SetAsync(server.Service(), SubscribeWith("bob@localhost", ("pubsub#show-values", "away"))));
        SubIdOf(await desk.SetAsync(server.Service(), SubscribeWith(desk.Jid!.ToString(), ("pubsub#show-values", "dnd"))));

        (await alice.PublishAsync(server, "news", "1")).ShouldBeResult();
        var toPhone = await phone.WaitForAsync(Event(server, "news"));
        await desk.ExpectNothingAsync(Quiet, Event(server, "news"));
        await desk.SendAsync("<presence><show>dnd</show></presence>");
        (await desk.GetAsync(server.Domain, "<ping xmlns='urn:xmpp:ping'/>")).ShouldBeResult();
        (await alice.PublishAsync(server, "news", "2")).ShouldBeResult();

        toPhone.GetAttribute("to").Should().Be(phone.Jid!.ToString(), "the bare JID's subscription reaches the resource that is away");
        (await phone.WaitForAsync(Event(server, "news"))).EventChild("items").Child("item", EventNs)!.GetAttribute("id").Should().Be("2");
        (await desk.WaitForAsync(Event(server, "news"))).EventChild("items").Child("item", EventNs)!.GetAttribute("id").Should().Be("2");
        away.Should().NotBeNullOrEmpty();
    }

    private static string GetOptions(string jid, string extra = "", string node = "news") =>
        $"<pubsub xmlns='{Ns}'><options node='{node}' jid='{jid}'{extra}/></pubsub>";

    private static string SubmitOptions(string jid, params (string Var, string Value)[] fields) =>
        $"<pubsub xmlns='{Ns}'><options node='news' jid='{jid}'>{Form(SubscriptionOptions.FormType, fields)}</options></pubsub>";

    private static string SubscribeWith(string jid, params (string Var, string Value)[] fields) =>
        $"<pubsub xmlns='{Ns}'><subscribe node='news' jid='{jid}'/><options>{Form(SubscriptionOptions.FormType, fields)}</options></pubsub>";

    private static string Unsubscribe(string jid, string extra = "") => $"<pubsub xmlns='{Ns}'><unsubscribe node='news' jid='{jid}'{extra}/></pubsub>";

    private static string SubIdOf(Element reply) => reply.ShouldBeResult()!.Child("subscription", Ns)!.GetAttribute("subid")!;

    private static List<string?> Subscriptions(Element reply) =>
        [.. reply.ShouldBeResult()!.Child("subscriptions", Ns)!.Elements().Select(s => s.GetAttribute("subid"))];

    private static List<string> SubIdHeaders(Element message) =>
        [.. message.Child("headers", "http://jabber.org/protocol/shim")!.Elements().Where(h => h.GetAttribute("name") == "SubID").Select(h => h.Text)];

    private static List<(string? Var, string? Value)> Fields(Element form) =>
        [.. form.Elements().Where(f => f.Name == "field").Select(f => (f.GetAttribute("var"), f.Elements().FirstOrDefault(v => v.Name == "value")?.Text))];
}
