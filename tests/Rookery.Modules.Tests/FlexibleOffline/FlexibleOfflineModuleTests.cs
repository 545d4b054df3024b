using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rookery.Modules.Disco;
using Rookery.Modules.FlexibleOffline;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Im;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Tests.FlexibleOffline;

public sealed class FlexibleOfflineModuleTests : SqliteTestBase
{
    private const string Alice = "alice@example.org";
    private const string Offline = FlexibleOfflineModule.Namespace;
    private readonly SessionTable _sessions = new();
    private readonly FakeSession _alice = new(Jid.Parse(Alice + "/phone"));

    [Fact]
    public void Configure_AnnouncesFeatureOnHostAndAddsAccountNode()
    {
        var harness = Create();

        harness.Features.Should().Equal(Offline);
        harness.AccountDiscoNodes.Keys.Should().Equal(Offline);
        harness.DiscoNodes.Should().BeEmpty();
    }

    [Fact]
    public async Task NodeInfo_Self_IdentityFeatureAndNumberOfMessagesAndMarksSession()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        await StoreAsync("bob@example.org/a", "two");

        var query = await NodeAsync(harness, DiscoModule.InfoNamespace, _alice.Jid);

        query.ToString().Should().Be(
            $"<query xmlns='http://jabber.org/protocol/disco#info' node='{Offline}'><identity category='automation' type='message-list'/>" +
            $"<feature var='{Offline}'/><x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>{Offline}</value></field>" +
            "<field var='number_of_messages'><value>2</value></field></x></query>");
        _alice.FlexibleOffline.Should().BeTrue("XEP-0013 §2.2: no flood after asking for the offline node");
    }

    [Fact]
    public async Task NodeItems_Self_HeadersWithAccountJidStableNodeAndSenderFullJid()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        await StoreAsync("carol@example.org/b", "two");
        var ids = (await Storage.Offline.PeekAsync(Alice)).Select(m => m.Id).ToArray();

        var query = await NodeAsync(harness, DiscoModule.ItemsNamespace, _alice.Jid);

        var items = query.Elements().ToList();
        items.Select(i => i.GetAttribute("jid")).Should().Equal(Alice, Alice);
        items.Select(i => i.GetAttribute("name")).Should().Equal("bob@example.org/a", "carol@example.org/b");
        items.Select(i => i.GetAttribute("node")).Should().Equal(ids.Select(id => id.ToString("D19", System.Globalization.CultureInfo.InvariantCulture)));
        (await NodeAsync(harness, DiscoModule.ItemsNamespace, _alice.Jid)).ToString().Should().Be(query.ToString(), "nodes are stable");
        _alice.FlexibleOffline.Should().BeTrue();
    }

    [Fact]
    public async Task NodeItems_NoMessages_EmptyQuery()
    {
        var harness = Create();

        var query = await NodeAsync(harness, DiscoModule.ItemsNamespace, _alice.Jid);

        query.Elements().Should().BeEmpty();
    }

    [Fact]
    public async Task Node_AnotherUser_ForbiddenAndNotMarked()
    {
        var harness = Create();
        var mallory = new FakeSession(Jid.Parse("mallory@example.org/x"));

        var act = () => NodeAsync(harness, DiscoModule.ItemsNamespace, mallory.Jid, mallory);

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.Forbidden);
        mallory.FlexibleOffline.Should().BeFalse();
    }

    [Fact]
    public async Task View_Nodes_SendsThoseWithTheirNodeAndDelayAndKeepsThemStored()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        await StoreAsync("bob@example.org/a", "two");
        await StoreAsync("bob@example.org/a", "three");
        var stored = await Storage.Offline.PeekAsync(Alice);
        var second = Node(stored[1].Id);

        var result = await harness.GetAsync(_alice.Jid.ToString(), Alice, $"<offline xmlns='{Offline}'><item action='view' node='{second}'/></offline>", _alice);

        result.Should().BeNull();
        var sent = _alice.Sent.Should().ContainSingle().Subject;
        sent.ChildText("body", Ns.Client).Should().Be("two");
        sent.Child("offline", Offline)!.ToString().Should().Be($"<offline xmlns='{Offline}'><item node='{second}'/></offline>");
        sent.Child("delay", Ns.Delay).Should().NotBeNull();
        (await Storage.Offline.CountAsync(Alice)).Should().Be(3, "§2.5: viewing does not remove");
        _alice.FlexibleOffline.Should().BeTrue();
    }

    [Fact]
    public async Task View_UnknownNode_ItemNotFoundAndNothingSent()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        var known = Node((await Storage.Offline.PeekAsync(Alice))[0].Id);

        foreach (var node in new[] { Node(999_999), "2003-02-27T22:52:37.225Z", "1" })
        {
            var act = () => harness.GetAsync(_alice.Jid.ToString(), Alice,
                $"<offline xmlns='{Offline}'><item action='view' node='{known}'/><item action='view' node='{node}'/></offline>", _alice);

            (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.ItemNotFound);
        }

        _alice.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task Remove_Nodes_RemovesOnlyThose()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        await StoreAsync("bob@example.org/a", "two");
        var stored = await Storage.Offline.PeekAsync(Alice);

        await harness.SetAsync(_alice.Jid.ToString(), Alice, $"<offline xmlns='{Offline}'><item action='remove' node='{Node(stored[0].Id)}'/></offline>", _alice);

        (await Storage.Offline.PeekAsync(Alice)).Should().Equal(stored[1]);
        _alice.Sent.Should().BeEmpty();
    }

    [Fact]
    public async Task Remove_OneUnknownNode_ItemNotFoundAndNothingRemoved()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        var stored = await Storage.Offline.PeekAsync(Alice);

        var act = () => harness.SetAsync(_alice.Jid.ToString(), Alice,
            $"<offline xmlns='{Offline}'><item action='remove' node='{Node(stored[0].Id)}'/><item action='remove' node='{Node(stored[0].Id + 1)}'/></offline>", _alice);

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.ItemNotFound);
        (await Storage.Offline.CountAsync(Alice)).Should().Be(1);
    }

    [Fact]
    public async Task Fetch_SendsAllOldestFirstAndKeepsThem()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        await StoreAsync("carol@example.org/b", "two");
        var stored = await Storage.Offline.PeekAsync(Alice);

        await harness.GetAsync(_alice.Jid.ToString(), Alice, $"<offline xmlns='{Offline}'><fetch/></offline>", _alice);

        _alice.Sent.Select(m => m.ChildText("body", Ns.Client)).Should().Equal("one", "two");
        _alice.Sent.Select(m => m.Child("offline", Offline)!.Child("item", Offline)!.GetAttribute("node")).Should().Equal(stored.Select(m => Node(m.Id)));
        (await Storage.Offline.CountAsync(Alice)).Should().Be(2);
        _alice.FlexibleOffline.Should().BeTrue("§2.6: fetching counts as choosing flexible retrieval");
    }

    [Fact]
    public async Task Fetch_InASet_SendsAllAsForSlixmpp()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");

        await harness.SetAsync(_alice.Jid.ToString(), Alice, $"<offline xmlns='{Offline}'><fetch/></offline>", _alice);

        _alice.Sent.Select(m => m.ChildText("body", Ns.Client)).Should().Equal("one");
        (await Storage.Offline.CountAsync(Alice)).Should().Be(1);
    }

    [Fact]
    public async Task Purge_RemovesAll()
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        await StoreAsync("bob@example.org/a", "two");
        await Storage.Offline.TryStoreAsync("bob@example.org", new OfflineMessage("<message xmlns='jabber:client'/>", DateTimeOffset.UtcNow), 10);

        await harness.SetAsync(_alice.Jid.ToString(), Alice, $"<offline xmlns='{Offline}'><purge/></offline>", _alice);

        (await Storage.Offline.CountAsync(Alice)).Should().Be(0);
        (await Storage.Offline.CountAsync("bob@example.org")).Should().Be(1);
    }

    [Theory]
    [InlineData("fetch")]
    [InlineData("purge")]
    public async Task Command_AnotherUser_Forbidden(string command)
    {
        var harness = Create();
        await StoreAsync("bob@example.org/a", "one");
        var mallory = new FakeSession(Jid.Parse("mallory@example.org/x"));
        var type = command == "fetch" ? IqType.Get : IqType.Set;

        var act = () => harness.RequestAsync(type, mallory.Jid.ToString(), Alice, $"<offline xmlns='{Offline}'><{command}/></offline>", mallory);

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.Forbidden);
        mallory.Sent.Should().BeEmpty();
        (await Storage.Offline.CountAsync(Alice)).Should().Be(1);
    }

    [Theory]
    [InlineData(true, "<offline xmlns='http://jabber.org/protocol/offline'/>")]
    [InlineData(true, "<offline xmlns='http://jabber.org/protocol/offline'><purge/></offline>")]
    [InlineData(true, "<offline xmlns='http://jabber.org/protocol/offline'><item action='remove' node='0000000000000000001'/></offline>")]
    [InlineData(true, "<offline xmlns='http://jabber.org/protocol/offline'><fetch/><item action='view' node='0000000000000000001'/></offline>")]
    [InlineData(true, "<offline xmlns='http://jabber.org/protocol/offline'><item action='view'/></offline>")]
    [InlineData(false, "<offline xmlns='http://jabber.org/protocol/offline'/>")]
    [InlineData(false, "<offline xmlns='http://jabber.org/protocol/offline'><fetch/><purge/></offline>")]
    [InlineData(false, "<offline xmlns='http://jabber.org/protocol/offline'><item action='view' node='0000000000000000001'/></offline>")]
    public async Task Command_Malformed_BadRequest(bool get, string payload)
    {
        var harness = Create();

        var act = () => harness.RequestAsync(get ? IqType.Get : IqType.Set, _alice.Jid.ToString(), Alice, payload, _alice);

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.BadRequest);
    }

    private ModuleHarness Create()
    {
        var offline = new OfflineStorage(Storage.Offline, Options.Create(new ServerOptions()), TimeProvider.System, NullLogger<OfflineStorage>.Instance);
        return ModuleHarness.For(new FlexibleOfflineModule(Storage.Offline, offline, _sessions, NullLogger<FlexibleOfflineModule>.Instance));
    }

    private Task<bool> StoreAsync(string from, string body) =>
        Storage.Offline.TryStoreAsync(Alice, new OfflineMessage(
            $"<message xmlns='jabber:client' from='{from}' to='{Alice}' type='chat'><body>{body}</body></message>", DateTimeOffset.UtcNow), 100);

    private static string Node(long id) => id.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Calls the module's account node handler the way the disco module does for a request naming the node.</summary>
    private async Task<Element> NodeAsync(ModuleHarness harness, string ns, Jid from, FakeSession? session = null)
    {
        var query = new Element("query", ns).SetAttribute("node", Offline);
        var stanza = new Element("iq", Ns.Client).SetAttribute("type", "get").SetAttribute("from", from.ToString()).SetAttribute("to", Alice);
        stanza.Add(new Element("query", ns).SetAttribute("node", Offline));
        var iq = new IqContext(stanza, stanza.FirstElement()!, from, Jid.Parse(Alice), IqType.Get, session ?? _alice, CancellationToken.None);
        await harness.AccountDiscoNodes[Offline](iq, query);
        return query;
    }
}
