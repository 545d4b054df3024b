using Rookery.Integration.Tests.Im;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>
/// Persistent rooms over a restart of the node (XEP-0045 §10.1.3), and logged rooms (XEP-0313 on the room JID) whose
/// history comes back from the archive.
/// </summary>
public sealed class MucPersistenceTests
{
    [Fact]
    public async Task PersistentRoom_ReloadedAfterRestart_WithConfigAffiliationsSubjectAndNicks()
    {
        var data = Path.Combine(Path.GetTempPath(), "rookery-muc-" + Guid.NewGuid().ToString("N"));
        // The first node is stopped, not disposed, before the second starts on the same data folder (disposing removes it).
        await using var first = await TestServer.StartAsync(o => o.DataDirectory = data);
        await first.CreateUserAsync("alice");
        await first.CreateUserAsync("bob");
        await first.CreateUserAsync("mallory");
        var room = first.Room("kept");
        var alice = await first.LoginAsync("alice");
        var bob = await first.LoginAsync("bob");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_persistentroom", "1"), ("muc#roomconfig_roomname", "Kept room"));
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='outcast' jid='mallory@{first.Domain}'><reason>Spam</reason></item></query>")).ShouldBeResult();
        (await bob.SetAsync(room,
            $"<query xmlns='jabber:iq:register'><x xmlns='{DataNs}' type='submit'><field var='muc#register_roomnick'><value>Bobby</value></field></x></query>")).ShouldBeResult();
        await alice.SendAsync($"<message to='{room}' type='groupchat'><subject>Still here</subject></message>");
        await alice.WaitForAsync(e => IsSubject(e) && e.ChildText("subject", Ns.Client) == "Still here");
        (await first.Storage.Muc.GetRoomAsync(room)).Should().NotBeNull();
        await alice.DisposeAsync();
        await bob.DisposeAsync();
        await first.StopAsync();

        await using var second = await TestServer.StartAsync(o => o.DataDirectory = data);
        await using var bob2 = await second.LoginAsync("bob");
        await using var mallory = await second.LoginAsync("mallory");
        await using var alice2 = await second.LoginAsync("alice");

        // Listed again, unlocked, with its name.
        var items = (await bob2.GetAsync($"conference.{second.Domain}", "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        items.Elements().Select(i => i.GetAttribute("name")).Should().Equal("Kept room");
        var info = (await bob2.GetAsync(room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
        info.Elements().Select(e => e.GetAttribute("var")).Should().Contain("muc_persistent");

        // The ban, the reserved nick, the subject and the owner survived.
        Match.Condition(await mallory.JoinAsync(room, "Mallory")).Should().Be("forbidden");
        Match.Condition(await alice2.JoinAsync(room, "Bobby")).Should().Be("conflict");
        var self = await alice2.JoinAsync(room, "Alice");
        Item(self).GetAttribute("affiliation").Should().Be("owner");
        HasStatus(self, 201).Should().BeFalse();
        var subject = await alice2.WaitForAsync(IsSubject);
        subject.ChildText("subject", Ns.Client).Should().Be("Still here");

        // The room stays when its last occupant leaves.
        await alice2.SendAsync($"<presence to='{room}/Alice' type='unavailable'/>");
        await alice2.WaitForAsync(PresenceFrom($"{room}/Alice", "unavailable"));
        (await bob2.JoinAsync(room, "Bobby")).GetAttribute("type").Should().BeNull();
    }

    [Fact]
    public async Task PersistentRoom_MadeTemporaryOrDestroyed_LeavesStorage()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var temporary = server.Room("brief");
        var destroyed = server.Room("gone");
        await alice.CreateConfiguredRoomAsync(temporary, "Alice", ("muc#roomconfig_persistentroom", "1"));
        await alice.CreateConfiguredRoomAsync(destroyed, "Alice", ("muc#roomconfig_persistentroom", "1"));
        (await server.Storage.Muc.ListRoomsAsync($"conference.{server.Domain}")).Should().Equal(temporary, destroyed);

        (await alice.ConfigureAsync(temporary, ("muc#roomconfig_persistentroom", "0"))).ShouldBeResult();
        (await server.Storage.Muc.GetRoomAsync(temporary)).Should().BeNull();

        await alice.SendAsync($"<iq type='set' id='d' to='{destroyed}'><query xmlns='{OwnerNs}'><destroy/></query></iq>");
        (await alice.WaitForAsync(Match.IqReply("d"))).ShouldBeResult();
        (await server.Storage.Muc.GetRoomAsync(destroyed)).Should().BeNull();
    }

    [Fact]
    public async Task LoggedRoom_MessagesArchivedWithStanzaId_QueriedOnRoomJid()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("logged");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_enablelogging", "1"));
        await bob.JoinAsync(room, "Bob");

        await alice.SendAsync($"<message to='{room}' type='groupchat'><body>on the record</body></message>");
        var got = await bob.WaitForAsync(Groupchat($"{room}/Alice", "on the record"));
        var stanzaId = got.Child("stanza-id", "urn:xmpp:sid:0")!;
        stanzaId.GetAttribute("by").Should().Be(room);

        await bob.SendAsync($"<iq type='set' id='q' to='{room}'><query xmlns='urn:xmpp:mam:2' queryid='rq'/></iq>");
        var (result, fin) = await ExpectBothAsync(bob,
            e => e.Name == "message" && e.Child("result", "urn:xmpp:mam:2") is not null,
            Match.IqReply("q"));
        fin.ShouldBeResult();
        result.GetAttribute("from").Should().Be(room);
        var r = result.Child("result", "urn:xmpp:mam:2")!;
        r.GetAttribute("id").Should().Be(stanzaId.GetAttribute("id"));
        var original = r.Child("forwarded", "urn:xmpp:forward:0")!.Child("message", Ns.Client)!;
        original.GetAttribute("from").Should().Be($"{room}/Alice");
        original.ChildText("body", Ns.Client).Should().Be("on the record");

        // An unlogged room has no archive.
        var plain = server.Room("plain");
        await alice.CreateInstantRoomAsync(plain, "Alice");
        (await alice.SetAsync(plain, "<query xmlns='urn:xmpp:mam:2'/>")).ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task LoggedPersistentRoom_HistoryAfterRestartComesFromTheArchive()
    {
        var data = Path.Combine(Path.GetTempPath(), "rookery-muc-" + Guid.NewGuid().ToString("N"));
        await using var first = await TestServer.StartAsync(o => o.DataDirectory = data);
        await first.CreateUserAsync("alice");
        await first.CreateUserAsync("bob");
        var room = first.Room("chronicle");
        var alice = await first.LoginAsync("alice");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_persistentroom", "1"), ("muc#roomconfig_enablelogging", "1"));
        for (var i = 1; i <= 3; i++)
        {
            await alice.SendAsync($"<message to='{room}' type='groupchat'><body>entry {i}</body></message>");
            await alice.WaitForAsync(Groupchat($"{room}/Alice", $"entry {i}"));
        }

        await alice.DisposeAsync();
        await first.StopAsync();

        await using var second = await TestServer.StartAsync(o => o.DataDirectory = data);
        await using var bob = await second.LoginAsync("bob");
        var self = await bob.JoinAsync(room, "Bob");
        HasStatus(self, 170).Should().BeTrue("the room is logged");
        var history = new List<Element>();
        for (var i = 0; i < 3; i++)
        {
            history.Add(await bob.NextAsync());
        }

        history.Select(h => h.ChildText("body", Ns.Client)).Should().Equal("entry 1", "entry 2", "entry 3");
        history.Should().OnlyContain(h => h.Child("delay", Ns.Delay) != null && h.GetAttribute("from") == $"{room}/Alice");
        IsSubject(await bob.NextAsync()).Should().BeTrue();
    }
}
