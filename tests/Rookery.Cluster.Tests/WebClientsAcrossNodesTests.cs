using System.Text.Json.Nodes;
using System.Xml.Linq;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// A browser-style client (XMPP over WebSocket, RFC 7395) on one node and a TCP client on another: a web session is a
/// cluster session like any other, so stanzas and presence cross the node link both ways, and when the web client
/// drops, the cluster forgets its session and new messages go offline.
/// </summary>
[Trait("Category", "Slow")]
public sealed class WebClientsAcrossNodesTests
{
    private static readonly XNamespace Client = "jabber:client";

    [PostgresFact]
    public async Task WebSocketClientOnOneNode_TalksWithTcpClientOnAnother_AndGoesOfflineWhenDropped()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "bob");
        var httpPort = RookeryProcess.FreePort();
        var a = await cluster.StartNodeAsync("node-a", configure: json =>
            json["Listeners"]!["Http"] = new JsonObject { ["Address"] = "127.0.0.1", ["Port"] = httpPort });
        await cluster.StartNodeAsync("node-b");
        await cluster.WaitForLinksAsync("node-a", "node-b");
        var b = cluster.Nodes[1];
        await cluster.RunAsync(async () =>
        {
            await using var web = await WebSocketXmppClient.ConnectAsync(new Uri($"ws://127.0.0.1:{httpPort}/xmpp-websocket"));
            var aliceJid = await web.LoginAsync(TestCluster.Domain, "alice", TestCluster.Password);
            await web.SendAsync("<presence xmlns='jabber:client'/>");
            var bob = await cluster.LoginAsync(b, "bob", "desk");

            // Presence crosses both ways: bob's node sends his presence to alice's web session, and hers reaches him.
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == aliceJid, TestCluster.Wait);
            await web.WaitForAsync(e => e.Name == Client + "presence" && (string?)e.Attribute("from") == $"bob@{TestCluster.Domain}/desk", TestCluster.Wait);

            await web.SendAsync($"<message xmlns='jabber:client' to='bob@{TestCluster.Domain}' id='w1' type='chat'><body>from the browser</body></message>");
            (await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "w1", TestCluster.Wait)).GetAttribute("from").Should().Be(aliceJid);
            await bob.SendAsync($"<message to='alice@{TestCluster.Domain}' id='t1' type='chat'><body>to the browser</body></message>");
            (await web.WaitForAsync(e => e.Name == Client + "message" && (string?)e.Attribute("id") == "t1", TestCluster.Wait))
                .Attribute("from")!.Value.Should().Be($"bob@{TestCluster.Domain}/desk");

            // The browser tab closes without a word: node b learns that alice is gone (her unavailable presence), and a
            // message bob sends afterwards is stored for her.
            web.Abort();
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == aliceJid && e.GetAttribute("type") == "unavailable", TestCluster.Wait);
            await bob.SendAsync($"<message to='alice@{TestCluster.Domain}' id='t2' type='chat'><body>later</body></message>");
            await Eventually.TrueAsync(async () => await cluster.OfflineCountAsync("alice") == 1, "bob's second message is stored offline for alice", TestCluster.Wait);
        });
    }
}
