using System.Text.Json.Nodes;
using Rookery.Server.Routing;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Replicated s2s routes (issue #4, seed 000): two real <c>rookery</c> cluster nodes of <c>cluster.test</c> federating
/// with a separate in-process Rookery server of <c>remote.test</c>. The node owning the outgoing stream serves the
/// other node's stanzas for the pair in one hop; the remote's stream lands on the other node, which answers its
/// <c>db:verify</c> with the shared key; replies reach users on both nodes; kill -9 of the owner purges its route and
/// the stanza it never acknowledged, and the next ones, go out over a new stream from the survivor.
/// </summary>
[Trait("Category", "Slow")]
public sealed class S2sRoutesClusterTests
{
    private const string Remote = "remote.test";

    [PostgresFact]
    public async Task UsersOnBothNodes_ShareTheOwnersStream_RepliesArrive_KillOfOwnerMovesTheRoute()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        var remotePort = RookeryProcess.FreePort();
        var s2sPortA = RookeryProcess.FreePort();
        var s2sPortB = RookeryProcess.FreePort();
        // The remote reaches cluster.test through node B only: node A owns the outgoing stream, node B answers the
        // remote's db:verify for a key node A generated (one secret derived from Cluster:Secret).
        await using var remote = await StartRemoteAsync(remotePort, $"127.0.0.1:{s2sPortB}");
        await remote.CreateUserAsync("rita");
        var a = await cluster.StartNodeAsync("node-a", configure: json => Federate(json, s2sPortA, remotePort));
        var b = await cluster.StartNodeAsync("node-b", configure: json => Federate(json, s2sPortB, remotePort));
        await cluster.WaitForLinksAsync("node-a", "node-b");
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(a, "alice", "pc");
            var bob = await cluster.LoginAsync(b, "bob", "pc");
            await using var rita = await remote.LoginAsync("rita");

            // Node A opens the stream for (cluster.test, remote.test).
            await alice.SendAsync($"<message to='rita@{Remote}/test' id='a1'><body>from alice</body></message>");
            (await rita.WaitForAsync(e => e.GetAttribute("id") == "a1", TestCluster.Wait)).GetAttribute("from").Should().Be($"alice@{TestCluster.Domain}/pc");
            await WaitForOutputAsync(b, "S2S route cluster.test -> remote.test on node-a: up=True");

            // Node B has no stream of its own: bob's stanza crosses the link to node A and leaves through its stream.
            await bob.SendAsync($"<message to='rita@{Remote}/test' id='b1'><body>from bob</body></message>");
            (await rita.WaitForAsync(e => e.GetAttribute("id") == "b1", TestCluster.Wait)).GetAttribute("from").Should().Be($"bob@{TestCluster.Domain}/pc");
            a.Process.StandardOutput.Should().Contain("S2S cluster.test -> remote.test: verified by dialback");
            b.Process.StandardOutput.Should().NotContain("S2S cluster.test -> remote.test: verified by dialback", "node B used node A's stream");

            // Replies come in on node B (the remote's route) and reach users on both nodes.
            await rita.SendAsync($"<message to='alice@{TestCluster.Domain}/pc' id='r1'><body>hi alice</body></message>");
            await rita.SendAsync($"<message to='bob@{TestCluster.Domain}/pc' id='r2'><body>hi bob</body></message>");
            await alice.WaitForAsync(e => e.GetAttribute("id") == "r1", TestCluster.Wait);
            await bob.WaitForAsync(e => e.GetAttribute("id") == "r2", TestCluster.Wait);

            // kill -9 of the owner: the message sent right away is forwarded to the dead node, never acknowledged, and
            // routed again by node B once node A is declared dead: over node B's own new stream. So is the next one.
            await a.Process.KillAsync();
            await bob.SendAsync($"<message to='rita@{Remote}/test' id='b2'><body>after the kill</body></message>");
            await rita.WaitForAsync(e => e.GetAttribute("id") == "b2", TestCluster.Wait + TestCluster.FailureTimeout);
            await WaitForOutputAsync(b, "S2S routes of node");
            await bob.SendAsync($"<message to='rita@{Remote}/test' id='b3'><body>and again</body></message>");
            (await rita.WaitForAsync(e => e.GetAttribute("id") == "b3", TestCluster.Wait)).GetAttribute("from").Should().Be($"bob@{TestCluster.Domain}/pc");
        });
    }

    private static void Federate(JsonObject json, int s2sPort, int remotePort)
    {
        json["Listeners"]!.AsObject()["Server"] = new JsonObject { ["Address"] = "127.0.0.1", ["Port"] = s2sPort };
        json["S2S"] = new JsonObject
        {
            ["Enabled"] = true,
            ["Routes"] = new JsonObject { [Remote] = $"127.0.0.1:{remotePort}" },
        };
        // Node B's log line about node A's route is how the test sees replication.
        json["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Information" } };
    }

    private static Task<TestServer> StartRemoteAsync(int s2sPort, string clusterRoute) =>
        TestServer.StartFederatingAsync(Remote, s2sPort, new S2sOptions
        {
            Enabled = true,
            DialbackSecret = "the-remote-servers-own-secret",
            Routes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [TestCluster.Domain] = clusterRoute },
        });

    private static async Task WaitForOutputAsync(TestNode node, string text)
    {
        var deadline = DateTime.UtcNow + TestCluster.Wait;
        while (!node.Process.StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{node.Name} never logged '{text}'");
            }

            await Task.Delay(100);
        }
    }
}
