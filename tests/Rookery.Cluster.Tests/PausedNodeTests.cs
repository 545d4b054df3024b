using System.Diagnostics;
using Npgsql;
using Rookery.Cluster.Membership;
using Rookery.TestKit;
using Xunit.Abstractions;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Issue #4, the failure detector without false positives: a node that is alive but does not run for a while (SIGSTOP,
/// as a node starved of CPU or paused by its host) or whose database answers late is not declared dead, and keeps its
/// sessions, as long as that lasts less than <c>Cluster:FailureTimeout</c>; a node paused longer is declared dead by
/// the survivors, its sessions purged (messages for them go to offline storage), and it registers again when it runs.
/// Real <c>rookery</c> processes; the bench run of 2026-12-07 01:06 saw a starved node purged while alive.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PausedNodeTests(ITestOutputHelper output)
{
    /// <summary>Longer than the other cluster tests' timeout, so a pause well under it still leaves a loaded machine room.</summary>
    private static readonly TimeSpan FailureTimeout = TimeSpan.FromSeconds(8);

    private static readonly TimeSpan ShortPause = TimeSpan.FromSeconds(4);

    private static readonly Dictionary<string, object?> Settings = new()
    {
        ["FailureTimeout"] = FailureTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
    };

    [PostgresFact]
    public async Task NodePausedShorterThanFailureTimeout_IsNotDeclaredDead_AndKeepsSessions()
    {
        await using var cluster = new TestCluster();
        var (a, b) = await StartPairAsync(cluster);
        await cluster.RunAsync(async () =>
        {
            var (before, alice, bob) = await LoginPairAsync(cluster, a, b);
            await ExchangeAsync(alice, bob, "warm");

            a.Process.Pause();
            try
            {
                // The stimulus, not a wait for an event: node-a runs nothing for this long.
                await Task.Delay(ShortPause);
            }
            finally
            {
                a.Process.Resume();
            }

            await ExpectStillAliveAsync(cluster, a, b, before);
            await ExchangeAsync(alice, bob, "after-pause");
        });
    }

    [PostgresFact]
    public async Task DatabaseStalledShorterThanFailureTimeout_NodeKeepsItsLock_AndIsNotDeclaredDead()
    {
        // A node whose database answers late must not drop its lock sooner than the failure timeout: once Npgsql broke
        // the lock connection after one keepalive interval (the 1 s heartbeat), the lock went free, and the peer purged
        // the node. The lock now lives on the heartbeat thread's connection, whose commands wait the failure timeout.
        await using var cluster = new TestCluster();
        var upstream = new NpgsqlConnectionStringBuilder(cluster.ConnectionString);
        await using var proxy = new TcpProxy(upstream.Host!, upstream.Port);
        var viaProxy = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port }.ConnectionString;
        var (a, b) = await StartPairAsync(cluster, viaProxy);
        await cluster.RunAsync(async () =>
        {
            var (before, alice, bob) = await LoginPairAsync(cluster, a, b);

            proxy.Stall();
            try
            {
                await Task.Delay(ShortPause);
            }
            finally
            {
                proxy.Release();
            }

            await ExpectStillAliveAsync(cluster, a, b, before);
            a.Process.StandardOutput.Should().NotContain("could not be written", "the heartbeat thread's connection waits out the stall");
            a.Process.StandardOutput.Should().NotContain("The cluster listen connection was lost");
            await ExchangeAsync(alice, bob, "after-stall");
        });
    }

    [PostgresFact]
    public async Task NodePausedLongerThanFailureTimeout_IsDeclaredDead_ItsSessionsPurged_ThenRegistersAgain()
    {
        await using var cluster = new TestCluster();
        var (a, b) = await StartPairAsync(cluster);
        await cluster.RunAsync(async () =>
        {
            var (before, alice, bob) = await LoginPairAsync(cluster, a, b);
            await ExchangeAsync(alice, bob, "warm");

            var clock = Stopwatch.StartNew();
            a.Process.Pause();
            try
            {
                await WaitForOutputAsync(b, "Declared peer node-a", FailureTimeout + TestCluster.Wait);
                output.WriteLine($"node-a declared dead {clock.ElapsedMilliseconds} ms into its pause (failure timeout {FailureTimeout.TotalMilliseconds:0} ms)");
                // Measured from the pause; the node's last heartbeat came up to one interval before it (a CI run saw 7.986 s).
                clock.Elapsed.Should().BeGreaterThan(FailureTimeout - TestCluster.HeartbeatInterval, "no node is declared dead before its heartbeat is the failure timeout old");
                b.Process.StandardOutput.Should().Contain("its heartbeat is too old");

                // Alice's session was purged with its node: a message for her now goes to offline storage.
                await bob.SendAsync($"<message to='alice@{TestCluster.Domain}' type='chat' id='while-dead'><body>are you there?</body></message>");
                var deadline = DateTime.UtcNow + TestCluster.Wait;
                while (await cluster.OfflineCountAsync("alice") == 0)
                {
                    DateTime.UtcNow.Should().BeBefore(deadline, "the message for a purged session is stored offline");
                    await Task.Delay(100);
                }
            }
            finally
            {
                a.Process.Resume();
            }

            // Running again, node-a finds its row dead, closes its clients and registers as a new incarnation.
            await WaitForOutputAsync(a, $"This node (node {before}) was declared dead by the cluster; registering again", TestCluster.Wait);
            await cluster.WaitForLinksAsync("node-a", "node-b");
            (await NodeIdAsync(cluster, "node-a")).Should().NotBe(before);
            var carol = await cluster.LoginAsync(a, "alice", "desk");
            await ExchangeAsync(carol, bob, "rejoined");
        });
    }

    /// <summary>alice and bob, and node-a (optionally on its own database connection string) and node-b with the short failure timeout.</summary>
    private static async Task<(TestNode A, TestNode B)> StartPairAsync(TestCluster cluster, string? connectionStringOfA = null)
    {
        await cluster.CreateUsersAsync("alice", "bob");
        var a = await cluster.StartNodeAsync("node-a", cluster: Settings, connectionString: connectionStringOfA);
        var b = await cluster.StartNodeAsync("node-b", cluster: Settings);
        return (a, b);
    }

    /// <summary>Once the nodes are linked: node-a's id before anything happens, alice on node-a and bob on node-b.</summary>
    private static async Task<(long NodeIdOfA, RawXmppClient Alice, RawXmppClient Bob)> LoginPairAsync(TestCluster cluster, TestNode a, TestNode b)
    {
        await cluster.WaitForLinksAsync("node-a", "node-b");
        var before = await NodeIdAsync(cluster, "node-a");
        var alice = await cluster.LoginAsync(a, "alice", "laptop");
        var bob = await cluster.LoginAsync(b, "bob", "phone");
        return (before, alice, bob);
    }

    /// <summary>
    /// After the pause: node-a's heartbeat moves again under the same node id, and by then neither node logged a death
    /// (a peer that would purge node-a does so on its first round that finds the row too old, before it moves again).
    /// </summary>
    private static async Task ExpectStillAliveAsync(TestCluster cluster, TestNode a, TestNode b, long before)
    {
        var deadline = DateTime.UtcNow + TestCluster.Wait;
        while (true)
        {
            var row = (await cluster.Registry.ListAsync(TimeSpan.FromHours(1))).Single(n => n.NodeId == before);
            row.State.Should().Be(NodeStates.Alive, "a node paused for less than the failure timeout is not declared dead");
            if (row.HeartbeatAge < TimeSpan.FromSeconds(1))
            {
                break;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "node-a heartbeats again once it runs");
            await Task.Delay(100);
        }

        // Settled: node-b's detector restarts its timeout on the new heartbeat value, and a free lock alone no longer
        // counts while the row is younger than the timeout, so a death not logged by now does not come later.
        b.Process.StandardOutput.Should().NotContain("Declared peer node-a");
        a.Process.StandardOutput.Should().NotContain("was declared dead by the cluster");
        (await NodeIdAsync(cluster, "node-a")).Should().Be(before);
    }

    private static async Task ExchangeAsync(RawXmppClient onA, RawXmppClient onB, string id)
    {
        await onB.SendAsync($"<message to='{onA.Jid}' type='chat' id='{id}-ba'><body>hello a</body></message>");
        await onA.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == id + "-ba", TestCluster.Wait);
        await onA.SendAsync($"<message to='{onB.Jid}' type='chat' id='{id}-ab'><body>hello b</body></message>");
        await onB.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == id + "-ab", TestCluster.Wait);
    }

    private static async Task<long> NodeIdAsync(TestCluster cluster, string name) =>
        (await cluster.Registry.ListAsync(TimeSpan.Zero)).Single(n => n.Name == name && n.IsLive).NodeId;

    private static async Task WaitForOutputAsync(TestNode node, string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
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
