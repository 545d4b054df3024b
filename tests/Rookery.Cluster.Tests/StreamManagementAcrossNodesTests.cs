using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Stream management (XEP-0198) and message carbons (XEP-0280) across real nodes: a session resumes on another live node
/// (it migrates with its unacknowledged stanzas, contacts see nothing), a resumption id of a killed node fails with
/// item-not-found while the new login gets every stored message, and carbons reach resources on other nodes.
/// </summary>
[Trait("Category", "Slow")]
public sealed class StreamManagementAcrossNodesTests
{
    private const string Sm = "urn:xmpp:sm:3";
    private const string Carbons = "urn:xmpp:carbons:2";
    private static readonly string Alice = $"alice@{TestCluster.Domain}";

    [PostgresFact]
    public async Task Resume_OnAnotherLiveNode_UnackedDelivered_ContactSeesNoUnavailable_NewMessagesReachTheNewNode()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b", "node-c");
        var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        await cluster.RunAsync(async () =>
        {
            var bob = await cluster.LoginAsync(c, "bob", "desk");
            var alice = await cluster.LoginAsync(a, "alice", "phone");
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Alice}/phone", TestCluster.Wait);
            var id = (await EnableAsync(alice)).GetAttribute("id")!;

            // A message in flight, never acknowledged, then the client's socket dies.
            await bob.SendAsync($"<message to='{Alice}/phone' type='chat' id='m1'><body>in flight</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m1", TestCluster.Wait);
            alice.Abort();

            // The client comes back on node b with node a's id: node a hands the session over.
            var again = await cluster.AuthenticateAsync(b, "alice");
            await again.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");
            var answer = await again.WaitForAsync(e => e.Namespace == Sm && e.Name is "resumed" or "failed", TestCluster.Wait);
            answer.Name.Should().Be("resumed", answer.ToString());
            answer.GetAttribute("previd").Should().Be(id);
            (await again.WaitForAsync(e => e.Name == "message", TestCluster.Wait)).GetAttribute("id").Should().Be("m1");

            // The JID now lives on node b: new messages to the bare and the full JID reach the resumed session there.
            await bob.SendAsync($"<message to='{Alice}' type='chat' id='m2'><body>to the bare JID</body></message>");
            (await again.WaitForAsync(e => e.Name == "message", TestCluster.Wait)).GetAttribute("id").Should().Be("m2");
            await bob.SendAsync($"<message to='{Alice}/phone' type='chat' id='m3'><body>to the full JID</body></message>");
            (await again.WaitForAsync(e => e.Name == "message", TestCluster.Wait)).GetAttribute("id").Should().Be("m3");

            // The session keeps its presence: the contact never saw alice go unavailable, and a probe-free check of the
            // table: bob's message went to b, not to offline storage.
            await bob.ExpectNothingAsync(TimeSpan.FromSeconds(2), IsUnavailableFromAlice);
            bob.Skipped.Should().NotContain(e => IsUnavailableFromAlice(e));
            (await cluster.OfflineCountAsync("alice")).Should().Be(0);

            // The resumed session is managed as before: it answers acknowledgement requests with the count it carried.
            await again.SendAsync($"<r xmlns='{Sm}'/>");
            (await again.WaitForAsync(e => e.Name == "a" && e.Namespace == Sm, TestCluster.Wait)).GetAttribute("h").Should().Be("0");
            AssertNoErrors(cluster);
        });
    }

    [PostgresFact]
    public async Task Resume_WhileStillAttached_ReplacesTheOldStream_AndTheSessionCanMoveAgain()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b", "node-c");
        var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        await cluster.RunAsync(async () =>
        {
            var bob = await cluster.LoginAsync(c, "bob", "desk");
            var alice = await cluster.LoginAsync(a, "alice", "phone");
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Alice}/phone", TestCluster.Wait);
            var id = (await EnableAsync(alice)).GetAttribute("id")!;
            await bob.SendAsync($"<message to='{Alice}' type='chat' id='m1'><body>1</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m1", TestCluster.Wait);

            // The old stream on node a is still up: XEP-0198 §5, the resumed stream replaces it.
            var onB = await cluster.AuthenticateAsync(b, "alice");
            await onB.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");
            (await onB.WaitForAsync(e => e.Namespace == Sm && e.Name is "resumed" or "failed", TestCluster.Wait)).Name.Should().Be("resumed");
            (await alice.ExpectStreamErrorAsync(TestCluster.Wait)).Should().Be(Protocol.Errors.StreamErrorCondition.Conflict);
            (await onB.WaitForAsync(e => e.Name == "message", TestCluster.Wait)).GetAttribute("id").Should().Be("m1");
            await onB.SendAsync($"<a xmlns='{Sm}' h='1'/>");

            // The id still names node a; the session now waits on node b: a resume on node c finds it there.
            onB.Abort();
            await bob.SendAsync($"<message to='{Alice}' type='chat' id='m2'><body>2</body></message>");
            var onC = await cluster.AuthenticateAsync(c, "alice");
            await onC.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='1'/>");
            (await onC.WaitForAsync(e => e.Namespace == Sm && e.Name is "resumed" or "failed", TestCluster.Wait)).Name.Should().Be("resumed");
            (await onC.WaitForAsync(e => e.Name == "message", TestCluster.Wait)).GetAttribute("id").Should().Be("m2");
            await bob.SendAsync($"<message to='{Alice}' type='chat' id='m3'><body>3</body></message>");
            (await onC.WaitForAsync(e => e.Name == "message", TestCluster.Wait)).GetAttribute("id").Should().Be("m3");

            bob.Skipped.Should().NotContain(e => IsUnavailableFromAlice(e));
            (await cluster.OfflineCountAsync("alice")).Should().Be(0);
            AssertNoErrors(cluster);
        });
    }

    [PostgresFact]
    public async Task Resume_WithIdOfKilledNode_FailsItemNotFound_AndTheNewLoginGetsStoredMessages()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var (a, b) = (nodes[0], nodes[1]);
        await cluster.RunAsync(async () =>
        {
            var bob = await cluster.LoginAsync(b, "bob", "desk");
            var alice = await cluster.LoginAsync(a, "alice", "phone");
            await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"{Alice}/phone", TestCluster.Wait);
            var id = (await EnableAsync(alice)).GetAttribute("id")!;

            await a.Process.KillAsync();
            // Sent while node a is dead but not yet declared so: forwarded towards a, never acknowledged, so re-routed
            // by the survivor once it purges a — to offline storage.
            await bob.SendAsync($"<message to='{Alice}' type='chat' id='before-purge'><body>1</body></message>");
            await bob.WaitForAsync(e => IsUnavailableFromAlice(e), TestCluster.FailureTimeout + TestCluster.Wait);
            await bob.SendAsync($"<message to='{Alice}' type='chat' id='after-purge'><body>2</body></message>");
            await Eventually.TrueAsync(async () => await cluster.OfflineCountAsync("alice") == 2, "alice has two offline messages", TestCluster.Wait);

            var again = await cluster.AuthenticateAsync(b, "alice");
            await again.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");
            var failed = await again.WaitForAsync(e => e.Namespace == Sm && e.Name is "resumed" or "failed", TestCluster.Wait);
            failed.Name.Should().Be("failed");
            failed.Child("item-not-found", Ns.StanzaErrors).Should().NotBeNull();

            // XEP-0198 §5: the client binds a new session on the same stream and gets what was stored for it.
            await again.BindAsync("phone");
            await again.SendAsync("<presence/>");
            var stored = new HashSet<string>();
            while (stored.Count < 2)
            {
                var m = await again.WaitForAsync(e => e.Name == "message", TestCluster.Wait);
                m.Child("delay", Ns.Delay).Should().NotBeNull("it comes from offline storage");
                stored.Add(m.GetAttribute("id")!);
            }

            stored.Should().BeEquivalentTo(["before-purge", "after-purge"]);
        });
    }

    [PostgresFact]
    public async Task Carbons_SentAndReceived_ReachAResourceOnAnotherNode()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b", "node-c");
        var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
        await cluster.RunAsync(async () =>
        {
            var bob = await cluster.LoginAsync(c, "bob", "desk");
            var laptop = await cluster.LoginAsync(a, "alice", "laptop");
            var tablet = await cluster.LoginAsync(b, "alice", "tablet");
            (await tablet.IqAsync($"<iq type='set' id='c1'><enable xmlns='{Carbons}'/></iq>", "c1")).GetAttribute("type").Should().Be("result");
            // A barrier: the presence after enabling crosses the same links as the replicated flag, after it.
            await tablet.SendAsync("<presence><status>carbons on</status></presence>");
            await laptop.WaitForAsync(e => e.Name == "presence" && e.ChildText("status", Ns.Client) == "carbons on", TestCluster.Wait);
            await bob.WaitForAsync(e => e.Name == "presence" && e.ChildText("status", Ns.Client) == "carbons on", TestCluster.Wait);

            // Sent carbon (XEP-0280 §8): laptop on node a writes to bob; tablet on node b gets a copy.
            await laptop.SendAsync($"<message to='bob@{TestCluster.Domain}' type='chat' id='s1'><body>from the laptop</body></message>");
            await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "s1", TestCluster.Wait);
            var sent = await tablet.WaitForAsync(e => e.Name == "message" && e.Child("sent", Carbons) is not null, TestCluster.Wait);
            sent.GetAttribute("from").Should().Be(Alice);
            Forwarded(sent, "sent").GetAttribute("id").Should().Be("s1");

            // Received carbon (§7): bob on node c writes to the laptop's full JID; tablet gets a copy.
            await bob.SendAsync($"<message to='{Alice}/laptop' type='chat' id='r1'><body>to the laptop</body></message>");
            await laptop.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "r1", TestCluster.Wait);
            var received = await tablet.WaitForAsync(e => e.Name == "message" && e.Child("received", Carbons) is not null, TestCluster.Wait);
            Forwarded(received, "received").GetAttribute("id").Should().Be("r1");

            // The laptop never enabled carbons: it gets no copies of the tablet's messages.
            await tablet.SendAsync($"<message to='bob@{TestCluster.Domain}' type='chat' id='s2'><body>from the tablet</body></message>");
            await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "s2", TestCluster.Wait);
            await laptop.ExpectNothingAsync(TimeSpan.FromSeconds(1), e => e.Name == "message");
            AssertNoErrors(cluster);
        });
    }

    // From the resource: the unavailable presence from the bare JID that answers bob's probe at login (RFC 6121 §4.3.2,
    // alice had no resource yet) is not about this session.
    private static bool IsUnavailableFromAlice(Element e) =>
        e.Name == "presence" && e.GetAttribute("type") == "unavailable" && e.GetAttribute("from") == $"{Alice}/phone";

    private static Element Forwarded(Element carbon, string kind) =>
        carbon.Child(kind, Carbons)!.Child("forwarded", "urn:xmpp:forward:0")!.Child("message", Ns.Client)!;

    private static async Task<Element> EnableAsync(RawXmppClient client)
    {
        await client.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");
        return await client.WaitForAsync(e => e.Name == "enabled" && e.Namespace == Sm, TestCluster.Wait);
    }

    private static void AssertNoErrors(TestCluster cluster)
    {
        foreach (var node in cluster.Nodes)
        {
            node.Process.StandardOutput.Should().NotContain("fail:", "no node logged an error" + cluster.Logs());
        }
    }

}
