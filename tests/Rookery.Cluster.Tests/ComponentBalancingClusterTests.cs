using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// External components across the cluster (issue #5): two real nodes on PostgreSQL and three real
/// <c>rookery component</c> echo processes per domain. Local-first default routing, the four hash criteria (one JID
/// stays on one instance, different JIDs spread over all three, the same from both nodes), fixed buckets that do not
/// move when an instance dies, and a component that fails over to the second node when its node is killed.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ComponentBalancingClusterTests
{
    [PostgresFact]
    public async Task DefaultBalancing_PrefersLocalInstances_ReachesRemoteOnes_AndSurvivesNodeKill()
    {
        var domain = ComponentCluster.Domain("echo");
        await using var env = new ComponentCluster(new() { [domain] = ("random", 0) });
        await env.Cluster.CreateUsersAsync("alice", "bob");
        var a = await env.StartNodeAsync("node-a");
        var b = await env.StartNodeAsync("node-b");
        await env.Cluster.WaitForLinksAsync("node-a", "node-b");
        await env.RunAsync(async () =>
        {
            var alice = await env.Cluster.LoginAsync(a, "alice", "pc", available: false);
            var bob = await env.Cluster.LoginAsync(b, "bob", "pc", available: false);

            // One instance, on node A: node B has none, so bob's stanzas cross the link to it.
            await env.StartComponentAsync(domain, "inst1", a, b);
            await ComponentCluster.WaitForInstancesAsync(a, domain, 1);
            await ComponentCluster.WaitForInstancesAsync(b, domain, 1);
            (await ComponentCluster.EchoAllAsync(alice, Messages(domain, "a1", 5))).Values.Should().OnlyContain(i => i == "inst1");
            (await ComponentCluster.EchoAllAsync(bob, Messages(domain, "b1", 5))).Values.Should().OnlyContain(i => i == "inst1");

            // Two more on node B: each node now uses only its own instances (ejabberd's default, seed 000).
            await env.StartComponentAsync(domain, "inst2", b, a);
            await env.StartComponentAsync(domain, "inst3", b, a);
            await ComponentCluster.WaitForInstancesAsync(a, domain, 3);
            await ComponentCluster.WaitForInstancesAsync(b, domain, 3);
            (await ComponentCluster.EchoAllAsync(alice, Messages(domain, "a2", 20))).Values.Should().OnlyContain(i => i == "inst1");
            var fromB = await ComponentCluster.EchoAllAsync(bob, Messages(domain, "b2", 20));
            fromB.Values.Should().OnlyContain(i => i == "inst2" || i == "inst3");
            fromB.Values.Distinct().Should().HaveCount(2, "random among several local instances");

            // kill -9 of node A: inst1 fails over to node B and serves again; traffic from B never stops.
            await a.Process.KillAsync();
            await ComponentCluster.WaitForOutputAsync(env.ComponentProcess("inst1"), $"connected to 127.0.0.1:{env.ComponentPort(b)}");
            var after = await ComponentCluster.EchoAllAsync(bob, Messages(domain, "b3", 40));
            after.Values.Should().OnlyContain(i => i == "inst1" || i == "inst2" || i == "inst3");
            after.Values.Should().Contain("inst1", "the failed-over instance takes traffic on node B");
        });
    }

    [PostgresFact]
    public async Task HashCriteria_KeepEachJidOnOneInstance_SpreadOverAllThree_SameOnBothNodes()
    {
        var dst = ComponentCluster.Domain("dst");
        var bdst = ComponentCluster.Domain("bdst");
        var src = ComponentCluster.Domain("src");
        var bsrc = ComponentCluster.Domain("bsrc");
        await using var env = new ComponentCluster(new()
        {
            [dst] = ("destination", 0),
            [bdst] = ("bare_destination", 0),
            [src] = ("source", 0),
            [bsrc] = ("bare_source", 0),
        });
        var users = Enumerable.Range(1, 18).Select(i => $"u{i:00}").ToArray();
        await env.Cluster.CreateUsersAsync(users);
        var a = await env.StartNodeAsync("node-a");
        var b = await env.StartNodeAsync("node-b");
        await env.Cluster.WaitForLinksAsync("node-a", "node-b");
        await env.RunAsync(async () =>
        {
            foreach (var domain in new[] { dst, bdst, src, bsrc })
            {
                // Two instances on node A, one on node B.
                await Task.WhenAll(
                    env.StartComponentAsync(domain, "i1", a, b),
                    env.StartComponentAsync(domain, "i2", a, b),
                    env.StartComponentAsync(domain, "i3", b, a));
                await ComponentCluster.WaitForInstancesAsync(a, domain, 3);
                await ComponentCluster.WaitForInstancesAsync(b, domain, 3);
            }

            var onA = new List<RawXmppClient>();
            var onB = new List<RawXmppClient>();
            foreach (var user in users)
            {
                onA.Add(await env.Cluster.LoginAsync(a, user, "a", available: false));
                onB.Add(await env.Cluster.LoginAsync(b, user, "b", available: false));
            }

            // destination: 30 full JIDs, each sent twice from node A and twice from node B.
            var fullKeys = Enumerable.Range(1, 30).Select(k => $"room{k}@{dst}/r{k % 3}").ToList();
            var seen = new Dictionary<string, HashSet<string>>();
            foreach (var (client, tag) in new[] { (onA[0], "a"), (onA[1], "a2"), (onB[0], "b"), (onB[1], "b2") })
            {
                var answers = await ComponentCluster.EchoAllAsync(client, [.. fullKeys.Select((to, k) => (to, $"d-{tag}-{k}"))]);
                Record(seen, fullKeys, answers, $"d-{tag}-");
            }

            AssertOneInstancePerKeyAndSpread(seen, "destination");

            // bare_destination: 30 bare JIDs, each with two different resources, from both nodes.
            var bareKeys = Enumerable.Range(1, 30).Select(k => $"room{k}@{bdst}").ToList();
            seen.Clear();
            foreach (var (client, tag) in new[] { (onA[0], "a"), (onB[0], "b") })
            {
                foreach (var resource in new[] { "x", "y" })
                {
                    var prefix = $"bd-{tag}-{resource}-";
                    var answers = await ComponentCluster.EchoAllAsync(client, [.. bareKeys.Select((to, k) => ($"{to}/{resource}", prefix + k))]);
                    Record(seen, bareKeys, answers, prefix);
                }
            }

            AssertOneInstancePerKeyAndSpread(seen, "bare_destination");

            // source: every full JID (18 users x 2 nodes) sends to three different rooms; each sender stays on one instance.
            seen.Clear();
            foreach (var (client, jid) in users.SelectMany((u, i) => new[] { (onA[i], $"{u}/a"), (onB[i], $"{u}/b") }))
            {
                var answers = await ComponentCluster.EchoAllAsync(client, [.. Enumerable.Range(1, 3).Select(r => ($"room{r}@{src}", $"s-{jid}-{r}"))]);
                seen[jid] = [.. answers.Values];
            }

            AssertOneInstancePerKeyAndSpread(seen, "source");

            // bare_source: one user's resources on node A and node B reach the same instance.
            seen.Clear();
            for (var i = 0; i < users.Length; i++)
            {
                var set = new HashSet<string>();
                foreach (var (client, tag) in new[] { (onA[i], "a"), (onB[i], "b") })
                {
                    var answers = await ComponentCluster.EchoAllAsync(client, [.. Enumerable.Range(1, 2).Select(r => ($"room{r}@{bsrc}", $"bs-{tag}-{i}-{r}"))]);
                    set.UnionWith(answers.Values);
                }

                seen[users[i]] = set;
            }

            AssertOneInstancePerKeyAndSpread(seen, "bare_source");
        });
    }

    [PostgresFact]
    public async Task ComponentNumber_KillingOneInstance_MovesNoOtherBucket_AndItsBucketBounces()
    {
        var domain = ComponentCluster.Domain("rooms");
        await using var env = new ComponentCluster(new() { [domain] = ("bare_destination", 3) });
        await env.Cluster.CreateUsersAsync("alice", "bob");
        var a = await env.StartNodeAsync("node-a");
        var b = await env.StartNodeAsync("node-b");
        await env.Cluster.WaitForLinksAsync("node-a", "node-b");
        await env.RunAsync(async () =>
        {
            var alice = await env.Cluster.LoginAsync(a, "alice", "pc", available: false);
            var bob = await env.Cluster.LoginAsync(b, "bob", "pc", available: false);
            // One after the other, so that each takes the next free bucket as both nodes see it.
            var count = 0;
            foreach (var (name, node, other) in new[] { ("k1", a, b), ("k2", b, a), ("k3", a, b) })
            {
                await env.StartComponentAsync(domain, name, node, other);
                count++;
                await ComponentCluster.WaitForInstancesAsync(a, domain, count);
                await ComponentCluster.WaitForInstancesAsync(b, domain, count);
            }

            var rooms = Enumerable.Range(1, 30).Select(k => $"room{k}@{domain}").ToList();
            var before = await OwnersAsync(alice, bob, rooms, "r1");
            before.Values.Distinct().Should().BeEquivalentTo(["k1", "k2", "k3"], "30 rooms fill all three buckets");

            // kill -9 of k2 (connected to node B): only its bucket is affected, on both nodes.
            await env.ComponentProcess("k2").KillAsync();
            await ComponentCluster.WaitForInstancesAsync(a, domain, 2, up: false);
            await ComponentCluster.WaitForInstancesAsync(b, domain, 2, up: false);
            var after = await OwnersAsync(alice, bob, rooms, "r2");
            foreach (var room in rooms)
            {
                after[room].Should().Be(before[room] == "k2" ? "error:service-unavailable" : before[room], $"{room} was on {before[room]}");
            }

            // A new instance takes the orphaned bucket, and only that one.
            await env.StartComponentAsync(domain, "k4", a, b);
            await ComponentCluster.WaitForInstancesAsync(a, domain, 3);
            await ComponentCluster.WaitForInstancesAsync(b, domain, 3);
            var healed = await OwnersAsync(alice, bob, rooms, "r3");
            foreach (var room in rooms)
            {
                healed[room].Should().Be(before[room] == "k2" ? "k4" : before[room]);
            }
        });
    }

    [PostgresFact]
    public async Task ComponentNumber_WithSpare_KilledOwnersBucketMovesToTheSpareOnBothNodes_OthersStay()
    {
        var domain = ComponentCluster.Domain("spare");
        await using var env = new ComponentCluster(new() { [domain] = ("bare_destination", 2) }, failover: "spare");
        await env.Cluster.CreateUsersAsync("alice", "bob");
        var a = await env.StartNodeAsync("node-a");
        var b = await env.StartNodeAsync("node-b");
        await env.Cluster.WaitForLinksAsync("node-a", "node-b");
        await env.RunAsync(async () =>
        {
            var alice = await env.Cluster.LoginAsync(a, "alice", "pc", available: false);
            var bob = await env.Cluster.LoginAsync(b, "bob", "pc", available: false);
            // Two bucket owners (one per node), then a spare that owns none.
            var count = 0;
            foreach (var (name, node, other) in new[] { ("k1", a, b), ("k2", b, a), ("spare1", a, b) })
            {
                await env.StartComponentAsync(domain, name, node, other);
                count++;
                await ComponentCluster.WaitForInstancesAsync(a, domain, count);
                await ComponentCluster.WaitForInstancesAsync(b, domain, count);
            }

            var rooms = Enumerable.Range(1, 20).Select(k => $"room{k}@{domain}").ToList();
            var before = await OwnersAsync(alice, bob, rooms, "s1");
            before.Values.Distinct().Should().BeEquivalentTo(["k1", "k2"], "the spare owns no bucket while both owners live");

            await env.ComponentProcess("k2").KillAsync();
            await ComponentCluster.WaitForInstancesAsync(a, domain, 2, up: false);
            await ComponentCluster.WaitForInstancesAsync(b, domain, 2, up: false);
            var after = await OwnersAsync(alice, bob, rooms, "s2");
            foreach (var room in rooms)
            {
                after[room].Should().Be(before[room] == "k2" ? "spare1" : before[room], $"{room} was on {before[room]}");
            }
        });
    }

    /// <summary>Sends one message per room from a client on each node; asserts both nodes agree; returns room → answer.</summary>
    private static async Task<Dictionary<string, string>> OwnersAsync(RawXmppClient onA, RawXmppClient onB, List<string> rooms, string round)
    {
        var fromA = await ComponentCluster.EchoAllAsync(onA, [.. rooms.Select((r, k) => (r, $"{round}-a-{k}"))]);
        var fromB = await ComponentCluster.EchoAllAsync(onB, [.. rooms.Select((r, k) => (r, $"{round}-b-{k}"))]);
        var owners = new Dictionary<string, string>();
        for (var k = 0; k < rooms.Count; k++)
        {
            fromB[$"{round}-b-{k}"].Should().Be(fromA[$"{round}-a-{k}"], $"both nodes pick the same instance for {rooms[k]}");
            owners[rooms[k]] = fromA[$"{round}-a-{k}"];
        }

        return owners;
    }

    private static List<(string To, string Id)> Messages(string domain, string prefix, int count) =>
        [.. Enumerable.Range(1, count).Select(i => ($"room{i}@{domain}", $"{prefix}-{i}"))];

    private static void Record(Dictionary<string, HashSet<string>> seen, List<string> keys, Dictionary<string, string> answers, string prefix)
    {
        for (var k = 0; k < keys.Count; k++)
        {
            if (!seen.TryGetValue(keys[k], out var set))
            {
                seen[keys[k]] = set = [];
            }

            set.Add(answers[prefix + k]);
        }
    }

    /// <summary>Every key reached exactly one instance; over all keys, each of the three instances got some (the measured spread).</summary>
    private static void AssertOneInstancePerKeyAndSpread(Dictionary<string, HashSet<string>> seen, string criterion)
    {
        foreach (var (key, instances) in seen)
        {
            instances.Should().ContainSingle($"{criterion}: every stanza of {key} reaches one instance");
        }

        var spread = seen.Values.Select(s => s.Single()).GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        spread.Keys.Should().BeEquivalentTo(["i1", "i2", "i3"], $"{criterion}: different JIDs spread over all three instances (spread: {string.Join(", ", spread.Select(kv => kv.Key + "=" + kv.Value))})");
    }
}
