using Rookery.Integration.Tests.Im;
using Rookery.Integration.Tests.Modules;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Muc.MucTestExtensions;

namespace Rookery.Integration.Tests.Muc;

/// <summary>
/// XEP-0045 behaviour the Smack interop suites (SINT) check and Rookery got wrong before the audit in
/// docs/dev/muc-sint-audit.md: error conditions of role changes, disco to occupant JIDs, and presence after the
/// configuration form changes admin or owner lists.
/// </summary>
public sealed class MucSintAuditTests
{
    [Fact]
    public async Task RoleChange_ByModeratorBelowTarget_NotAllowed()
    {
        await using var server = await TestServer.StartAsync();
        await using var r = await RoomWithOccupants.CreateAsync(server, "ranks", "alice", "bob", "carol");
        var (room, alice, bob) = (r.Room, r["alice"], r["bob"]);
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item affiliation='admin' jid='{r["carol"].Jid!.Bare}'/></query>")).ShouldBeResult();
        (await alice.SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Bob' role='moderator'/></query>")).ShouldBeResult();

        // §8.2, §8.4, §5.1.3: Bob, a moderator without affiliation, may not kick, silence or demote an admin or owner;
        // the service MUST answer not-allowed (SINT mucTestModeratorCannotRevokeVoiceFromOwner,
        // mucTestModeratorCannotBeRevokedFromHigherAffiliation, MultiUserChatModeratorKick...CannotKickAdmin).
        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Carol' role='none'/></query>")).ShouldBeError(StanzaErrorCondition.NotAllowed);
        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Alice' role='visitor'/></query>")).ShouldBeError(StanzaErrorCondition.NotAllowed);
        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Alice' role='participant'/></query>")).ShouldBeError(StanzaErrorCondition.NotAllowed);
        (await bob.SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Carol' role='participant'/></query>")).ShouldBeError(StanzaErrorCondition.NotAllowed);

        // §8.2: an admin may not kick the owner either.
        (await r["carol"].SetAsync(room, $"<query xmlns='{AdminNs}'><item nick='Alice' role='none'/></query>")).ShouldBeError(StanzaErrorCondition.NotAllowed);
    }

    [Fact]
    public async Task DiscoToOccupant_FromNonOccupant_BadRequest()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        var room = server.Room("private");
        await alice.CreateInstantRoomAsync(room, "Alice");

        // §6.6: MUST return bad-request (SINT mucTestForRejectingDiscoOnRoomOccupantByNonOccupant).
        (await bob.GetAsync($"{room}/Alice", "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        (await bob.GetAsync($"{room}/Alice", "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeError(StanzaErrorCondition.BadRequest);
        // XEP-0410 §3 keeps not-acceptable for a ping.
        (await bob.GetAsync($"{room}/Alice", "<ping xmlns='urn:xmpp:ping'/>")).ShouldBeError(StanzaErrorCondition.NotAcceptable);
    }

    [Fact]
    public async Task ConfigForm_DroppingAnAdminOrOwner_EveryoneGetsUpdatedPresence()
    {
        await using var server = await TestServer.StartAsync();
        await using var r = await RoomWithOccupants.CreateAsync(server, "demote", "alice", "bob", "carol");
        var bobJid = r["bob"].Jid!.Bare.ToString();
        var aliceJid = r["alice"].Jid!.Bare.ToString();

        // Gaining admin through the form changes the role, so this part worked before.
        await SubmitAndSeeAsync(r, RoomList("roomadmins", bobJid), e => Item(e).GetAttribute("affiliation") == "admin");

        // §10.2: "If as a result of a change in the room configuration a room admin loses admin status while in the
        // room, the room MUST send updated presence for that individual to all occupants" (SINT testRoomConfigDropAdmin).
        var demoted = await SubmitAndSeeAsync(r, RoomList("roomadmins"), e => Item(e).GetAttribute("affiliation") != "admin");
        Item(demoted).GetAttribute("role").Should().Be("participant", "the moderator role came with the admin status");

        // The same for owners (SINT testRoomConfigDropOwner).
        await SubmitAndSeeAsync(r, RoomList("roomowners", aliceJid, bobJid), e => Item(e).GetAttribute("affiliation") == "owner");
        await SubmitAndSeeAsync(r, RoomList("roomowners", aliceJid), e => Item(e).GetAttribute("affiliation") is not ("owner" or "admin"));
    }

    /// <summary>
    /// Alice submits <paramref name="query"/>; she (along with the result), Bob and Carol each get Bob's presence
    /// matching <paramref name="bobPresence"/>. Returns the one Carol got.
    /// </summary>
    private static async Task<Element> SubmitAndSeeAsync(RoomWithOccupants r, string query, Func<Element, bool> bobPresence)
    {
        var isBob = (Func<Element, bool>)(e => PresenceFrom(r.Occupant("bob"))(e) && bobPresence(e));
        var id = "cfg-" + Guid.NewGuid().ToString("N");
        await r["alice"].SendAsync($"<iq type='set' id='{id}' to='{r.Room}'>{query}</iq>");
        var (reply, _) = await ExpectBothAsync(r["alice"], Match.IqReply(id), isBob);
        reply.ShouldBeResult();
        await r["bob"].WaitForAsync(isBob);
        return await r["carol"].WaitForAsync(isBob);
    }

    /// <summary>An owner query submitting one jid-multi list field of the configuration form (no value: empty list).</summary>
    private static string RoomList(string field, params string[] jids) =>
        $"<query xmlns='{OwnerNs}'><x xmlns='{DataNs}' type='submit'>"
        + "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
        + $"<field var='muc#roomconfig_{field}'>{string.Concat(jids.Select(j => $"<value>{j}</value>"))}</field></x></query>";
}
