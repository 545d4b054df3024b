using Rookery.Integration.Tests.Im;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>Flexible offline message retrieval (XEP-0013) over real sockets, and how it changes the XEP-0160 flood.</summary>
public sealed class FlexibleOfflineTests
{
    private const string Offline = "http://jabber.org/protocol/offline";
    private const string InfoNode = $"<query xmlns='http://jabber.org/protocol/disco#info' node='{Offline}'/>";
    private const string ItemsNode = $"<query xmlns='http://jabber.org/protocol/disco#items' node='{Offline}'/>";

    [Fact]
    public async Task DiscoInfo_Host_AdvertisesOffline()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");

        var query = (await bob.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;

        query.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).Should().Contain(Offline);
    }

    [Fact]
    public async Task Headers_BeforeInitialPresence_CountAndHeadersThenNoFlood()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await SendOfflineAsync(server, "one", "two");
        await using var bob = await server.LoginAsync("bob", sendPresence: false);

        var info = (await bob.GetAsync(null, InfoNode)).ShouldBeResult()!;
        var items = (await bob.GetAsync(null, ItemsNode)).ShouldBeResult()!;
        await bob.SendAsync("<presence/>");

        info.Child("identity", info.Namespace)!.ToString().Should().Contain("category='automation'").And.Contain("type='message-list'");
        info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).Should().Contain(Offline);
        var form = info.Child("x", "jabber:x:data")!;
        form.Elements().Single(f => f.GetAttribute("var") == "number_of_messages").ChildText("value", "jabber:x:data").Should().Be("2");
        var headers = items.Elements().ToList();
        headers.Should().HaveCount(2);
        headers.Select(h => h.GetAttribute("jid")).Should().AllBe(server.Bare("bob"));
        headers.Select(h => h.GetAttribute("name")).Should().AllBe(alice);
        headers.Select(h => h.GetAttribute("node")).Should().OnlyHaveUniqueItems().And.BeInAscendingOrder(StringComparer.Ordinal);

        // §2.2: the resource chose flexible retrieval, so its initial presence brings no flood, and nothing is lost.
        await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == bob.Jid!.ToString());
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
        (await server.Storage.Offline.CountAsync(server.Bare("bob"))).Should().Be(2);
    }

    [Fact]
    public async Task Headers_OtherResourceComesOnlineMeanwhile_NotFloodedEither()
    {
        await using var server = await TestServer.StartAsync();
        await SendOfflineAsync(server, "one");
        await using var flexible = await server.LoginAsync("bob", resource: "flexible", sendPresence: false);
        (await flexible.GetAsync(null, ItemsNode)).ShouldBeResult();

        await using var other = await server.LoginAsync("bob", resource: "other");

        await other.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
        (await server.Storage.Offline.CountAsync(server.Bare("bob"))).Should().Be(1);
    }

    [Fact]
    public async Task NormalClient_InitialPresence_StillFlooded()
    {
        await using var server = await TestServer.StartAsync();
        await SendOfflineAsync(server, "one", "two");

        await using var bob = await server.LoginAsync("bob");

        (await bob.WaitForAsync(Match.AnyMessage)).ChildText("body", Ns.Client).Should().Be("one");
        (await bob.WaitForAsync(Match.AnyMessage)).ChildText("body", Ns.Client).Should().Be("two");
        await bob.SyncAsync();
        (await server.Storage.Offline.CountAsync(server.Bare("bob"))).Should().Be(0);
    }

    [Fact]
    public async Task View_ThenRemove_MessageKeptUntilRemoved()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await SendOfflineAsync(server, "one", "two");
        await using var bob = await server.LoginAsync("bob", sendPresence: false);
        var nodes = await NodesAsync(bob);

        var (viewed, reply) = await CommandAsync(bob, "get", $"<item action='view' node='{nodes[1]}'/>");

        reply.ShouldBeResult();
        var message = viewed.Should().ContainSingle().Subject;
        message.ChildText("body", Ns.Client).Should().Be("two");
        message.GetAttribute("from").Should().Be(alice);
        message.Child("offline", Offline)!.Child("item", Offline)!.GetAttribute("node").Should().Be(nodes[1]);
        message.Child("delay", Ns.Delay).Should().NotBeNull();
        (await NodesAsync(bob)).Should().Equal(nodes, "§2.5: viewing removes nothing");

        (await CommandAsync(bob, "set", $"<item action='remove' node='{nodes[1]}'/>")).Reply.ShouldBeResult();

        (await NodesAsync(bob)).Should().Equal(nodes[0]);
        (await CommandAsync(bob, "get", $"<item action='view' node='{nodes[1]}'/>")).Reply.ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task Fetch_ThenPurge_AllSentThenAllRemoved()
    {
        await using var server = await TestServer.StartAsync();
        await SendOfflineAsync(server, "one", "two", "three");
        await using var bob = await server.LoginAsync("bob", sendPresence: false);

        // §2.6: fetching without asking for headers first also chooses flexible retrieval.
        var (fetched, reply) = await CommandAsync(bob, "get", "<fetch/>");
        reply.ShouldBeResult();
        fetched.Select(m => m.ChildText("body", Ns.Client)).Should().Equal("one", "two", "three");
        fetched.Should().OnlyContain(m => m.Child("offline", Offline) != null);
        await bob.SendAsync("<presence/>");
        await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == bob.Jid!.ToString());
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
        (await server.Storage.Offline.CountAsync(server.Bare("bob"))).Should().Be(3);

        (await CommandAsync(bob, "set", "<purge/>")).Reply.ShouldBeResult();

        (await server.Storage.Offline.CountAsync(server.Bare("bob"))).Should().Be(0);
        (await NodesAsync(bob)).Should().BeEmpty();
    }

    [Fact]
    public async Task UnknownNode_ViewAndRemove_ItemNotFound()
    {
        await using var server = await TestServer.StartAsync();
        await SendOfflineAsync(server, "one");
        await using var bob = await server.LoginAsync("bob", sendPresence: false);

        var (viewed, reply) = await CommandAsync(bob, "get", "<item action='view' node='2003-02-27T22:52:37.225Z'/>");
        reply.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        viewed.Should().BeEmpty();
        (await CommandAsync(bob, "set", "<item action='remove' node='9999999999999999999'/>")).Reply.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await server.Storage.Offline.CountAsync(server.Bare("bob"))).Should().Be(1);
    }

    [Fact]
    public async Task OtherUser_NodeAndCommands_Forbidden()
    {
        await using var server = await TestServer.StartAsync();
        await SendOfflineAsync(server, "secret");
        await server.CreateUserAsync("mallory");
        await using var mallory = await server.LoginAsync("mallory");
        var bob = server.Bare("bob");

        (await mallory.GetAsync(bob, ItemsNode)).ShouldBeError(StanzaErrorCondition.Forbidden);
        // XEP-0030 §8: disco#info of an account whose presence mallory may not see is service-unavailable, node or not.
        (await mallory.GetAsync(bob, InfoNode)).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        (await mallory.GetAsync(bob, $"<offline xmlns='{Offline}'><fetch/></offline>")).ShouldBeError(StanzaErrorCondition.Forbidden);
        (await mallory.SetAsync(bob, $"<offline xmlns='{Offline}'><purge/></offline>")).ShouldBeError(StanzaErrorCondition.Forbidden);

        await mallory.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
        (await server.Storage.Offline.CountAsync(bob)).Should().Be(1);
    }

    /// <summary>Creates alice and bob, has alice send bob (offline) one chat message per body; returns alice's full JID.</summary>
    private static async Task<string> SendOfflineAsync(TestServer server, params string[] bodies)
    {
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        foreach (var body in bodies)
        {
            await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>{body}</body></message>");
        }

        await alice.SyncAsync();
        return alice.Jid!.ToString();
    }

    /// <summary>The nodes of the offline message headers, in the order listed.</summary>
    private static async Task<List<string>> NodesAsync(RawXmppClient client) =>
        (await client.GetAsync(null, ItemsNode)).ShouldBeResult()!.Elements().Select(e => e.GetAttribute("node")!).ToList();

    /// <summary>Sends an &lt;offline/&gt; command; returns the messages that arrived before its reply, and the reply.</summary>
    private static async Task<(List<Element> Messages, Element Reply)> CommandAsync(RawXmppClient client, string type, string content)
    {
        var id = "offline-" + Guid.NewGuid().ToString("N");
        await client.SendAsync($"<iq type='{type}' id='{id}'><offline xmlns='{Offline}'>{content}</offline></iq>");
        var messages = new List<Element>();
        while (true)
        {
            var e = await client.NextAsync();
            if (e.Name == "iq" && e.GetAttribute("id") == id)
            {
                return (messages, e);
            }

            if (e.Name == "message")
            {
                messages.Add(e);
            }
        }
    }
}
