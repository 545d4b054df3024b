using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Disco;
using Rookery.Modules.Pep;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pep.PepTestExtensions;

namespace Rookery.Integration.Tests.Pep;

/// <summary>
/// Bookmarks conversion (XEP-0411, XEP-0402 §5.3) over real sockets: a client on private XML storage (XEP-0049) and
/// clients on PEP bookmarks (XEP-0402 items, the legacy XEP-0048 PEP node) of the same account see the same rooms.
/// </summary>
public sealed class BookmarksConversionTests
{
    private const string Native = "urn:xmpp:bookmarks:1";
    private const string Legacy = "storage:bookmarks";
    private const string Play = "theplay@conference.shakespeare.lit";
    private const string Orchard = "orchard@conference.shakespeare.lit";
    private const string GetPrivate = "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>";

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task PrivateSet_OtherResourceWithNotify_GetsNativeItemsAndCanFetchThem()
    {
        await using var server = await StartAsync("alice");
        await using var legacy = await server.LoginAsync("alice", resource: "legacy");
        await using var modern = await server.LoginWithCapsAsync("alice", "modern", Native + "+notify");

        var set = await legacy.SetAsync(null, PrivateSet(
            $"<conference jid='{Play}' name='The Play' autojoin='true'><nick>JC</nick><password>pw</password><state xmlns='urn:example:client' minimized='1'/></conference>" +
            $"<conference jid='{Orchard}'/>" +
            "<url name='Site' url='https://example.org/'/>"));

        set.ShouldBeResult();
        // XEP-0402 §5.3.2: one notification per room that changed, to the owner's resources that asked for them.
        var first = await modern.ReceivedAsync(Event(server.Bare("alice"), Native));
        var second = await modern.WaitForAsync(e => !ReferenceEquals(e, first) && Event(server.Bare("alice"), Native)(e));
        var notified = new[] { first, second }.Select(e => ItemIds(EventItems(e)).Single()).ToList();
        notified.Should().BeEquivalentTo([Play, Orchard]);
        var items = (await modern.GetAsync(null, Items(Native))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(items).Should().Equal(Play, Orchard);
        var play = items.Elements().First().Child("conference", Native)!;
        play.GetAttribute("name").Should().Be("The Play");
        play.GetAttribute("autojoin").Should().Be("true");
        play.ChildText("nick", Native).Should().Be("JC");
        play.ChildText("password", Native).Should().Be("pw");
        play.Child("extensions", Native)!.Child("state", "urn:example:client")!.GetAttribute("minimized").Should().Be("1");

        // XEP-0402 §3: the node the conversion created is private, keeps every room and sends nothing on presence.
        var config = (await modern.GetAsync(null, $"<pubsub xmlns='{PepModule.OwnerNamespace}'><configure node='{Native}'/></pubsub>")).ShouldBeResult()!;
        var fields = config.Child("configure", PepModule.OwnerNamespace)!.Child("x", DiscoModule.DataFormsNamespace)!.Elements()
            .ToDictionary(f => f.GetAttribute("var")!, f => f.ChildText("value", DiscoModule.DataFormsNamespace));
        fields["pubsub#access_model"].Should().Be("whitelist");
        fields["pubsub#max_items"].Should().Be("max");
        fields["pubsub#persist_items"].Should().Be("1");
        fields["pubsub#send_last_published_item"].Should().Be("never");

        // The URL bookmark has no XEP-0402 form, and stays in the private list.
        var list = (await legacy.GetAsync(null, GetPrivate)).ShouldBeResult()!.Child("storage", Legacy)!;
        list.Child("url", Legacy)!.GetAttribute("url").Should().Be("https://example.org/");
        list.Elements().Where(e => e.Name == "conference").Select(e => e.GetAttribute("jid")).Should().Equal(Play, Orchard);
    }

    [Fact]
    public async Task PrivateSet_RoomLeftOut_RetractionNotifiedAndUnchangedRoomNotRepublished()
    {
        await using var server = await StartAsync("alice");
        await using var legacy = await server.LoginAsync("alice", resource: "legacy");
        (await legacy.SetAsync(null, PrivateSet($"<conference jid='{Play}' name='The Play'/><conference jid='{Orchard}'/>"))).ShouldBeResult();
        await using var modern = await server.LoginWithCapsAsync("alice", "modern", Native + "+notify");

        (await legacy.SetAsync(null, PrivateSet($"<conference jid='{Play}' name='The Play'/>"))).ShouldBeResult();

        var evt = EventItems(await modern.ReceivedAsync(Event(server.Bare("alice"), Native)));
        evt.Child("retract", PepModule.EventNamespace)!.GetAttribute("id").Should().Be(Orchard);
        // The room that did not change is not published again.
        await modern.ExpectNothingAsync(Quiet, Event(server.Bare("alice"), Native));
        var items = (await modern.GetAsync(null, Items(Native))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(items).Should().Equal(Play);

        // An empty storage element clears every room.
        (await legacy.SetAsync(null, "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>")).ShouldBeResult();
        EventItems(await modern.WaitForAsync(Event(server.Bare("alice"), Native))).Child("retract", PepModule.EventNamespace)!.GetAttribute("id").Should().Be(Play);
        var cleared = (await legacy.GetAsync(null, GetPrivate)).ShouldBeResult()!;
        cleared.FirstElement()!.ToString().Should().Be("<storage xmlns='storage:bookmarks'/>");
    }

    [Fact]
    public async Task NativePublishAndRetract_PrivateGet_FollowsThem()
    {
        await using var server = await StartAsync("alice");
        await using var legacy = await server.LoginAsync("alice", resource: "legacy");
        await using var modern = await server.LoginAsync("alice", resource: "modern");

        (await modern.SetAsync(null, Publish(Native, Play,
            "<conference xmlns='urn:xmpp:bookmarks:1' name='The Play' autojoin='1'><nick>JC</nick><extensions><state xmlns='urn:example:client'/></extensions></conference>",
            ("pubsub#persist_items", "true"), ("pubsub#max_items", "max"), ("pubsub#send_last_published_item", "never"), ("pubsub#access_model", "whitelist")))).ShouldBeResult();

        var list = (await legacy.GetAsync(null, GetPrivate)).ShouldBeResult()!;
        list.FirstElement()!.ToString().Should().Be(
            $"<storage xmlns='storage:bookmarks'><conference jid='{Play}' name='The Play' autojoin='true'><nick>JC</nick><state xmlns='urn:example:client'/></conference></storage>");

        (await modern.SetAsync(null, $"<pubsub xmlns='{PepModule.Namespace}'><retract node='{Native}'><item id='{Play}'/></retract></pubsub>")).ShouldBeResult();

        var empty = (await legacy.GetAsync(null, GetPrivate)).ShouldBeResult()!;
        empty.FirstElement()!.ToString().Should().Be("<storage xmlns='storage:bookmarks'/>");
    }

    [Fact]
    public async Task PrivateSet_LegacyPepSubscriber_GetsWholeListOnLegacyNode()
    {
        await using var server = await StartAsync("alice");
        await using var legacy = await server.LoginAsync("alice", resource: "legacy");
        await using var pepClient = await server.LoginWithCapsAsync("alice", "pep", Legacy + "+notify");

        (await legacy.SetAsync(null, PrivateSet($"<conference jid='{Play}' autojoin='true'/>"))).ShouldBeResult();

        // XEP-0411 §3: the subscribers of the 'storage:bookmarks' node are told of a private-storage change.
        var evt = EventItems(await pepClient.ReceivedAsync(Event(server.Bare("alice"), Legacy)));
        var item = evt.Child("item", PepModule.EventNamespace)!;
        item.GetAttribute("id").Should().Be("current");
        item.FirstElement()!.ToString().Should().Be($"<storage xmlns='storage:bookmarks'><conference jid='{Play}' autojoin='true'/></storage>");
    }

    [Fact]
    public async Task LegacyPepPublish_PrivateGetAndNativeItems_ShowIt()
    {
        await using var server = await StartAsync("alice");
        await using var legacy = await server.LoginAsync("alice", resource: "legacy");
        await using var modern = await server.LoginWithCapsAsync("alice", "modern", Native + "+notify");

        (await legacy.SetAsync(null, Publish(Legacy, "current",
            $"<storage xmlns='storage:bookmarks'><conference jid='{Orchard}' name='The Orchard'><nick>R</nick></conference></storage>",
            ("pubsub#persist_items", "true"), ("pubsub#access_model", "whitelist")))).ShouldBeResult();

        // XEP-0402 §5.3.2: the list becomes items, notified as such.
        var evt = EventItems(await modern.ReceivedAsync(Event(server.Bare("alice"), Native)));
        evt.Child("item", PepModule.EventNamespace)!.GetAttribute("id").Should().Be(Orchard);
        var list = (await legacy.GetAsync(null, GetPrivate)).ShouldBeResult()!;
        list.FirstElement()!.ToString().Should().Be($"<storage xmlns='storage:bookmarks'><conference jid='{Orchard}' name='The Orchard'><nick>R</nick></conference></storage>");
    }

    [Fact]
    public async Task PrivateSet_ConferenceWithoutJid_BadRequestAndNothingChanged()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        (await alice.SetAsync(null, PrivateSet($"<conference jid='{Play}'/>"))).ShouldBeResult();

        var reply = await alice.SetAsync(null, PrivateSet($"<conference jid='{Orchard}'/><conference name='no room'/>"));

        reply.ShouldBeError(StanzaErrorCondition.BadRequest);
        var items = (await alice.GetAsync(null, Items(Native))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(items).Should().Equal(Play);
    }

    [Fact]
    public async Task PrivateGet_BookmarksStoredBeforeConversion_MovedToPep()
    {
        await using var server = await StartAsync("alice");
        // What private storage held before the conversion ran: the list as stored text.
        (await server.Storage.UserData.TrySetAsync(server.Bare("alice"), "private", "{storage:bookmarks}storage",
            $"<storage xmlns='storage:bookmarks'><conference jid='{Play}' name='Old'/><conference name='no room'/><url name='Site' url='https://example.org/'/></storage>", 100)).Should().BeTrue();
        await using var alice = await server.LoginAsync("alice");
        (await alice.GetAsync(null, Items(Native))).ShouldBeError(StanzaErrorCondition.ItemNotFound);

        var list = (await alice.GetAsync(null, GetPrivate)).ShouldBeResult()!;

        // A room without a JID cannot become an item; the get still answers, without it.
        list.FirstElement()!.ToString().Should().Be(
            $"<storage xmlns='storage:bookmarks'><conference jid='{Play}' name='Old'/><url name='Site' url='https://example.org/'/></storage>");
        var items = (await alice.GetAsync(null, Items(Native))).ShouldBeResult()!.Child("items", PepModule.Namespace)!;
        ItemIds(items).Should().Equal(Play);
        // Only the part without an XEP-0402 form is left as stored text.
        (await server.Storage.UserData.GetAsync(server.Bare("alice"), "private", "{storage:bookmarks}storage"))
            .Should().Be("<storage xmlns='storage:bookmarks'><url name='Site' url='https://example.org/'/></storage>");
    }

    [Fact]
    public async Task Disco_Account_AnnouncesConversion()
    {
        await using var server = await StartAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var info = (await alice.GetAsync(null, $"<query xmlns='{DiscoModule.InfoNamespace}'/>")).ShouldBeResult()!;

        var features = info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).ToList();
        features.Should().Contain(["urn:xmpp:bookmarks-conversion:0", "urn:xmpp:bookmarks:1#compat", "urn:xmpp:bookmarks:1#compat-pep"]);
    }

    [Fact]
    public async Task BookmarksDisabled_PrivateSet_StaysStoredTextAndNoPepNode()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules = ["bookmarks"]);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        (await alice.SetAsync(null, PrivateSet($"<conference jid='{Play}' autojoin='true' name='X'/>"))).ShouldBeResult();

        (await alice.GetAsync(null, Items(Native))).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await alice.GetAsync(null, GetPrivate)).ShouldBeResult()!.FirstElement()!.ToString()
            .Should().Be($"<storage xmlns='storage:bookmarks'><conference jid='{Play}' autojoin='true' name='X'/></storage>");
    }

    private static string PrivateSet(string content) => $"<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>{content}</storage></query>";

    private static Element EventItems(Element message) => message.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!;

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
