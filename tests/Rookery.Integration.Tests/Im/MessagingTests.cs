using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Im;

/// <summary>Message routing over real sockets (RFC 6121 §8.5): full and bare JIDs, priorities, errors.</summary>
public sealed class MessagingTests
{
    [Fact]
    public async Task Message_ToFullJid_IsDeliveredWithStampedFrom()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        await alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='m1'><body>hi &amp; bye</body></message>");

        var m = await bob.WaitForAsync(Match.AnyMessage);
        m.GetAttribute("from").Should().Be(alice.Jid!.ToString());
        m.ChildText("body", Ns.Client).Should().Be("hi & bye");
    }

    [Fact]
    public async Task Message_ToBareJid_GoesOnlyToHighestPriorityResource()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var high = await server.LoginWithPriorityAsync("bob", "high", 5);
        await using var low = await server.LoginWithPriorityAsync("bob", "low", 1);

        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>to the best</body></message>");

        await high.WaitForAsync(Match.Message(alice.Jid!.ToString(), "to the best"));
        await low.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    [Fact]
    public async Task Message_ToBareJid_EqualPriorities_GoesToEach()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var one = await server.LoginWithPriorityAsync("bob", "one", 3);
        await using var two = await server.LoginWithPriorityAsync("bob", "two", 3);
        await using var lower = await server.LoginWithPriorityAsync("bob", "lower", 2);

        await alice.SendAsync($"<message to='{server.Bare("bob")}'><body>to both</body></message>");

        await one.WaitForAsync(Match.Message(alice.Jid!.ToString(), "to both"));
        await two.WaitForAsync(Match.Message(alice.Jid!.ToString(), "to both"));
        await lower.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    [Fact]
    public async Task Message_ToBareJid_NegativePriorityResourceNeverGetsIt()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var negative = await server.LoginWithPriorityAsync("bob", "negative", -1);
        await using var zero = await server.LoginWithPriorityAsync("bob", "zero", 0);

        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>m</body></message>");

        // §8.5.2.1.1: only resources with non-negative priority are candidates, even when theirs is lower.
        await zero.WaitForAsync(Match.Message(alice.Jid!.ToString(), "m"));
        await negative.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    [Fact]
    public async Task Message_ToBareJid_OnlyNegativePriorityResources_IsStoredOffline()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var negative = await server.LoginWithPriorityAsync("bob", "negative", -1);

        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>kept</body></message>");
        await alice.SyncAsync();

        await negative.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
        await using var zero = await server.LoginWithPriorityAsync("bob", "zero", 0);
        var m = await zero.WaitForAsync(Match.Message(alice.Jid!.ToString(), "kept"));
        m.Child("delay", Ns.Delay).Should().NotBeNull("it came from offline storage: {0}", m);
    }

    [Fact]
    public async Task Message_ToFullJidOfOfflineResource_IsTreatedAsBare()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var phone = await server.LoginAsync("bob", resource: "phone");

        await alice.SendAsync($"<message to='{server.Bare("bob")}/laptop' type='chat'><body>where are you</body></message>");

        // §8.5.3.2.1: chat to a resource that is not online is handled as if sent to the bare JID.
        await phone.WaitForAsync(Match.Message(alice.Jid!.ToString(), "where are you"));
    }

    [Fact]
    public async Task Message_ToNonexistentUser_ReturnsServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.SendAsync($"<message to='{server.Bare("ghost")}' type='chat' id='m1'><body>anyone?</body></message>");

        var error = await alice.WaitForAsync(Match.Error("message", "m1"));
        error.GetAttribute("from").Should().Be(server.Bare("ghost"));
        Match.Condition(error).Should().Be("service-unavailable");
    }

    [Fact]
    public async Task Groupchat_ToBareJid_ReturnsServiceUnavailableAndIsNotDelivered()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='groupchat' id='g1'><body>room?</body></message>");

        // §8.5.2.1.1: a groupchat message to a user's bare JID is an error.
        var error = await alice.WaitForAsync(Match.Error("message", "g1"));
        Match.Condition(error).Should().Be("service-unavailable");
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    [Fact]
    public async Task Error_ToBareJid_IsSilentlyIgnored()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='error' id='e1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
        await alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='after'><body>after</body></message>");

        // §8.5.2.1.1: an error message to a bare JID is neither delivered nor answered. The message sent after it arrives
        // first-in-first-out, so once it is there the error would have been too.
        var next = await bob.WaitForAsync(Match.AnyMessage);
        next.GetAttribute("id").Should().Be("after");
        await alice.ExpectNothingAsync(ImTestExtensions.Quiet, Match.Error("message", "e1"));
    }

    [Fact]
    public async Task Headline_ToBareJid_GoesToEveryNonNegativeResourceWithToUnchanged()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var high = await server.LoginWithPriorityAsync("bob", "high", 5);
        await using var low = await server.LoginWithPriorityAsync("bob", "low", 0);
        await using var negative = await server.LoginWithPriorityAsync("bob", "negative", -1);

        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='headline' id='h1'><body>news</body></message>");

        // §8.5.2.1.1: a headline goes to all non-negative resources, and the 'to' is never rewritten to a full JID.
        foreach (var resource in new[] { high, low })
        {
            var m = await resource.WaitForAsync(Match.Message(alice.Jid!.ToString(), "news"));
            m.GetAttribute("to").Should().Be(server.Bare("bob"));
        }

        await negative.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    [Fact]
    public async Task Iq_ToOnlineFullJid_IsDeliveredAndResultRoutedBack()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        await alice.SendAsync($"<iq type='get' id='v1' to='{bob.Jid}'><query xmlns='jabber:iq:version'/></iq>");

        var request = await bob.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "v1");
        request.GetAttribute("type").Should().Be("get");
        request.GetAttribute("from").Should().Be(alice.Jid!.ToString());
        request.Child("query", "jabber:iq:version").Should().NotBeNull();
        await bob.SendAsync($"<iq type='result' id='v1' to='{alice.Jid}'><query xmlns='jabber:iq:version'><name>raw</name></query></iq>");
        var reply = await alice.WaitForAsync(Match.IqReply("v1"));
        reply.GetAttribute("type").Should().Be("result");
        reply.GetAttribute("from").Should().Be(bob.Jid!.ToString());
        reply.Child("query", "jabber:iq:version")!.ChildText("name", "jabber:iq:version").Should().Be("raw");
    }

    [Fact]
    public async Task Iq_ToOfflineFullJid_ReturnsServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob", resource: "phone");

        var reply = await alice.IqAsync($"<iq type='get' id='v1' to='{server.Bare("bob")}/laptop'><query xmlns='jabber:iq:version'/></iq>", "v1");

        // §8.5.3.2.1: an iq for a resource that is not online is never redirected to another one.
        reply.GetAttribute("type").Should().Be("error");
        reply.GetAttribute("from").Should().Be(server.Bare("bob") + "/laptop");
        Match.Condition(reply).Should().Be("service-unavailable");
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, e => e.Name == "iq");
    }
}
