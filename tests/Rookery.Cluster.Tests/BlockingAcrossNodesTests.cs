using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Blocking (XEP-0191) in a cluster: a block made through one node takes effect at once on every node, for stanzas to
/// the user from a contact on another node and for stanzas from the user's resources on other nodes, although each
/// node caches the lists it has read; the user's resources on the other nodes that read the list get the push.
/// </summary>
[Trait("Category", "Slow")]
public sealed class BlockingAcrossNodesTests
{
    private const string Blocking = "urn:xmpp:blocking";

    [PostgresFact]
    public async Task Block_OnOneNode_EnforcedAtOnceOnTheOthers()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var domain = TestCluster.Domain;
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(nodes[0], "alice", "laptop");
            var phone = await cluster.LoginAsync(nodes[1], "alice", "phone");
            var bob = await cluster.LoginAsync(nodes[1], "bob", "pc");
            await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"bob@{domain}/pc", TestCluster.Wait);

            // Before the block, both ways work, and node b has read (and cached) alice's empty list on the way.
            await bob.SendAsync($"<message to='alice@{domain}/laptop' type='chat' id='before1'><body>hi</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "before1", TestCluster.Wait);
            await phone.SendAsync($"<message to='bob@{domain}' type='chat' id='before2'><body>hi</body></message>");
            await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "before2", TestCluster.Wait);

            // phone (node b) reads the list, so it gets the pushes of changes made through node a (§3.3).
            (await phone.IqAsync($"<iq type='get' id='l1'><blocklist xmlns='{Blocking}'/></iq>", "l1")).GetAttribute("type").Should().Be("result");
            var block = await alice.IqAsync($"<iq type='set' id='b1'><block xmlns='{Blocking}'><item jid='bob@{domain}'/></block></iq>", "b1");
            block.GetAttribute("type").Should().Be("result");
            var push = await phone.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("type") == "set" && e.Child("block", Blocking) is not null, TestCluster.Wait);
            push.Child("block", Blocking)!.Child("item", Blocking)!.GetAttribute("jid").Should().Be($"bob@{domain}");

            // From the blocked contact on the other node: not delivered, and bob gets service-unavailable (§3.3).
            await bob.SendAsync($"<message to='alice@{domain}/laptop' type='chat' id='after1'><body>still there?</body></message>");
            var bounce = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "after1", TestCluster.Wait);
            bounce.GetAttribute("type").Should().Be("error");
            bounce.Child("error", "jabber:client")!.Child("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas").Should().NotBeNull();
            await alice.ExpectNothingAsync(TimeSpan.FromSeconds(1), e => e.Name == "message" && e.GetAttribute("id") == "after1");

            // From alice's own resource on the other node to the blocked contact: not-acceptable with <blocked/>.
            await phone.SendAsync($"<message to='bob@{domain}' type='chat' id='after2'><body>bye</body></message>");
            var refused = await phone.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "after2", TestCluster.Wait);
            refused.GetAttribute("type").Should().Be("error");
            refused.Child("error", "jabber:client")!.Child("blocked", Blocking + ":errors").Should().NotBeNull();
            await bob.ExpectNothingAsync(TimeSpan.FromSeconds(1), e => e.Name == "message" && e.GetAttribute("id") == "after2");

            // And the unblock is seen on node b at once too.
            var unblock = await alice.IqAsync($"<iq type='set' id='u1'><unblock xmlns='{Blocking}'><item jid='bob@{domain}'/></unblock></iq>", "u1");
            unblock.GetAttribute("type").Should().Be("result");
            await phone.SendAsync($"<message to='bob@{domain}' type='chat' id='again'><body>back</body></message>");
            await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "again", TestCluster.Wait);
        });
    }
}
