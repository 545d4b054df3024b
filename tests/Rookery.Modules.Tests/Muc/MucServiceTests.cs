using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Modules.Mam;
using Rookery.Modules.Muc;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Util;

namespace Rookery.Modules.Tests.Muc;

/// <summary>
/// Room logic without sockets: a <see cref="MucService"/> fed stanzas directly, its output captured by an in-memory
/// sink (the same seam a component connection will use), on a manual clock.
/// </summary>
public sealed class MucServiceTests
{
    private const string UserNs = "http://jabber.org/protocol/muc#user";
    private static readonly Jid Service = Jid.Parse("conference.example.org");
    private static readonly Jid Room = Jid.Parse("room@conference.example.org");
    private static readonly Jid Alice = Jid.Parse("alice@example.org/phone");
    private static readonly Jid Bob = Jid.Parse("bob@example.org/laptop");
    private static readonly Jid Carol = Jid.Parse("carol@example.org/desk");

    private readonly CapturingSink _sink = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private readonly MucService _service;

    public MucServiceTests()
    {
        _service = new MucService(Service, new MucOptions { HistoryMessages = 3 }, _sink, store: null, archive: null, new MamOptions(),
            isAdmin: _ => false, mayCreate: j => j.Domain == "example.org", _time, NullLogger.Instance);
    }

    [Fact]
    public async Task Join_SendsExistingOccupantsFirstThenSelfPresenceThenSubject()
    {
        await CreateInstantRoomAsync();
        _sink.Clear();

        await SendAsync(Bob, Room.WithResource("Bob"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");

        var toBob = _sink.To(Bob);
        toBob.Select(s => (s.Stanza.Name, s.From.Resource)).Should().Equal(("presence", "Alice"), ("presence", "Bob"), ("message", null));
        Codes(toBob[1].Stanza).Should().Equal("110");
        _sink.To(Alice).Should().ContainSingle().Which.From.Should().Be(Room.WithResource("Bob"));
    }

    [Fact]
    public async Task Join_WithBadHistoryRequest_RefusedBeforeEntering()
    {
        await CreateInstantRoomAsync();
        _sink.Clear();

        await SendAsync(Bob, Room.WithResource("Bob"), "<presence><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='many'/></x></presence>");

        var reply = _sink.To(Bob).Should().ContainSingle().Subject.Stanza;
        reply.GetAttribute("type").Should().Be("error");
        StanzaErrors.ConditionOf(reply).Should().Be(StanzaErrorCondition.BadRequest);
        _sink.To(Alice).Should().BeEmpty("Bob never entered");
    }

    [Fact]
    public async Task History_KeepsOnlyTheLastMessagesOfTheConfiguredCount_StampedByTheClock()
    {
        await CreateInstantRoomAsync();
        for (var i = 1; i <= 5; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            await SendAsync(Alice, Room, $"<message type='groupchat'><body>m{i}</body></message>");
        }

        _sink.Clear();
        await SendAsync(Bob, Room.WithResource("Bob"), "<presence><x xmlns='http://jabber.org/protocol/muc'><history seconds='90'/></x></presence>");

        var history = _sink.To(Bob).Where(s => s.Stanza.ChildText("body", Ns.Client) is not null).ToList();
        // Capacity 3 keeps m3..m5; the last 90 seconds (after 12:03:30) hold m4 and m5 only.
        history.Select(h => h.Stanza.ChildText("body", Ns.Client)).Should().Equal("m4", "m5");
        history[0].Stanza.Child("delay", Ns.Delay)!.GetAttribute("stamp").Should().Be("2026-12-06T12:04:00.000Z");
    }

    [Fact]
    public async Task PresenceBroadcast_WithoutVisitors_VisitorsPresenceOnlyToThemselves()
    {
        await CreateInstantRoomAsync(
            "<field var='muc#roomconfig_moderatedroom'><value>1</value></field>" +
            "<field var='muc#roomconfig_presencebroadcast'><value>moderator</value><value>participant</value></field>");
        _sink.Clear();

        await SendAsync(Bob, Room.WithResource("Bob"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");

        _sink.To(Alice).Should().BeEmpty("a visitor's presence is not broadcast");
        var self = _sink.To(Bob).Single(s => s.From == Room.WithResource("Bob")).Stanza;
        self.Child("x", UserNs)!.Child("item", UserNs)!.GetAttribute("role").Should().Be("visitor");
    }

    [Fact]
    public async Task AdminSet_OneBadItem_NothingChanges()
    {
        await CreateInstantRoomAsync();
        await SendAsync(Bob, Room.WithResource("Bob"), "<presence/>");
        _sink.Clear();

        await SendAsync(Alice, Room,
            "<iq type='set' id='a1'><query xmlns='http://jabber.org/protocol/muc#admin'>" +
            "<item affiliation='member' jid='dave@example.org'/><item nick='Nobody' role='none'/></query></iq>");

        StanzaErrors.ConditionOf(_sink.To(Alice).Single().Stanza).Should().Be(StanzaErrorCondition.ItemNotFound);
        _sink.Clear();
        await SendAsync(Alice, Room, "<iq type='get' id='a2'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query></iq>");
        _sink.To(Alice).Single().Stanza.FirstElement()!.Elements().Should().BeEmpty();
    }

    [Fact]
    public async Task OccupantId_StablePerBareJid_DifferentAcrossUsers()
    {
        await CreateInstantRoomAsync();
        await SendAsync(Bob, Room.WithResource("Bob"), "<presence/>");
        var bobId = OccupantId(_sink.To(Bob).Last(s => s.From == Room.WithResource("Bob") && s.Stanza.Name == "presence").Stanza);
        await SendAsync(Bob, Room.WithResource("Bob"), "<presence type='unavailable'/>");
        _sink.Clear();

        await SendAsync(Jid.Parse("bob@example.org/other"), Room.WithResource("Robert"), "<presence/>");

        OccupantId(_sink.To(Jid.Parse("bob@example.org/other")).Last(s => s.Stanza.Name == "presence").Stanza).Should().Be(bobId);
        OccupantId(_sink.To(Alice).Single().Stanza).Should().Be(bobId);
        var aliceId = OccupantId(_sink.To(Jid.Parse("bob@example.org/other")).First(s => s.From.Resource == "Alice").Stanza);
        aliceId.Should().NotBe(bobId);
    }

    [Fact]
    public async Task RoomCreation_RefusedForOtherDomains_NotAllowed()
    {
        await SendAsync(Jid.Parse("eve@evil.example/x"), Room.WithResource("Eve"), "<presence/>");

        StanzaErrors.ConditionOf(_sink.To(Jid.Parse("eve@evil.example/x")).Single().Stanza).Should().Be(StanzaErrorCondition.NotAllowed);
        _service.RoomCount.Should().Be(0);
    }

    [Fact]
    public async Task LastOccupantLeaves_TemporaryRoomRemoved()
    {
        await CreateInstantRoomAsync();
        _service.RoomCount.Should().Be(1);

        await SendAsync(Alice, Room.WithResource("Alice"), "<presence type='unavailable'/>");

        _service.RoomCount.Should().Be(0);
        _sink.Clear();
        await SendAsync(Bob, Room, "<message type='groupchat'><body>anyone?</body></message>");
        StanzaErrors.ConditionOf(_sink.To(Bob).Single().Stanza).Should().Be(StanzaErrorCondition.ItemNotFound);
    }

    private async Task CreateInstantRoomAsync(string fields = "")
    {
        await SendAsync(Alice, Room.WithResource("Alice"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        Codes(_sink.To(Alice).Last().Stanza).Should().Contain("201");
        await SendAsync(Alice, Room, $"<iq type='set' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>{fields}</x></query></iq>");
        _sink.To(Alice).Last().Stanza.GetAttribute("type").Should().Be("result");
    }

    private ValueTask SendAsync(Jid from, Jid to, string xml)
    {
        var stanza = StoredStanza.Parse(xml);
        stanza.SetAttribute("from", from.ToString()).SetAttribute("to", to.ToString());
        return _service.HandleAsync(stanza, from, to);
    }

    private static List<string?> Codes(Element stanza) =>
        [.. stanza.Child("x", UserNs)?.Elements().Where(e => e.Name == "status").Select(e => e.GetAttribute("code")) ?? []];

    private static string? OccupantId(Element stanza) => stanza.Child("occupant-id", "urn:xmpp:occupant-id:0")?.GetAttribute("id");

    private sealed class CapturingSink : IMucStanzaSink
    {
        private readonly List<(Element Stanza, Jid From, Jid To)> _sent = [];

        public ValueTask SendAsync(Element stanza, Jid sender, Jid recipient)
        {
            _sent.Add((stanza, sender, recipient));
            return ValueTask.CompletedTask;
        }

        public List<(Element Stanza, Jid From, Jid To)> To(Jid recipient) => [.. _sent.Where(s => s.To == recipient)];

        public void Clear() => _sent.Clear();
    }
}
