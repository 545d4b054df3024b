using System.Diagnostics;
using Npgsql;
using Rookery.Cluster.Membership;
using Rookery.TestKit;
using Xunit.Abstractions;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Issue #4 follow-up: a node whose thread pool is saturated by its own clients is alive. In a bench run the heartbeat,
/// async code on the pool, waited behind the clients' work items; the peer declared the node dead and purged its
/// sessions. Here the membership under test runs in this test process (an <see cref="OldNodePeer"/> registers like a
/// node), whose pool is flooded with blocking work items for three failure timeouts; the observer is a real
/// <c>rookery</c> process (node-b) with a pool of its own.
/// </summary>
[Collection(ThreadPoolCollection.Name)]
[Trait("Category", "Slow")]
public sealed class SaturatedThreadPoolTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Saturation = TestCluster.FailureTimeout * 3;

    [PostgresFact]
    public async Task MembershipWithSaturatedThreadPool_KeepsHeartbeating_AndIsNotDeclaredDead()
    {
        await using var cluster = new TestCluster();
        var b = await cluster.StartNodeAsync("node-b");
        await using var a = await OldNodePeer.StartAsync(cluster, "node-a");
        await cluster.RunAsync(async () =>
        {
            // Linked: node-b has seen node-a and watches its heartbeat.
            await a.Linked.WaitAsync(TestCluster.Wait);
            var id = a.NodeId;

            var samples = SampleWhileSaturated(cluster, id, out var probeRanAfter);
            probeRanAfter.Should().BeGreaterThanOrEqualTo(Saturation, "the flood kept every pool thread busy (else this test proves nothing)");

            var longestStill = LongestStill(samples);
            output.WriteLine($"{samples.Count} samples, {samples.Select(s => s.Heartbeat).Distinct().Count()} heartbeats, longest without a new one {longestStill.TotalMilliseconds:0} ms");
            longestStill.Should().BeLessThan(TestCluster.FailureTimeout, "the heartbeat does not wait for the thread pool");
            samples.Select(s => s.State).Distinct().Should().ContainSingle().Which.Should().Be(NodeStates.Alive, "no peer declares a node dead while it heartbeats");

            // After the flood the pool catches up: node-a's round finds its row live, nobody logged a death.
            var row = (await cluster.Registry.ListAsync(TimeSpan.FromHours(1))).Single(n => n.NodeId == id);
            row.State.Should().Be(NodeStates.Alive);
            a.NodeId.Should().Be(id, "node-a never had to register again");
            b.Process.StandardOutput.Should().NotContain("Declared peer node-a");
        });
    }

    /// <summary>
    /// Floods the pool with work items that block until the saturation is over, then reads node-a's row every 100 ms on
    /// this thread with synchronous calls (an await here would wait behind the flood too). A probe queued after the
    /// flood tells how long the pool really was saturated.
    /// </summary>
    private static List<Sample> SampleWhileSaturated(TestCluster cluster, long nodeId, out TimeSpan probeRanAfter)
    {
        // Opened before the flood: Npgsql's synchronous open can itself wait on the pool (it timed out once in CI when
        // opened after it), and only the reads below need to run during the saturation.
        var connectionString = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Pooling = false, SearchPath = cluster.Schema }.ConnectionString;
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        var samples = new List<Sample>();
        var clock = Stopwatch.StartNew();
        var probe = TimeSpan.MaxValue;
        // Not disposed: a work item still on its way into Wait or Set must not meet a disposed event, which would throw
        // on a pool thread and end the process.
        var release = new ManualResetEventSlim();
        var probeRan = new ManualResetEventSlim();
        // More than the pool can inject in the window (it adds threads slowly, about two a second, when starved).
        for (var i = 0; i < 1000; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static gate => gate.Wait(), release, preferLocal: false);
        }

        ThreadPool.UnsafeQueueUserWorkItem(_ =>
        {
            probe = clock.Elapsed;
            probeRan.Set();
        }, (object?)null, preferLocal: false);

        try
        {
            using var read = new NpgsqlCommand("SELECT heartbeat_at, state FROM cluster_nodes WHERE node_id = @id", connection);
            read.Parameters.AddWithValue("id", nodeId);
            while (clock.Elapsed < Saturation)
            {
                using (var reader = read.ExecuteReader())
                {
                    reader.Read();
                    samples.Add(new Sample(clock.Elapsed, reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1)));
                }

                Thread.Sleep(100);
            }
        }
        finally
        {
            release.Set();
            probeRan.Wait(TestCluster.Wait);
        }

        probeRanAfter = probe;
        return samples;
    }

    /// <summary>The longest stretch of the samples over which the heartbeat did not move.</summary>
    private static TimeSpan LongestStill(List<Sample> samples)
    {
        var longest = TimeSpan.Zero;
        var since = samples[0];
        foreach (var sample in samples)
        {
            if (sample.Heartbeat != since.Heartbeat)
            {
                since = sample;
            }

            longest = TimeSpan.FromTicks(Math.Max(longest.Ticks, (sample.At - since.At).Ticks));
        }

        return longest;
    }

    private sealed record Sample(TimeSpan At, DateTimeOffset Heartbeat, string State);
}
