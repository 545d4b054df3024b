using Rookery.Cluster.Membership;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Operating a cluster of real nodes: link authentication refuses a node with the wrong secret, <c>rookery cluster
/// drain</c> moves clients to a live node with <c>see-other-host</c> and the node leaves, SIGTERM does the same, and
/// <c>rookery cluster status</c> shows nodes, states, sessions and links.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ClusterOperationsTests
{
    [PostgresFact]
    public async Task NodeWithWrongSecret_LinkRefusedAndLogged_SecretNeverLogged()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "mallory");
        await cluster.StartNodesAsync("node-a", "node-b");
        const string wrong = "not-the-cluster-secret-at-all";
        var intruder = await cluster.StartNodeAsync("intruder", secret: wrong);
        await cluster.RunAsync(async () =>
        {
            // The intruder registered later (larger id), so the others dial it; it cannot verify their proof, and
            // they see their proof answered by a closed link.
            var deadline = DateTime.UtcNow + TestCluster.Wait;
            while (!(intruder.Process.StandardOutput.Contains("wrong cluster secret", StringComparison.Ordinal) &&
                     cluster.Nodes[0].Process.StandardOutput.Contains("Refused a cluster link with intruder", StringComparison.Ordinal)) &&
                   DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            intruder.Process.StandardOutput.Should().MatchRegex("Refused a cluster link with node-a .*wrong cluster secret");
            cluster.Nodes[0].Process.StandardOutput.Should().Contain("Refused a cluster link with intruder");

            // No session crosses to or from the intruder: a message to its user is stored offline, not forwarded.
            var alice = await cluster.LoginAsync(cluster.Nodes[0], "alice", "a");
            var mallory = await cluster.LoginAsync(intruder, "mallory", "m");
            await alice.SendAsync($"<message to='mallory@{TestCluster.Domain}' type='chat' id='x'><body>secret stuff</body></message>");
            await mallory.ExpectNothingAsync(TimeSpan.FromSeconds(2), e => e.Name == "message");
            var nodes = await cluster.Registry.ListAsync(TimeSpan.Zero);
            nodes.Single(n => n.Name == "node-a").Links.Should().Contain("intruder=down").And.Contain("node-b=up");
            foreach (var node in cluster.Nodes)
            {
                node.Process.StandardOutput.Should().NotContain(TestCluster.Secret).And.NotContain(wrong);
            }
        });
    }

    [PostgresFact]
    public async Task Drain_ClientsSentToALiveNode_NodeLeaves_StatusShowsIt()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var (a, b) = (nodes[0], nodes[1]);
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(a, "alice", "laptop");
            var bob = await cluster.LoginAsync(b, "bob", "phone");
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"alice@{TestCluster.Domain}/laptop", TestCluster.Wait);

            var status = await RookeryProcess.RunAsync(Path.GetDirectoryName(a.ConfigPath)!, ["cluster", "status", "--config", a.ConfigPath]);
            status.ExitCode.Should().Be(0, status.StandardError);
            status.StandardOutput.Should().Contain("2 live node(s), 2 session(s)");
            status.StandardOutput.Should().MatchRegex(@"node-a\s+\d+\s+alive\s+127\.0\.0\.1:\d+\s+127\.0\.0\.1:" + a.ClientPort + @"\s+1\s.*node-b=up");
            status.StandardOutput.Should().MatchRegex(@"node-b\s+\d+\s+alive\s+.*\s+1\s.*node-a=up");

            var drain = await RookeryProcess.RunAsync(Path.GetDirectoryName(a.ConfigPath)!, ["cluster", "drain", "node-a", "--config", a.ConfigPath]);

            drain.ExitCode.Should().Be(0, drain.StandardOutput + drain.StandardError);
            drain.StandardOutput.Should().Contain("node-a left the cluster");
            // RFC 6120 §4.9.3.19: the client is told where to go, as host:port of a live node.
            var error = await alice.WaitForAsync(e => e.Name == "error" && e.Namespace == Ns.Streams, TestCluster.Wait);
            error.Child("see-other-host", Ns.StreamErrors)!.Text.Should().Be($"127.0.0.1:{b.ClientPort}");
            (await a.Process.WaitForExitAsync(TestCluster.Wait)).Should().Be(0);
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"alice@{TestCluster.Domain}/laptop" && e.GetAttribute("type") == "unavailable", TestCluster.Wait);

            // The client follows the redirect and is served by node b.
            var moved = await cluster.LoginAsync(b, "alice", "laptop");
            await bob.SendAsync($"<message to='alice@{TestCluster.Domain}' type='chat' id='hi'><body>welcome</body></message>");
            await moved.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "hi", TestCluster.Wait);

            var after = await RookeryProcess.RunAsync(Path.GetDirectoryName(b.ConfigPath)!, ["cluster", "status", "--config", b.ConfigPath]);
            after.StandardOutput.Should().Contain("1 live node(s)");
            after.StandardOutput.Should().MatchRegex(@"node-a\s+\d+\s+left\s");
            (await cluster.Registry.ListAsync(TimeSpan.FromHours(1))).Single(n => n.Name == "node-a").State.Should().Be(NodeStates.Left);

            var unknown = await RookeryProcess.RunAsync(Path.GetDirectoryName(b.ConfigPath)!, ["cluster", "drain", "node-z", "--config", b.ConfigPath]);
            unknown.ExitCode.Should().Be(1);
            unknown.StandardError.Should().Contain("no live node named 'node-z'");
        });
    }

    [PostgresFact]
    public async Task SigTerm_InClusterMode_RedirectsClientsAndLeaves()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(nodes[1], "alice", "laptop");

            nodes[1].Process.Terminate();

            (await alice.ExpectStreamErrorAsync(TestCluster.Wait)).Should().Be(StreamErrorCondition.SeeOtherHost);
            (await nodes[1].Process.WaitForExitAsync(TestCluster.Wait)).Should().Be(0);
            (await cluster.Registry.ListAsync(TimeSpan.FromHours(1))).Single(n => n.Name == "node-b").State.Should().Be(NodeStates.Left);
            // The survivor drops the leaver without declaring it dead.
            nodes[0].Process.StandardOutput.Should().NotContain("Declared peer node-b");
        });
    }
}
