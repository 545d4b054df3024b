using Microsoft.Extensions.DependencyInjection;
using Rookery.Cluster.Links;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Rolling upgrade (issue #4, docs/dev/cluster.md "Links"): a peer that announced no optional link features in its
/// SYNC_BEGIN, as a node built before component and MUC frames does, is never sent COMPONENT_UP/DOWN/STANZA (60–62) or
/// MUC_STANZA (70), on which it would end the link; the link stays up, and a room it holds is answered as unreachable.
/// </summary>
[Trait("Category", "Slow")]
public sealed class LinkCapabilityTests
{
    private const string Room = "hall@conference." + TestCluster.Domain;

    [PostgresFact]
    public async Task PeerWithoutCapabilities_GetsNoComponentOrMucFrames_LinkStaysUp_ItsRoomAnsweredAsUnreachable()
    {
        var domain = ComponentCluster.Domain("echo");
        await using var env = new ComponentCluster(new() { [domain] = ("random", 0) });
        await env.Cluster.CreateUsersAsync("alice");
        var a = await env.StartNodeAsync("node-a");
        await env.RunAsync(async () =>
        {
            // One instance before the old peer links (it would travel in the link's sync), one after (a live announcement).
            await env.StartComponentAsync(domain, "inst1", a);
            await ComponentCluster.WaitForInstancesAsync(a, domain, 1);
            await using var old = await OldNodePeer.StartAsync(env.Cluster, "old-node");
            var link = await old.Linked.WaitAsync(TestCluster.StartTimeout);
            await Eventually.TrueAsync(() => old.Count(FrameType.SyncEnd) > 0, "node-a's sync ends", TestCluster.Wait);
            await env.StartComponentAsync(domain, "inst2", a);
            await ComponentCluster.WaitForInstancesAsync(a, domain, 2);

            // A room whose claim the old node holds: a client on node-a joining it gets an error, not a MUC_STANZA frame
            // on the link.
            var storage = (await env.Cluster.ServicesAsync()).GetRequiredService<IStorage>();
            (await storage.MucCluster.ClaimRoomAsync(Room, old.NodeId)).Should().Be(old.NodeId);
            var alice = await env.Cluster.LoginAsync(a, "alice", "pc");
            await alice.SendAsync($"<presence to='{Room}/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Room}/alice" && e.GetAttribute("type") == "error", TestCluster.Wait);

            // The link lives on: node-a keeps pinging over it (every heartbeat round) and reports it up.
            var pings = old.Count(FrameType.Ping);
            await Eventually.TrueAsync(() => old.Count(FrameType.Ping) >= pings + 3, "node-a keeps pinging the old peer", TestCluster.Wait);
            link.IsClosed.Should().BeFalse();
            var nodeA = (await env.Cluster.Registry.ListAsync(TimeSpan.Zero)).Single(n => n.Name == "node-a");
            nodeA.Links.Should().Contain("old-node=up");
            old.Received.Should().NotContain([FrameType.ComponentUp, FrameType.ComponentDown, FrameType.ComponentStanza, FrameType.MucStanza]);
            a.Process.StandardOutput.Should().NotContain("Cluster link to old-node is down");
        });
    }

}
