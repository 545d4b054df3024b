using Microsoft.Extensions.DependencyInjection;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A room rebuilt on a node right after that node started (issue #7, docs/dev/muc.md "Failover"): the rebuild waits
/// until every live peer's sessions have arrived, so an occupant on a peer not heard from yet is not taken for gone
/// (the room's stanzas to it would bounce, and an error from an occupant removes it).
/// </summary>
[Trait("Category", "Slow")]
public sealed class MucStartupSyncTests
{
    private const string Room = "hall@conference." + TestCluster.Domain;
    private const string Client = "jabber:client";

    // A node id with no registry row: a holder that is long gone, whose rooms the first node to need them takes over.
    private const long GoneNode = 999_999_999;

    [PostgresFact]
    public async Task RoomRebuiltRightAfterStart_WaitsForPeerSync_KeepsThePeersOccupants()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("bob", "cat");
        // node-b (older, so it dials node-c) reaches node-c only through this proxy: node-c advertises an address it does
        // not listen on, and node-b's seed for node-c is the proxy, cut until the test lets the link come up.
        var cLinkPort = RookeryProcess.FreePort();
        await using var linkToC = new TcpProxy("127.0.0.1", cLinkPort);
        linkToC.Cut();
        var b = await cluster.StartNodeAsync("node-b", cluster: new Dictionary<string, object?> { ["SeedNodes"] = new[] { $"node-c=127.0.0.1:{linkToC.Port}" } });
        await cluster.RunAsync(async () =>
        {
            var bob = await cluster.LoginAsync(b, "bob", "r");
            var bId = (await cluster.Registry.ListAsync(TimeSpan.Zero)).Single(n => n.Name == "node-b").NodeId;

            // A stored room, claimed by a gone node, with bob (on node-b) as its occupant.
            var storage = (await cluster.ServicesAsync()).GetRequiredService<IStorage>();
            await storage.Muc.SaveRoomAsync(new StoredMucRoom(Room, "{\"persistent\":true}", null, null, [new MucAffiliationRecord($"bob@{TestCluster.Domain}", "owner")]));
            (await storage.MucCluster.ClaimRoomAsync(Room, GoneNode)).Should().Be(GoneNode);
            await storage.MucCluster.SetOccupantAsync(new MucOccupantRecord(Room, "bob", $"bob@{TestCluster.Domain}/r", bId, "moderator", "owner", "<presence xmlns='jabber:client'/>"));

            // node-c starts and at once gets a join and a message for the room: it takes the room over and rebuilds it
            // while node-b's sessions have not reached it.
            var c = await cluster.StartNodeAsync("node-c", clusterPort: cLinkPort, cluster: new Dictionary<string, object?> { ["AdvertisedAddress"] = "127.0.0.2" });
            var cat = await cluster.LoginAsync(c, "cat", "r");
            await cat.SendAsync($"<presence to='{Room}/cat'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            await cat.SendAsync($"<message type='groupchat' to='{Room}' id='m1'><body>while starting</body></message>");

            // The link comes up once node-c either says its rebuild waits for node-b, or has already handled the message
            // (what it did before waiting was a fix): either way after node-c had its chance to get it wrong.
            var echo = cat.WaitForAsync(e => IsGroupchat(e, "cat", "while starting"), TestCluster.Wait);
            var deadline = DateTime.UtcNow + TestCluster.Wait;
            while (!echo.IsCompleted && !c.Process.StandardOutput.Contains("waits for the session sync of node-b", StringComparison.Ordinal))
            {
                DateTime.UtcNow.Should().BeBefore(deadline, "node-c neither waited for node-b nor handled the message");
                await Task.Delay(50);
            }

            linkToC.Restore();
            await echo;

            // bob, on the peer node-c had not heard from, stayed in the room and got the message; and the next one.
            await bob.WaitForAsync(e => IsGroupchat(e, "cat", "while starting"), TestCluster.Wait);
            await cat.SendAsync($"<message type='groupchat' to='{Room}' id='m2'><body>after the sync</body></message>");
            await bob.WaitForAsync(e => IsGroupchat(e, "cat", "after the sync"), TestCluster.Wait);
            bob.Skipped.Should().NotContain(e => e.Name == "presence" && e.GetAttribute("from") == $"{Room}/bob" && e.GetAttribute("type") == "unavailable");
        });
    }

    private static bool IsGroupchat(Protocol.Xml.Element e, string nick, string body) =>
        e.Name == "message" && e.GetAttribute("type") == "groupchat" && e.GetAttribute("from") == $"{Room}/{nick}" && e.ChildText("body", Client) == body;
}
