using Microsoft.Extensions.DependencyInjection;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Moderated message retraction (XEP-0425) on a cluster: the moderator and a participant sit on another node than the
/// room's host; the retraction reaches occupants on both nodes, and the room re-created on the survivor after kill -9 of
/// its host gives a newcomer a history without the retracted message (it is rebuilt from the shared archive).
/// </summary>
[Trait("Category", "Slow")]
public sealed class MucModerationAcrossNodesTests
{
    private const string Service = "conference." + TestCluster.Domain;
    private const string Room = "moderated@" + Service;
    private const string Client = "jabber:client";
    private const string ModerateNs = "urn:xmpp:message-moderate:1";
    private const string RetractNs = "urn:xmpp:message-retract:1";

    [PostgresFact]
    public async Task ModeratorOnAnotherNode_Retracts_OccupantsOnBothNodesTold_HistoryAfterFailoverLacksIt()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("carol", "alice", "bob", "dan");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var (a, b) = (nodes[0], nodes[1]);
        await cluster.RunAsync(async () =>
        {
            // carol's first join claims the room for node a; alice (an admin, so a moderator) and bob are on node b.
            var carol = await cluster.LoginAsync(a, "carol", "r");
            await JoinAsync(carol, "carol");
            var configured = await carol.IqAsync(
                $"<iq type='set' id='cfg' to='{Room}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                + "<field var='muc#roomconfig_persistentroom'><value>1</value></field><field var='muc#roomconfig_enablelogging'><value>1</value></field>"
                + "</x></query></iq>", "cfg");
            configured.GetAttribute("type").Should().Be("result");
            var admin = await carol.IqAsync(
                $"<iq type='set' id='adm' to='{Room}'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='admin' jid='alice@{TestCluster.Domain}'/></query></iq>", "adm");
            admin.GetAttribute("type").Should().Be("result");
            var alice = await cluster.LoginAsync(b, "alice", "r");
            await JoinAsync(alice, "alice");
            var bob = await cluster.LoginAsync(b, "bob", "r");
            await JoinAsync(bob, "bob");

            await bob.SendAsync($"<message type='groupchat' to='{Room}' id='bad'><body>free magic potions</body></message>");
            var seen = await alice.WaitForAsync(e => e.Name == "message" && e.ChildText("body", Client) == "free magic potions", TestCluster.Wait);
            var stanzaId = seen.Child("stanza-id", "urn:xmpp:sid:0")!.GetAttribute("id")!;
            await bob.SendAsync($"<message type='groupchat' to='{Room}' id='ok'><body>kept</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.ChildText("body", Client) == "kept", TestCluster.Wait);

            await alice.SendAsync($"<iq type='set' id='mod' to='{Room}'><moderate id='{stanzaId}' xmlns='{ModerateNs}'><retract xmlns='{RetractNs}'/></moderate></iq>");
            (await alice.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "mod", TestCluster.Wait)).GetAttribute("type").Should().Be("result");
            foreach (var occupant in new[] { alice, bob, carol })
            {
                var announcement = occupant.Skipped.FirstOrDefault(IsRetraction) ?? await occupant.WaitForAsync(IsRetraction, TestCluster.Wait);
                announcement.GetAttribute("from").Should().Be(Room);
                announcement.Child("retract", RetractNs)!.GetAttribute("id").Should().Be(stanzaId);
            }

            var archived = await (await cluster.ServicesAsync()).GetRequiredService<IMessageArchiveStore>()
                .QueryAsync(Room, new ArchiveQuery { Ids = [stanzaId] });
            archived!.Items.Single().StanzaXml.Should().NotContain("potions");

            // The host dies; node b re-creates the room from storage, its history from the archive.
            await a.Process.KillAsync();
            var dan = await cluster.LoginAsync(b, "dan", "r");
            await dan.SendAsync($"<presence to='{Room}/dan'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            var history = new List<string?>();
            while (true)
            {
                var e = await dan.NextAsync(TestCluster.FailureTimeout + TestCluster.Wait);
                if (e.Name == "presence" && e.GetAttribute("type") == "error")
                {
                    throw new InvalidOperationException("dan could not join: " + e);
                }

                if (e.Name != "message")
                {
                    continue;
                }

                if (e.Child("subject", Client) is not null)
                {
                    break;
                }

                history.Add(e.ChildText("body", Client));
            }

            history.Should().Equal("kept");
        });
    }

    private static bool IsRetraction(Element e) => e.Name == "message" && e.Child("retract", RetractNs) is not null;

    private static async Task JoinAsync(RawXmppClient client, string nick)
    {
        await client.SendAsync($"<presence to='{Room}/{nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        var self = await client.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Room}/{nick}", TestCluster.Wait);
        self.GetAttribute("type").Should().BeNull(self.ToString());
    }
}
