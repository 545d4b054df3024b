using System.Text;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Issue #4, nothing accepted is lost or misrouted under overload: a peer that falls behind acknowledging forwarded
/// stanzas slows their senders down (their client streams stop reading) instead of reaching its unacknowledged limit,
/// past which stanzas for users who are online were stored offline (117 of 1,088,019 in an overloaded cross-node bench
/// run). Real <c>rookery</c> processes; the peer falls behind by being stopped (SIGSTOP) for a moment.
/// </summary>
[Trait("Category", "Slow")]
public sealed class LinkBackpressureTests
{
    private const int Messages = 600;

    // The smallest limit the options allow: senders are paused from 10 unacknowledged stanzas on, refused from 100.
    private static readonly Dictionary<string, object?> Settings = new()
    {
        ["MaxLinkQueue"] = 100,
        ["FailureTimeout"] = "00:00:08",
    };

    [PostgresFact]
    public async Task PeerFallsBehind_FloodFromTheOtherNode_WaitsInTheSendersSocket_AllDeliveredOnline_NoneStoredOffline()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        var a = await cluster.StartNodeAsync("node-a", cluster: Settings);
        var b = await cluster.StartNodeAsync("node-b", cluster: Settings);
        await cluster.RunAsync(async () =>
        {
            await cluster.WaitForLinksAsync("node-a", "node-b");
            var alice = await cluster.LoginAsync(a, "alice", "laptop");
            var bob = await cluster.LoginAsync(b, "bob", "phone");

            b.Process.Pause();
            try
            {
                // Six times the limit while node-b acknowledges nothing: without backpressure, node-a forwarded the first
                // 100 and stored the other 500 offline although bob was online.
                var batch = new StringBuilder();
                for (var i = 0; i < Messages; i++)
                {
                    batch.Append($"<message to='{bob.Jid}' id='m{i}' type='chat'><body>{i}</body></message>");
                }

                await alice.SendAsync(batch.ToString());
                // The stimulus, not a wait for an event: node-b runs nothing for this long (under the 5 s flood pause
                // and the failure timeout).
                await Task.Delay(TimeSpan.FromSeconds(1.5));
                (await cluster.OfflineCountAsync("bob")).Should().Be(0, "a stanza for an online user is not stored offline while its sender can be slowed down");
            }
            finally
            {
                b.Process.Resume();
            }

            var received = new List<string>();
            while (received.Count < Messages)
            {
                var message = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id")?.StartsWith('m') == true, TestCluster.Wait);
                received.Add(message.GetAttribute("id")!);
            }

            received.Should().Equal(Enumerable.Range(0, Messages).Select(i => $"m{i}"), "every message reaches bob online, in order");
            (await cluster.OfflineCountAsync("bob")).Should().Be(0);
        });
    }
}
