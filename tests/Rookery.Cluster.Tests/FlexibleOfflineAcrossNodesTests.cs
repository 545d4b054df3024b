using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Flexible offline message retrieval (XEP-0013) across real nodes: the resource that chose it on one node keeps the
/// account's other resources, on another node, from getting the offline flood (§2.2), and the messages stay stored.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FlexibleOfflineAcrossNodesTests
{
    private const string ItemsNode = "<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/offline'/>";

    [PostgresFact]
    public async Task FlexibleResourceOnOneNode_OtherResourceOnAnotherNode_NotFlooded()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob", "carol");
        await cluster.BefriendAsync("bob", "carol");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var (a, b) = (nodes[0], nodes[1]);
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(a, "alice", "laptop");
            await alice.SendAsync($"<message to='bob@{TestCluster.Domain}' type='chat' id='o1'><body>while away</body></message>");
            await Eventually.TrueAsync(async () => await cluster.OfflineCountAsync("bob") == 1, "the message is stored offline", TestCluster.Wait);
            var carol = await cluster.LoginAsync(b, "carol", "desk");

            var flexible = await cluster.LoginAsync(a, "bob", "flexible", available: false);
            var items = await flexible.IqAsync($"<iq type='get' id='h1'>{ItemsNode}</iq>", "h1");
            items.GetAttribute("type").Should().Be("result");
            items.FirstElement()!.Elements().Should().ContainSingle();
            // A barrier: the presence after choosing flexible retrieval crosses the link after the replicated flag.
            await flexible.SendAsync("<presence><status>reading mail</status></presence>");
            await carol.WaitForAsync(e => e.Name == "presence" && e.ChildText("status", Ns.Client) == "reading mail", TestCluster.Wait);
            await flexible.ExpectNothingAsync(TimeSpan.FromSeconds(1), e => e.Name == "message");

            var other = await cluster.LoginAsync(b, "bob", "other");

            await other.ExpectNothingAsync(TimeSpan.FromSeconds(1), e => e.Name == "message");
            (await cluster.OfflineCountAsync("bob")).Should().Be(1, "XEP-0013 §2.5: nothing is removed until the client says so");
        });
    }
}
