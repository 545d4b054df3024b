using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Three real nodes on one PostgreSQL schema: stanzas between clients on different nodes cross in one hop, as if the
/// cluster were one server (messages to bare and full JIDs, presence between contacts, iq to full JIDs, roster pushes).
/// </summary>
[Trait("Category", "Slow")]
public sealed class CrossNodeRoutingTests
{
    [PostgresFact]
    public async Task ThreeNodes_MessagesPresenceIqAndRosterPushes_CrossNodes()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob", "carol");
        await cluster.BefriendAsync("alice", "bob");
        await cluster.BefriendAsync("bob", "carol");
        var (a, b, c) = await StartThreeAsync(cluster);
        await cluster.RunAsync(async () =>
        {

            var alice = await cluster.LoginAsync(a, "alice", "laptop");
            var bob = await cluster.LoginAsync(b, "bob", "phone");
            // Presence between contacts on different nodes: bob's initial presence reaches alice on node a.
            await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"bob@{TestCluster.Domain}/phone" && e.GetAttribute("type") is null, TestCluster.Wait);
            // ... and the probe at bob's login brought alice's presence to bob.
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"alice@{TestCluster.Domain}/laptop", TestCluster.Wait);
            var carol = await cluster.LoginAsync(c, "carol", "desk");
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"carol@{TestCluster.Domain}/desk", TestCluster.Wait);

            // Message to a bare JID on another node: the bare-JID rules pick bob's only resource there.
            await alice.SendAsync($"<message to='bob@{TestCluster.Domain}' type='chat' id='m1'><body>to the bare JID</body></message>");
            var m1 = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m1", TestCluster.Wait);
            m1.GetAttribute("from").Should().Be($"alice@{TestCluster.Domain}/laptop");
            m1.ChildText("body", Ns.Client).Should().Be("to the bare JID");

            // Message to a full JID, the other way.
            await bob.SendAsync($"<message to='alice@{TestCluster.Domain}/laptop' type='chat' id='m2'><body>to the full JID</body></message>");
            (await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m2", TestCluster.Wait))
                .GetAttribute("from").Should().Be($"bob@{TestCluster.Domain}/phone");

            // iq to a full JID on a third node, and its result back.
            await alice.SendAsync($"<iq to='carol@{TestCluster.Domain}/desk' type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>");
            var request = await carol.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "q1", TestCluster.Wait);
            request.GetAttribute("from").Should().Be($"alice@{TestCluster.Domain}/laptop");
            await carol.SendAsync($"<iq to='alice@{TestCluster.Domain}/laptop' type='result' id='q1'><query xmlns='jabber:iq:version'><name>test</name></query></iq>");
            (await alice.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "q1", TestCluster.Wait))
                .GetAttribute("type").Should().Be("result");

            // Bare-JID rules over resources on several nodes: alice gets a second resource with a higher priority on node c.
            var alice2 = await cluster.LoginAsync(c, "alice", "tablet", priority: 5);
            // alice's own resources see each other's presence: once laptop sees tablet, node a knows tablet's priority.
            await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"alice@{TestCluster.Domain}/tablet", TestCluster.Wait);
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"alice@{TestCluster.Domain}/tablet", TestCluster.Wait);
            await bob.SendAsync($"<message to='alice@{TestCluster.Domain}' type='chat' id='m3'><body>highest priority</body></message>");
            await alice2.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m3", TestCluster.Wait);
            await alice.ExpectNothingAsync(TimeSpan.FromSeconds(1), e => e.Name == "message" && e.GetAttribute("id") == "m3");

            // Roster push to an interested resource on another node (RFC 6121 §2.1.6).
            var fetched = await alice2.IqAsync("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>", "r1");
            fetched.GetAttribute("type").Should().Be("result");
            // Once laptop sees tablet's next presence, node a has the interest flag too (it was replicated before it).
            await alice2.SendAsync("<presence><priority>5</priority><status>roster fetched</status></presence>");
            await alice.WaitForAsync(e => e.Name == "presence" && e.ChildText("status", Ns.Client) == "roster fetched", TestCluster.Wait);
            var set = await alice.IqAsync($"<iq type='set' id='r2'><query xmlns='jabber:iq:roster'><item jid='dave@{TestCluster.Domain}' name='Dave'/></query></iq>", "r2");
            set.GetAttribute("type").Should().Be("result");
            var push = await alice2.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("type") == "set" && e.Child("query", "jabber:iq:roster") is not null, TestCluster.Wait);
            push.Child("query", "jabber:iq:roster")!.Child("item", "jabber:iq:roster")!.GetAttribute("jid").Should().Be($"dave@{TestCluster.Domain}");

            cluster.Nodes.Should().OnlyContain(n => !n.Process.HasExited, cluster.Logs());
            foreach (var node in cluster.Nodes)
            {
                node.Process.StandardOutput.Should().NotContain("fail:", "no node logged an error" + cluster.Logs());
            }
        });
    }

    private static async Task<(TestNode, TestNode, TestNode)> StartThreeAsync(TestCluster cluster)
    {
        var nodes = await cluster.StartNodesAsync("node-a", "node-b", "node-c");
        return (nodes[0], nodes[1], nodes[2]);
    }
}
