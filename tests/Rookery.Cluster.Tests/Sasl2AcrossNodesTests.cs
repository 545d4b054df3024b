using Rookery.Protocol.Sasl;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// Sessions bound inline by SASL2 and Bind 2 (XEP-0388, XEP-0386) are ordinary cluster sessions: resumed inline on
/// another node with their unacknowledged stanzas, and copied to by carbons from resources on other nodes.
/// </summary>
[Trait("Category", "Slow")]
public sealed class Sasl2AcrossNodesTests
{
    private const string Sasl2 = Sasl2Authenticate.Namespace;
    private const string Bind2 = Bind2Request.Namespace;
    private const string Sm = "urn:xmpp:sm:3";
    private const string Carbons = "urn:xmpp:carbons:2";
    private static readonly string Alice = $"alice@{TestCluster.Domain}";

    [PostgresFact]
    public async Task Bind2Session_WithInlineSm_ResumedInlineOnAnotherNode_WithItsUnackedMessage()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var (a, b) = (nodes[0], nodes[1]);
        await cluster.RunAsync(async () =>
        {
            var bob = await cluster.LoginAsync(b, "bob", "desk");
            await using var alice = await ConnectAsync(a);
            var success = await Sasl2LoginAsync(alice, $"<bind xmlns='{Bind2}'><tag>Tester</tag><enable xmlns='{Sm}' resume='true'/></bind>");
            var full = success.ChildText("authorization-identifier", Sasl2)!;
            var id = success.Child("bound", Bind2)!.Child("enabled", Sm)!.GetAttribute("id")!;

            // Routed from node b to the Bind 2 session on node a, never acknowledged, then the socket dies.
            await bob.SendAsync($"<message to='{full}' type='chat' id='m1'><body>in flight</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m1", TestCluster.Wait);
            alice.Abort();

            // Inline resumption on node b: node a hands the session over.
            await using var again = await ConnectAsync(b);
            var resumed = await Sasl2LoginAsync(again, $"<resume xmlns='{Sm}' previd='{id}' h='0'/>");
            resumed.Child("resumed", Sm).Should().NotBeNull(resumed.ToString());
            resumed.ChildText("authorization-identifier", Sasl2).Should().Be(full);
            (await again.WaitForAsync(e => e.Name == "message", TestCluster.Wait)).GetAttribute("id").Should().Be("m1");
            await bob.SendAsync($"<message to='{full}' type='chat' id='m2'><body>after</body></message>");
            (await again.WaitForAsync(e => e.Name == "message", TestCluster.Wait)).GetAttribute("id").Should().Be("m2");
            AssertNoErrors(cluster);
        });
    }

    [PostgresFact]
    public async Task Bind2Session_WithInlineCarbons_GetsCarbonsOfAResourceOnAnotherNode()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        var (a, b) = (nodes[0], nodes[1]);
        await cluster.RunAsync(async () =>
        {
            var bob = await cluster.LoginAsync(b, "bob", "desk");
            var phone = await cluster.LoginAsync(a, "alice", "phone");
            await using var laptop = await ConnectAsync(b);
            var success = await Sasl2LoginAsync(laptop, $"<bind xmlns='{Bind2}'><enable xmlns='{Carbons}'/></bind>");
            var laptopJid = success.ChildText("authorization-identifier", Sasl2)!;
            await laptop.SendAsync("<presence/>");
            await laptop.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == laptopJid, TestCluster.Wait);

            // The carbons flag set inline travels with the session's announcement: node a copies to the laptop on b.
            await phone.SendAsync($"<message to='bob@{TestCluster.Domain}/desk' type='chat' id='s1'><body>from the phone</body></message>");
            var carbon = await laptop.WaitForAsync(e => e.Name == "message" && e.Child("sent", Carbons) is not null, TestCluster.Wait);
            carbon.Child("sent", Carbons)!.Child("forwarded", "urn:xmpp:forward:0")!.Child("message", Ns.Client)!.GetAttribute("id").Should().Be("s1");
            AssertNoErrors(cluster);
        });
    }

    private static async Task<RawXmppClient> ConnectAsync(TestNode node)
    {
        var client = await RawXmppClient.ConnectAsync("127.0.0.1", node.ClientPort, TestCluster.Domain);
        await client.OpenStreamAsync();
        await client.StartTlsAsync();
        return client;
    }

    /// <summary>A SASL2 SCRAM-SHA-256 login as alice with <paramref name="inline"/>; returns &lt;success/&gt;.</summary>
    private static async Task<Element> Sasl2LoginAsync(RawXmppClient client, string inline)
    {
        var scram = new ScramClient(ScramHash.Sha256, "alice", TestCluster.Password, Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('='));
        await client.SendAsync($"<authenticate xmlns='{Sasl2}' mechanism='SCRAM-SHA-256'><initial-response>{Convert.ToBase64String(scram.ClientFirst())}</initial-response>{inline}</authenticate>");
        var challenge = await client.WaitForAsync(e => e.Namespace == Sasl2, TestCluster.Wait);
        challenge.Name.Should().Be("challenge", challenge.ToString());
        await client.SendAsync($"<response xmlns='{Sasl2}'>{Convert.ToBase64String(scram.ClientFinal(Convert.FromBase64String(challenge.Text)))}</response>");
        var success = await client.WaitForAsync(e => e.Namespace == Sasl2, TestCluster.Wait);
        success.Name.Should().Be("success", success.ToString());
        return success;
    }

    private static void AssertNoErrors(TestCluster cluster)
    {
        foreach (var node in cluster.Nodes)
        {
            node.Process.StandardOutput.Should().NotContain("fail:", "no node logged an error" + cluster.Logs());
        }
    }
}
