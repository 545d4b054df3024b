using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Pubsub;
using Rookery.Protocol.Errors;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pubsub.PubsubNodeTests;
using static Rookery.Integration.Tests.Pubsub.PubsubTestExtensions;
using Element = Rookery.Protocol.Xml.Element;

namespace Rookery.Integration.Tests.Pubsub;

/// <summary>
/// Subscription approval by message (XEP-0060 §8.6) on an authorize node of the pubsub.&lt;host&gt; service, over real
/// sockets: the owner receives the approval form when a subscription becomes pending and answers it; the subscriber is
/// told the outcome; forms from others, for unknown or decided subscriptions, are answered with message errors.
/// </summary>
public sealed class PubsubAuthorizationTests
{
    private const string DataFormsNs = "jabber:x:data";
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(400);

    [Fact]
    public async Task PendingSubscription_OwnerAllowsByForm_SubscriberActiveAndNotified()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "club", ("pubsub#access_model", "authorize"), ("pubsub#send_last_published_item", "on_sub"))).ShouldBeResult();
        (await alice.PublishAsync(server, "club", "1")).ShouldBeResult();

        var subId = await SubscribePendingAsync(server, bob);
        var request = await alice.WaitForAsync(ApprovalRequest(server));
        var form = request.Child("x", DataFormsNs)!;
        form.GetAttribute("type").Should().Be("form");
        FieldValue(form, "pubsub#subid").Should().Be(subId);
        FieldValue(form, "pubsub#node").Should().Be("club");
        FieldValue(form, "pubsub#subscriber_jid").Should().Be("bob@localhost");
        FieldValue(form, "pubsub#allow").Should().Be("false");
        Field(form, "pubsub#allow")!.GetAttribute("type").Should().Be("boolean");

        // §8.6: the owner submits the form with allow true, reflecting the request's id.
        await alice.SendAsync(Answer(server, request.GetAttribute("id"), subId, "club", "bob@localhost", "true"));
        var notice = await bob.WaitForAsync(SubscriptionNotice(server, "club"));
        var state = notice.Child("event", EventNs)!.Child("subscription", EventNs)!;
        (state.GetAttribute("jid"), state.GetAttribute("subscription"), state.GetAttribute("subid")).Should().Be(("bob@localhost", "subscribed", subId));
        // §6.1.7: processed now, the subscription gets the last item.
        (await bob.WaitForAsync(e => Event(server, "club")(e) && ItemId(e) == "1")).Should().NotBeNull();

        var listed = (await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions node='club'/></pubsub>")).ShouldBeResult()!.Child("subscriptions", Ns)!.Elements().Single();
        (listed.GetAttribute("subscription"), listed.GetAttribute("subid")).Should().Be(("subscribed", subId));
        (await alice.PublishAsync(server, "club", "2")).ShouldBeResult();
        (await bob.WaitForAsync(e => Event(server, "club")(e) && ItemId(e) == "2")).Should().NotBeNull();
        (await bob.ItemsAsync(server, "club")).ItemIds().Should().Equal("1", "2");

        // Decided already: a second answer finds nothing pending and is told so.
        await alice.SendAsync(Answer(server, "again", subId, "club", "bob@localhost", "false"));
        (await alice.WaitForAsync(MessageError("again"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await bob.ItemsAsync(server, "club")).ItemIds().Should().Equal("1", "2");
    }

    [Fact]
    public async Task PendingSubscription_OwnerDeniesByForm_RemovedAndSubscriberTold()
    {
        await using var server = await StartAsync("alice", "bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        (await alice.CreateAsync(server, "club", ("pubsub#access_model", "authorize"))).ShouldBeResult();

        var subId = await SubscribePendingAsync(server, bob);
        var request = await alice.WaitForAsync(ApprovalRequest(server));

        // §8.6's own answer names the node and the subscriber, without the subid.
        await alice.SendAsync(Answer(server, request.GetAttribute("id"), null, "club", "bob@localhost", "0"));
        var state = (await bob.WaitForAsync(SubscriptionNotice(server, "club"))).Child("event", EventNs)!.Child("subscription", EventNs)!;
        (state.GetAttribute("jid"), state.GetAttribute("subscription"), state.GetAttribute("subid")).Should().Be(("bob@localhost", "none", subId));

        (await alice.OwnerAsync(server, "get", "<subscriptions node='club'/>")).ShouldBeResult()!.Child("subscriptions", OwnerNs)!.Elements().Should().BeEmpty();
        (await bob.GetAsync(server.Service(), $"<pubsub xmlns='{Ns}'><subscriptions node='club'/></pubsub>")).ShouldBeResult()!.Child("subscriptions", Ns)!.Elements().Should().BeEmpty();
        (await alice.PublishAsync(server, "club", "1")).ShouldBeResult();
        await bob.ExpectNothingAsync(Quiet, Event(server, "club"));
        // Denied is not banned: bob may ask again, which is pending again and asks the owner again.
        (await SubscribePendingAsync(server, bob)).Should().NotBe(subId);
        (await alice.WaitForAsync(ApprovalRequest(server))).Should().NotBeNull();
    }

    [Fact]
    public async Task ApprovalForm_FromNonOwnerUnknownOrCancelled_ChangesNothing()
    {
        await using var server = await StartAsync("alice", "bob", "carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        (await alice.CreateAsync(server, "club", ("pubsub#access_model", "authorize"))).ShouldBeResult();
        var subId = await SubscribePendingAsync(server, bob);
        (await alice.WaitForAsync(ApprovalRequest(server))).Should().NotBeNull();

        // Carol is no owner: forbidden, as for every owner use case.
        await carol.SendAsync(Answer(server, "c1", subId, "club", "bob@localhost", "true"));
        (await carol.WaitForAsync(MessageError("c1"))).ShouldBeError(StanzaErrorCondition.Forbidden);
        // The owner, but a subid or a subscriber that is not pending, or a node that does not exist.
        await alice.SendAsync(Answer(server, "a1", "no-such-subid", "club", null, "true"));
        (await alice.WaitForAsync(MessageError("a1"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        await alice.SendAsync(Answer(server, "a2", null, "club", "carol@localhost", "true"));
        (await alice.WaitForAsync(MessageError("a2"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        await alice.SendAsync(Answer(server, "a3", subId, "nope", "bob@localhost", "true"));
        (await alice.WaitForAsync(MessageError("a3"))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        // Malformed: allow is no boolean.
        await alice.SendAsync(Answer(server, "a4", subId, "club", "bob@localhost", "maybe"));
        (await alice.WaitForAsync(MessageError("a4"))).ShouldBeError(StanzaErrorCondition.BadRequest);
        // §8.6: a cancelled form leaves the request pending, and needs no answer.
        await alice.SendAsync($"<message to='{server.Service()}' id='a5'><x xmlns='{DataFormsNs}' type='cancel'>" +
            $"<field var='FORM_TYPE' type='hidden'><value>{PubsubService.AuthorizationFormType}</value></field></x></message>");
        // A message that is no approval form is still refused as before.
        await alice.SendAsync($"<message to='{server.Service()}' id='a6'><body>hello</body></message>");
        (await alice.WaitForAsync(MessageError("a6"))).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        await alice.ExpectNothingAsync(Quiet, MessageError("a5"));

        await bob.ExpectNothingAsync(Quiet, SubscriptionNotice(server, "club"));
        var listed = (await alice.OwnerAsync(server, "get", "<subscriptions node='club'/>")).ShouldBeResult()!.Child("subscriptions", OwnerNs)!.Elements().Single();
        (listed.GetAttribute("jid"), listed.GetAttribute("subscription"), listed.GetAttribute("subid")).Should().Be(("bob@localhost", "pending", subId));
    }

    /// <summary>Subscribes the client's bare JID to the authorize node "club", which must be pending; returns the subid.</summary>
    private static async Task<string> SubscribePendingAsync(TestServer server, RawXmppClient client)
    {
        var pending = (await client.SubscribeAsync(server, "club", client.Jid!.Bare.ToString())).ShouldBeResult()!.Child("subscription", Ns)!;
        pending.GetAttribute("subscription").Should().Be("pending");
        return pending.GetAttribute("subid")!;
    }

    /// <summary>The owner's answer (§8.6 Examples 178, 180), with the subid and the subscriber when given.</summary>
    private static string Answer(TestServer server, string? id, string? subId, string node, string? subscriber, string allow)
    {
        var fields = new List<(string, string)> { ("pubsub#node", node), ("pubsub#allow", allow) };
        if (subId is not null)
        {
            fields.Add(("pubsub#subid", subId));
        }

        if (subscriber is not null)
        {
            fields.Add(("pubsub#subscriber_jid", subscriber));
        }

        return $"<message to='{server.Service()}' id='{id}'>{Form(PubsubService.AuthorizationFormType, [.. fields])}</message>";
    }

    private static Func<Element, bool> ApprovalRequest(TestServer server) => e =>
        e.Name == "message" && e.GetAttribute("from") == server.Service() && e.GetAttribute("type") != "error" &&
        e.Child("x", DataFormsNs) is { } x && FieldValue(x, "FORM_TYPE") == PubsubService.AuthorizationFormType;

    private static Func<Element, bool> SubscriptionNotice(TestServer server, string node) => e =>
        e.Name == "message" && e.GetAttribute("from") == server.Service() &&
        e.Child("event", EventNs)?.Child("subscription", EventNs)?.GetAttribute("node") == node;

    private static Func<Element, bool> MessageError(string id) => e =>
        e.Name == "message" && e.GetAttribute("type") == "error" && e.GetAttribute("id") == id;

    private static string? ItemId(Element message) => message.EventChild("items").Child("item", EventNs)?.GetAttribute("id");

    private static Element? Field(Element x, string var) =>
        x.Elements().FirstOrDefault(f => f.Name == "field" && f.Namespace == DataFormsNs && f.GetAttribute("var") == var);

    private static string? FieldValue(Element x, string var) => Field(x, var)?.ChildText("value", DataFormsNs);
}
