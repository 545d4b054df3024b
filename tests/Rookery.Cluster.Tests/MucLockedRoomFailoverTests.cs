using Microsoft.Extensions.DependencyInjection;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A reserved room still locked awaiting its owner's configuration (XEP-0045 §10.1.2) when its host is killed: the
/// survivor rebuilds it still locked with its owner in it, so the owner configures it there and others may then enter;
/// nobody can create a second room of that name meanwhile (docs/dev/muc.md, "Locked rooms on failover").
/// </summary>
[Trait("Category", "Slow")]
public sealed class MucLockedRoomFailoverTests
{
    private const string Room = "draft@conference." + TestCluster.Domain;
    private const string UserNs = "http://jabber.org/protocol/muc#user";
    private const string Client = "jabber:client";
    private const string Stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";

    [PostgresFact]
    public async Task KillNine_HostOfLockedRoom_SurvivorKeepsItLocked_OwnerConfiguresIt_OthersThenEnter()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("ann", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var (a, b) = (nodes[0], nodes[1]);
        await cluster.RunAsync(async () =>
        {
            // The room's claim is node-b's, so ann's first join (on node-a) creates the room on node-b.
            var bId = (await cluster.Registry.ListAsync(TimeSpan.Zero)).Single(n => n.Name == "node-b").NodeId;
            var storage = (await cluster.ServicesAsync()).GetRequiredService<IStorage>();
            (await storage.MucCluster.ClaimRoomAsync(Room, bId)).Should().Be(bId);

            var ann = await cluster.LoginAsync(a, "ann", "r");
            var bob = await cluster.LoginAsync(a, "bob", "r");
            await ann.SendAsync($"<presence to='{Room}/ann'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            var created = await ann.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Room}/ann", TestCluster.Wait);
            StatusCodes(created).Should().Contain("201", created.ToString());
            (await JoinAsync(bob, "before")).Should().Be("item-not-found", "the room is locked until ann configures it (§10.1.1)");

            // kill -9 of the host before ann configured the room.
            await b.Process.KillAsync();

            // The survivor rebuilt it still locked: bob's join is refused again, and does not create a new room.
            (await JoinAsync(bob, "after", TestCluster.FailureTimeout + TestCluster.Wait)).Should().Be("item-not-found");

            // ann, who never left, configures it there (instant room, §10.1.3 form submission) ...
            await ann.SendAsync($"<iq type='set' id='cfg' to='{Room}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>");
            var answer = await ann.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "cfg", TestCluster.Wait);
            answer.GetAttribute("type").Should().Be("result", answer.ToString());

            // ... and now bob enters, and sees ann in it.
            await bob.SendAsync($"<presence to='{Room}/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Room}/ann" && e.GetAttribute("type") is null, TestCluster.Wait);
            var self = await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Room}/bob", TestCluster.Wait);
            self.GetAttribute("type").Should().BeNull(self.ToString());
            StatusCodes(self).Should().Contain("110").And.NotContain("201");
        });
    }

    /// <summary>Sends a join as bob under a nick; returns "joined" or the error condition.</summary>
    private static async Task<string> JoinAsync(TestKit.RawXmppClient client, string nick, TimeSpan? timeout = null)
    {
        await client.SendAsync($"<presence to='{Room}/{nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
        var answer = await client.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Room}/{nick}", timeout ?? TestCluster.Wait);
        if (answer.GetAttribute("type") != "error")
        {
            return "joined";
        }

        return answer.Child("error", Client)?.Elements().FirstOrDefault(e => e.Namespace == Stanzas)?.Name ?? answer.ToString();
    }

    private static IEnumerable<string?> StatusCodes(Protocol.Xml.Element presence) =>
        presence.Child("x", UserNs)?.Elements().Where(x => x.Name == "status").Select(s => s.GetAttribute("code")) ?? [];
}
