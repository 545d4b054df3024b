using Rookery.Integration.Tests.Im;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>Voice requests in moderated rooms (XEP-0045 §7.13, §8.6), over real sockets.</summary>
public sealed class MucVoiceRequestTests
{
    private const string RequestNs = "http://jabber.org/protocol/muc#request";

    private static string RequestForm(params (string Var, string Value)[] fields) =>
        $"<x xmlns='{DataNs}' type='submit'><field var='FORM_TYPE'><value>{RequestNs}</value></field>"
        + string.Concat(fields.Select(f => $"<field var='{f.Var}'><value>{f.Value}</value></field>")) + "</x>";

    [Fact]
    public async Task VoiceRequest_FormToModerators_ApprovalGrantsVoice()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("carol");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var carol = await server.LoginAsync("carol");
        var room = server.Room("quiet");
        await alice.CreateConfiguredRoomAsync(room, "Alice", ("muc#roomconfig_moderatedroom", "1"));
        Item(await bob.JoinAsync(room, "Bob")).GetAttribute("role").Should().Be("visitor");
        Item(await carol.JoinAsync(room, "Carol")).GetAttribute("role").Should().Be("visitor");

        // §7.13: the visitor asks for voice with a muc#request form.
        await bob.SendAsync($"<message to='{room}' id='ask'>{RequestForm(("muc#role", "participant"))}</message>");

        // §8.6: every moderator gets the approval form naming the requester.
        var request = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("from") == room && e.Child("x", DataNs) is not null);
        var form = request.Child("x", DataNs)!;
        form.GetAttribute("type").Should().Be("form");
        Value(form, "FORM_TYPE").Should().Be(RequestNs);
        Value(form, "muc#role").Should().Be("participant");
        Value(form, "muc#jid").Should().Be(bob.Jid!.ToString());
        Value(form, "muc#roomnick").Should().Be("Bob");
        Value(form, "muc#request_allow").Should().Be("0");

        // A visitor cannot approve; a moderator's approval grants voice, announced to the room.
        await carol.SendAsync($"<message to='{room}' id='fake'>{RequestForm(("muc#roomnick", "Carol"), ("muc#request_allow", "true"))}</message>");
        Match.Condition(await carol.WaitForAsync(Match.Error("message", "fake"))).Should().Be("forbidden");
        await alice.SendAsync($"<message to='{room}' id='ok'>{RequestForm(("muc#role", "participant"), ("muc#jid", bob.Jid.ToString()), ("muc#roomnick", "Bob"), ("muc#request_allow", "true"))}</message>");
        var granted = await bob.WaitForAsync(e => PresenceFrom($"{room}/Bob")(e) && Item(e).GetAttribute("role") == "participant");
        HasStatus(granted, 110).Should().BeTrue();
        await carol.WaitForAsync(e => PresenceFrom($"{room}/Bob")(e) && Item(e).GetAttribute("role") == "participant");

        await bob.SendAsync($"<message to='{room}' type='groupchat' id='talk'><body>Thanks</body></message>");
        await alice.WaitForAsync(Groupchat($"{room}/Bob", "Thanks"));
    }

    [Fact]
    public async Task VoiceRequest_FromParticipant_NotAcceptable()
    {
        await using var server = await TestServer.StartAsync();
        await using var r = await RoomWithOccupants.CreateAsync(server, "open", "alice", "bob");

        await r["bob"].SendAsync($"<message to='{r.Room}' id='ask'>{RequestForm(("muc#role", "participant"))}</message>");

        Match.Condition(await r["bob"].WaitForAsync(Match.Error("message", "ask"))).Should().Be("not-acceptable");
    }

    private static string? Value(Element form, string var) =>
        form.Elements().FirstOrDefault(f => f.Name == "field" && f.GetAttribute("var") == var)?.ChildText("value", DataNs);
}
