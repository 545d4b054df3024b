using Npgsql;
using Rookery.Cluster.Membership;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Issue #4: "a node that loses its database connection stops taking logins until it is back, instead of serving a stale
/// view". A real node reaches PostgreSQL through a <see cref="TcpProxy"/> the test cuts: new logins there are refused
/// with a stream error sending them to the live node, the survivor declares it dead, and once the database is back the
/// node registers again (a new incarnation), links up with a full sync, and serves clients that reach the other node.
/// </summary>
[Trait("Category", "Slow")]
public sealed class DatabaseLossTests
{
    [PostgresFact]
    public async Task NodeLosesDatabase_RefusesLogins_ThenRejoinsAsNewIncarnation_AndServes()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob", "carol");
        var upstream = new NpgsqlConnectionStringBuilder(cluster.ConnectionString);
        await using var proxy = new TcpProxy(upstream.Host!, upstream.Port);
        var viaProxy = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port }.ConnectionString;
        var a = await cluster.StartNodeAsync("node-a", connectionString: viaProxy);
        var b = await cluster.StartNodeAsync("node-b");
        await cluster.RunAsync(async () =>
        {
            await cluster.WaitForLinksAsync("node-a", "node-b");
            var before = (await cluster.Registry.ListAsync(TimeSpan.Zero)).Single(n => n.Name == "node-a" && n.State == NodeStates.Alive).NodeId;
            var bob = await cluster.LoginAsync(b, "bob", "phone");

            proxy.Cut();
            await WaitForOutputAsync(a, "The cluster database cannot be reached: logins stop until it is back");
            await WaitForOutputAsync(b, "Declared peer node-a");

            // A new login on the cut-off node: refused at the stream header with see-other-host naming node-b
            // (RFC 6120 §4.9.3.19), never a session built on a stale view.
            await using (var refused = await RawXmppClient.ConnectAsync("127.0.0.1", a.ClientPort, TestCluster.Domain))
            {
                await refused.SendAsync($"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{TestCluster.Domain}' version='1.0'>");
                var error = await refused.WaitForAsync(e => e.Name == "error" && e.Namespace == Ns.Streams, TestCluster.Wait);
                var condition = error.Elements().First(c => c.Namespace == Ns.StreamErrors && c.Name != "text");
                StreamErrors.Parse(condition.Name).Should().Be(StreamErrorCondition.SeeOtherHost);
                condition.Text.Should().Be($"127.0.0.1:{b.ClientPort}");
                error.ChildText("text", Ns.StreamErrors).Should().Contain("lost its cluster database");
                await refused.Closed.WaitAsync(TestCluster.Wait);
            }

            proxy.Restore();
            await WaitForOutputAsync(a, "The cluster database is reachable again");
            await cluster.WaitForLinksAsync("node-a", "node-b");
            var after = (await cluster.Registry.ListAsync(TimeSpan.Zero)).Single(n => n.Name == "node-a" && n.State == NodeStates.Alive).NodeId;
            after.Should().NotBe(before, "a node declared dead comes back as a new incarnation");
            a.Process.StandardOutput.Should().Contain($"This node (node {before}) was declared dead by the cluster; registering again");

            // Serving again, with the other node's sessions synced in full: both directions cross the new link.
            var alice = await cluster.LoginAsync(a, "alice", "laptop");
            await alice.SendAsync($"<message to='bob@{TestCluster.Domain}/phone' type='chat' id='back'><body>I am back</body></message>");
            await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "back", TestCluster.Wait);
            await bob.SendAsync($"<message to='alice@{TestCluster.Domain}/laptop' type='chat' id='welcome'><body>welcome</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "welcome", TestCluster.Wait);
        });
    }

    private static async Task WaitForOutputAsync(TestNode node, string text)
    {
        var deadline = DateTime.UtcNow + TestCluster.Wait;
        while (!node.Process.StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{node.Name} did not log '{text}'");
            }

            await Task.Delay(100);
        }
    }
}
