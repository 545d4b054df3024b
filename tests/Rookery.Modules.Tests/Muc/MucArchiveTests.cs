using Microsoft.Extensions.Logging.Abstractions;
using Rookery.Modules.Mam;
using Rookery.Modules.Muc;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Tests.Muc;

/// <summary>
/// Groupchat of a logged room (XEP-0313 §5.1.2) over a real SQLite archive: messages go through the node's group-commit
/// writer, and the copies every occupant gets are written from one serialisation, each with its own addresses.
/// </summary>
public sealed class MucArchiveTests : SqliteTestBase
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly Jid Service = Jid.Parse("conference.example.org");
    private static readonly Jid Room = Jid.Parse("room@conference.example.org");
    private static readonly Jid Alice = Jid.Parse("alice@example.org/phone");
    private static readonly Jid Bob = Jid.Parse("bob@example.org/laptop");

    private readonly StampingMucSink _sink = new();

    [Fact]
    public async Task Groupchat_LoggedRoom_ArchivedThroughTheGroupCommitWriterBeforeItIsSent()
    {
        await using var writer = new MamArchiveWriter(Storage.Archive, NullLogger<MamArchiveWriter>.Instance);
        var service = CreateService(writer);
        await EnterAsync(service);

        for (var i = 1; i <= 3; i++)
        {
            await SendAsync(service, Alice, Room, $"<message type='groupchat' id='g{i}'><body>m{i} &amp; more</body></message>").AsTask().WaitAsync(Timeout);
        }

        writer.Written.Should().Be(3, "every room message went through the group-commit writer");
        var page = (await Storage.Archive.QueryAsync(Room.ToString(), new ArchiveQuery { Max = 10 }))!;
        page.Items.Should().HaveCount(3);
        var toBob = _sink.To(Bob).Where(s => s.Stanza.Name == "message" && s.Stanza.Child("body", Ns.Client) is not null).ToList();
        toBob.Select(s => s.Stanza.Child("stanza-id", MucNs.StanzaId)!.GetAttribute("id")).Should().Equal(page.Items.Select(m => m.Id),
            "each copy carries the id it was archived under, and was archived before it was sent");
        page.Items.Select(m => m.WithResource).Should().OnlyContain(r => r == "Alice");
    }

    [Fact]
    public async Task Groupchat_EveryOccupant_GetsTheSameStanzaWithItsOwnAddresses()
    {
        var service = CreateService(writer: null);
        await EnterAsync(service);

        await SendAsync(service, Alice, Room, "<message type='groupchat' id='g1'><body>a &lt; b</body></message>");

        var copies = _sink.Sent.Where(s => s.Stanza.Name == "message" && s.Stanza.Child("body", Ns.Client) is not null).ToList();
        copies.Select(s => s.To).Should().BeEquivalentTo([Alice, Bob]);
        var id = copies[0].Stanza.Child("stanza-id", MucNs.StanzaId)!.GetAttribute("id");
        foreach (var (stanza, _, to) in copies)
        {
            ElementWriter.ToXmlString(stanza).Should().Be(
                $"<message type='groupchat' id='g1' from='{Room}/Alice' to='{to}'><body>a &lt; b</body>"
                + $"<occupant-id xmlns='urn:xmpp:occupant-id:0' id='{stanza.Child("occupant-id", "urn:xmpp:occupant-id:0")!.GetAttribute("id")}'/>"
                + $"<stanza-id xmlns='urn:xmpp:sid:0' id='{id}' by='{Room}'/></message>");
        }
    }

    private MucService CreateService(MamArchiveWriter? writer) =>
        new(Service, new MucOptions { LoggingByDefault = true, HistoryMessages = 5 }, _sink, store: null, Storage.Archive, new MamOptions(),
            isAdmin: _ => false, mayCreate: j => j.Domain == "example.org", TimeProvider.System, NullLogger.Instance, writer);

    private async Task EnterAsync(MucService service)
    {
        await SendAsync(service, Alice, Room.WithResource("Alice"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        await SendAsync(service, Alice, Room, "<iq type='set' id='cfg'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
        _sink.To(Alice).Last().Stanza.GetAttribute("type").Should().Be("result");
        await SendAsync(service, Bob, Room.WithResource("Bob"), "<presence><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        _sink.Sent.Clear();
    }

    private static ValueTask SendAsync(MucService service, Jid from, Jid to, string xml) => StampingMucSink.SendAsync(service, from, to, xml);
}
