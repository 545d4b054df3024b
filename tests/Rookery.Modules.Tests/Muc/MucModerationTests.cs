using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Modules.Mam;
using Rookery.Modules.Muc;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Tests.Muc;

/// <summary>
/// Moderated message retraction (XEP-0425) in a logged room over a real SQLite archive: Alice owns the room (moderator),
/// Bob is a participant.
/// </summary>
public sealed class MucModerationTests : SqliteTestBase
{
    private static readonly Jid Service = Jid.Parse("conference.example.org");
    private static readonly Jid Room = Jid.Parse("room@conference.example.org");
    private static readonly Jid Alice = Jid.Parse("alice@example.org/phone");
    private static readonly Jid Bob = Jid.Parse("bob@example.org/laptop");
    private static readonly Jid Carol = Jid.Parse("carol@example.org/desk");

    private readonly StampingMucSink _sink = new();
    private readonly Dictionary<string, string> _occupantIds = [];

    [Fact]
    public async Task Moderate_ByModerator_ArchiveKeepsATombstoneEveryoneIsToldHistoryDropsIt()
    {
        var service = CreateService(logging: true);
        await EnterAsync(service);
        var stanzaId = await SayAsync(service, Bob, "buy potions");

        await SendAsync(service, Alice, Room,
            $"<iq type='set' id='mod1'><moderate id='{stanzaId}' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/><reason>spam</reason></moderate></iq>");

        _sink.To(Alice).Should().ContainSingle(s => s.Stanza.Name == "iq").Which.Stanza.GetAttribute("type").Should().Be("result");
        var aliceOccupantId = OccupantIdOf("Alice");
        foreach (var occupant in new[] { Alice, Bob })
        {
            var announcement = _sink.To(occupant).Should().ContainSingle(s => s.Stanza.Name == "message").Which;
            announcement.From.Should().Be(Room, "only retractions from the room itself are legitimate (§5)");
            announcement.Stanza.GetAttribute("type").Should().Be("groupchat");
            var retract = announcement.Stanza.Child("retract", MucNs.Retract)!;
            retract.GetAttribute("id").Should().Be(stanzaId);
            var moderated = retract.Child("moderated", MucNs.Moderate)!;
            moderated.GetAttribute("by").Should().Be($"{Room}/Alice");
            moderated.Child("occupant-id", MucNs.OccupantId)!.GetAttribute("id").Should().Be(aliceOccupantId);
            retract.ChildText("reason", MucNs.Retract).Should().Be("spam");
            var applyTo = announcement.Stanza.Child("apply-to", MucNs.Fasten)!;
            applyTo.GetAttribute("id").Should().Be(stanzaId);
            applyTo.Child("moderated", MucNs.ModerateLegacy)!.Child("retract", MucNs.RetractLegacy).Should().NotBeNull();
            announcement.Stanza.Child("stanza-id", MucNs.StanzaId).Should().NotBeNull("the announcement is archived for clients catching up over MAM");
        }

        var page = (await Storage.Archive.QueryAsync(Room.ToString(), new ArchiveQuery()))!;
        page.Items.Select(m => m.Id).Should().HaveCount(3, "the message, \"kept\" and the announcement").And.StartWith(stanzaId);
        var tombstone = StoredStanza.Parse(page.Items[0].StanzaXml);
        tombstone.Child("body", Ns.Client).Should().BeNull();
        page.Items[0].StanzaXml.Should().NotContain("potions");
        tombstone.GetAttribute("from").Should().Be($"{Room}/Bob");
        tombstone.Child("occupant-id", MucNs.OccupantId)!.GetAttribute("id").Should().Be(OccupantIdOf("Bob"), "the author's occupant-id stays (§4)");
        var retracted = tombstone.Child("retracted", MucNs.Retract)!;
        retracted.GetAttribute("stamp").Should().NotBeNull();
        retracted.Child("moderated", MucNs.Moderate)!.GetAttribute("by").Should().Be($"{Room}/Alice");
        retracted.ChildText("reason", MucNs.Retract).Should().Be("spam");
        var announced = StoredStanza.Parse(page.Items[2].StanzaXml);
        announced.Child("retract", MucNs.Retract)!.GetAttribute("id").Should().Be(stanzaId);
        page.Items[2].WithResource.Should().BeNull("the room itself sent it");

        _sink.Sent.Clear();
        await SendAsync(service, Carol, Room.WithResource("Carol"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        _sink.To(Carol).Where(s => s.Stanza.Name == "message").Should().NotContain(
            s => ElementWriter.ToXmlString(s.Stanza).Contains("potions", StringComparison.Ordinal), "the join history no longer has the message");
        _sink.To(Carol).Should().Contain(s => s.Stanza.ChildText("body", Ns.Client) == "kept", "other messages stay in the history");
    }

    [Fact]
    public async Task Moderate_LegacyApplyToRequest_RetractsToo()
    {
        var service = CreateService(logging: true);
        await EnterAsync(service);
        var stanzaId = await SayAsync(service, Bob, "buy potions");

        await SendAsync(service, Alice, Room,
            $"<iq type='set' id='mod0'><apply-to id='{stanzaId}' xmlns='urn:xmpp:fasten:0'><moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/><reason>old client</reason></moderate></apply-to></iq>");

        _sink.To(Alice).Single(s => s.Stanza.Name == "iq").Stanza.GetAttribute("type").Should().Be("result");
        var toBob = _sink.To(Bob).Single(s => s.Stanza.Name == "message").Stanza;
        toBob.Child("apply-to", MucNs.Fasten)!.Child("moderated", MucNs.ModerateLegacy)!.ChildText("reason", MucNs.ModerateLegacy).Should().Be("old client");
        toBob.Child("retract", MucNs.Retract)!.GetAttribute("id").Should().Be(stanzaId);
        var page = (await Storage.Archive.QueryAsync(Room.ToString(), new ArchiveQuery { Ids = [stanzaId] }))!;
        page.Items.Single().StanzaXml.Should().NotContain("potions");
    }

    [Fact]
    public async Task Moderate_ByParticipant_ForbiddenAndNothingChanges()
    {
        var service = CreateService(logging: true);
        await EnterAsync(service);
        var stanzaId = await SayAsync(service, Alice, "owner's words");

        await SendAsync(service, Bob, Room,
            $"<iq type='set' id='mod2'><moderate id='{stanzaId}' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>");

        ErrorConditionTo(Bob).Should().Be("forbidden");
        _sink.Sent.Should().NotContain(s => s.Stanza.Name == "message");
        var page = (await Storage.Archive.QueryAsync(Room.ToString(), new ArchiveQuery { Ids = [stanzaId] }))!;
        page.Items.Single().StanzaXml.Should().Contain("owner's words");
    }

    [Fact]
    public async Task Moderate_UnknownStanzaId_ItemNotFound()
    {
        var service = CreateService(logging: true);
        await EnterAsync(service);
        await SayAsync(service, Bob, "something");

        await SendAsync(service, Alice, Room,
            "<iq type='set' id='mod3'><moderate id='no-such-id' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>");

        ErrorConditionTo(Alice).Should().Be("item-not-found");
        _sink.Sent.Should().NotContain(s => s.Stanza.Name == "message");
    }

    [Fact]
    public async Task Moderate_WithoutRetractOrId_FeatureNotImplementedOrBadRequest()
    {
        var service = CreateService(logging: true);
        await EnterAsync(service);
        var stanzaId = await SayAsync(service, Bob, "something");

        await SendAsync(service, Alice, Room, $"<iq type='set' id='m4'><moderate id='{stanzaId}' xmlns='urn:xmpp:message-moderate:1'/></iq>");
        ErrorConditionTo(Alice).Should().Be("feature-not-implemented");
        _sink.Sent.Clear();
        await SendAsync(service, Alice, Room, "<iq type='set' id='m5'><moderate xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>");
        ErrorConditionTo(Alice).Should().Be("bad-request");
    }

    [Fact]
    public async Task Moderate_AlreadyRetracted_SucceedsWithoutAnnouncingAgain()
    {
        var service = CreateService(logging: true);
        await EnterAsync(service);
        var stanzaId = await SayAsync(service, Bob, "buy potions");
        var request = $"<iq type='set' id='m6'><moderate id='{stanzaId}' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>";
        await SendAsync(service, Alice, Room, request);
        _sink.Sent.Clear();

        await SendAsync(service, Alice, Room, request);

        _sink.To(Alice).Single().Stanza.GetAttribute("type").Should().Be("result");
        _sink.Sent.Should().NotContain(s => s.Stanza.Name == "message");
    }

    [Fact]
    public async Task DiscoInfo_LoggedRoomOnly_AdvertisesModeration_UnloggedRoomRefusesIt()
    {
        var logged = CreateService(logging: true);
        await EnterAsync(logged);
        await SendAsync(logged, Bob, Room, "<iq type='get' id='d1'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
        Features(_sink.To(Bob).Single().Stanza).Should().Contain([MucNs.Moderate, MucNs.ModerateLegacy]);

        _sink.Sent.Clear();
        var unlogged = CreateService(logging: false);
        await EnterAsync(unlogged);
        await SendAsync(unlogged, Bob, Room, "<iq type='get' id='d2'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
        Features(_sink.To(Bob).Single().Stanza).Should().NotContain(MucNs.Moderate).And.NotContain(MucNs.ModerateLegacy);
        _sink.Sent.Clear();
        await SendAsync(unlogged, Alice, Room,
            "<iq type='set' id='m7'><moderate id='x' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>");
        ErrorConditionTo(Alice).Should().Be("service-unavailable");
    }

    [Fact]
    public async Task RecreatedRoom_HistoryFromTheArchive_LeavesOutTombstonesAndAnnouncements()
    {
        var first = CreateService(logging: true, store: Storage.Muc);
        await EnterAsync(first, persistent: true);
        var stanzaId = await SayAsync(first, Bob, "buy potions");
        await SendAsync(first, Alice, Room,
            $"<iq type='set' id='m8'><moderate id='{stanzaId}' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>");

        // Another service over the same storage re-creates the room, its history from the archive (a restart, a failover).
        var second = CreateService(logging: true, store: Storage.Muc);
        await second.LoadAsync();
        _sink.Sent.Clear();
        await SendAsync(second, Carol, Room.WithResource("Carol"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");

        var history = _sink.To(Carol).Where(s => s.Stanza.Name == "message" && s.Stanza.Child("subject", Ns.Client) is null).ToList();
        history.Select(s => s.Stanza.ChildText("body", Ns.Client)).Should().Equal("kept");
    }

    private MucService CreateService(bool logging, IMucStore? store = null) =>
        new(Service, new MucOptions { LoggingByDefault = logging, HistoryMessages = 5 }, _sink, store, Storage.Archive, new MamOptions(),
            isAdmin: _ => false, mayCreate: j => j.Domain == "example.org", TimeProvider.System, NullLogger.Instance);

    private async Task EnterAsync(MucService service, bool persistent = false)
    {
        await SendAsync(service, Alice, Room.WithResource("Alice"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        var fields = persistent ? "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_persistentroom'><value>1</value></field>" : string.Empty;
        await SendAsync(service, Alice, Room, $"<iq type='set' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>{fields}</x></query></iq>");
        _sink.To(Alice).Last().Stanza.GetAttribute("type").Should().Be("result");
        await SendAsync(service, Bob, Room.WithResource("Bob"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        foreach (var (stanza, from, _) in _sink.Sent)
        {
            // XEP-0421: each occupant's id is in its presence, the same for every receiver.
            if (stanza.Name == "presence" && from.Resource is { } nick && stanza.Child("occupant-id", MucNs.OccupantId) is { } id)
            {
                _occupantIds[nick] = id.GetAttribute("id")!;
            }
        }

        _sink.Sent.Clear();
    }

    /// <summary>Sends a groupchat message, then a second one ("kept"); returns the first one's stanza-id.</summary>
    private async Task<string> SayAsync(MucService service, Jid from, string body)
    {
        await SendAsync(service, from, Room, $"<message type='groupchat' id='s1'><body>{body}</body></message>");
        var id = _sink.To(Alice).Last().Stanza.Child("stanza-id", MucNs.StanzaId)?.GetAttribute("id");
        await SendAsync(service, from, Room, "<message type='groupchat' id='s2'><body>kept</body></message>");
        _sink.Sent.Clear();
        return id ?? "unlogged";
    }

    private string OccupantIdOf(string nick) => _occupantIds[nick];

    private string? ErrorConditionTo(Jid to)
    {
        var reply = _sink.To(to).Single(s => s.Stanza.Name == "iq").Stanza;
        reply.GetAttribute("type").Should().Be("error");
        return reply.Child("error", Ns.Client)!.Elements().First().Name;
    }

    private static List<string?> Features(Element iq) =>
        [.. iq.Elements().Single().Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var"))];

    private static ValueTask SendAsync(MucService service, Jid from, Jid to, string xml) => StampingMucSink.SendAsync(service, from, to, xml);
}
