using System.Globalization;
using Rookery.Modules.Pubsub;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// The pubsub.&lt;host&gt; service (XEP-0060) on a cluster of real rookery processes: every node serves the service over
/// the shared database, so a node created through one is subscribed to through another, and a publication through the
/// first reaches the subscriber's session on the second; then slixmpp's XEP-0060 plugin runs its scenario with the
/// subscriber on the other node.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PubsubAcrossNodesTests
{
    private const string Ns = PubsubService.Namespace;
    private const string Service = "pubsub." + TestCluster.Domain;

    [PostgresFact]
    public async Task PublishOnNodeA_SubscriberOnNodeB_GetsEvent()
    {
        Assert.True(InteropScript.MissingSlixmpp is null, InteropScript.MissingSlixmpp);
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(nodes[0], "alice", "laptop");
            var bob = await cluster.LoginAsync(nodes[1], "bob", "phone");

            (await alice.IqAsync($"<iq type='set' id='c1' to='{Service}'><pubsub xmlns='{Ns}'><create node='news'/></pubsub></iq>", "c1"))
                .GetAttribute("type").Should().Be("result");
            // Node b reads the node node a created from the shared database.
            var subscribed = await bob.IqAsync($"<iq type='set' id='s1' to='{Service}'><pubsub xmlns='{Ns}'><subscribe node='news' jid='bob@{TestCluster.Domain}/phone'/></pubsub></iq>", "s1");
            subscribed.GetAttribute("type").Should().Be("result", "the reply was {0}", subscribed);
            var published = await alice.IqAsync(
                $"<iq type='set' id='p1' to='{Service}'><pubsub xmlns='{Ns}'><publish node='news'><item id='i1'><entry xmlns='http://www.w3.org/2005/Atom'><title>Across</title></entry></item></publish></pubsub></iq>", "p1");
            published.GetAttribute("type").Should().Be("result", "the reply was {0}", published);

            var evt = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("from") == Service, TestCluster.Wait);
            evt.GetAttribute("to").Should().Be($"bob@{TestCluster.Domain}/phone");
            var item = evt.Child("event", PubsubService.EventNamespace)!.Child("items", PubsubService.EventNamespace)!.Child("item", PubsubService.EventNamespace)!;
            item.GetAttribute("id").Should().Be("i1");
            item.Child("entry", "http://www.w3.org/2005/Atom")!.ChildText("title", "http://www.w3.org/2005/Atom").Should().Be("Across");

            var script = InteropScript.PathOf("slixmpp_pubsub.py");
            string[] args =
            [
                "--host", "127.0.0.1", "--port", Port(nodes[0]), "--port2", Port(nodes[1]), "--domain", TestCluster.Domain,
                "--user1", "alice", "--pass1", TestCluster.Password, "--user2", "bob", "--pass2", TestCluster.Password,
            ];
            var (exitCode, output) = await InteropScript.RunAsync(script, args, TimeSpan.FromSeconds(120));
            exitCode.Should().Be(0, "every pubsub step must pass across nodes; the script said:\n{0}{1}", output, cluster.Logs());
            output.Should().Contain("ALL PASSED");
        });
    }

    [PostgresFact]
    public async Task OptionsSetThroughNodeA_HonouredByAPublishThroughNodeB()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(nodes[1], "alice", "laptop");
            var bob = await cluster.LoginAsync(nodes[0], "bob", "phone");
            var phone = $"bob@{TestCluster.Domain}/phone";
            (await alice.IqAsync($"<iq type='set' id='c1' to='{Service}'><pubsub xmlns='{Ns}'><create node='news'/></pubsub></iq>", "c1"))
                .GetAttribute("type").Should().Be("result");

            // Through node a: the phone's own subscription stops delivery (XEP-0060 §6.3.5) ...
            var subscribed = await bob.IqAsync($"<iq type='set' id='s1' to='{Service}'><pubsub xmlns='{Ns}'><subscribe node='news' jid='{phone}'/></pubsub></iq>", "s1");
            subscribed.GetAttribute("type").Should().Be("result", "the reply was {0}", subscribed);
            var quiet = await bob.IqAsync(
                $"<iq type='set' id='o1' to='{Service}'><pubsub xmlns='{Ns}'><options node='news' jid='{phone}'>{OptionsForm("pubsub#deliver", "0")}</options></pubsub></iq>", "o1");
            quiet.GetAttribute("type").Should().Be("result", "the reply was {0}", quiet);
            // ... and the bare JID subscribes for the times it is away (§6.3.7), which the phone then is. The message to
            // alice follows the presence over the same link, so node b knows the phone is away once alice has it.
            var away = await bob.IqAsync(
                $"<iq type='set' id='s2' to='{Service}'><pubsub xmlns='{Ns}'><subscribe node='news' jid='bob@{TestCluster.Domain}'/><options>{OptionsForm("pubsub#show-values", "away")}</options></pubsub></iq>", "s2");
            away.GetAttribute("type").Should().Be("result", "the reply was {0}", away);
            await bob.SendAsync("<presence><show>away</show></presence>");
            await bob.SendAsync($"<message to='alice@{TestCluster.Domain}' id='fence'><body>away now</body></message>");
            await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "fence", TestCluster.Wait);

            var published = await alice.IqAsync(
                $"<iq type='set' id='p1' to='{Service}'><pubsub xmlns='{Ns}'><publish node='news'><item id='i1'><entry xmlns='http://www.w3.org/2005/Atom'><title>Across</title></entry></item></publish></pubsub></iq>", "p1");
            published.GetAttribute("type").Should().Be("result", "the reply was {0}", published);

            // One notification: from the bare JID's subscription, to the resource that is away; none from the phone's own.
            var evt = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("from") == Service, TestCluster.Wait);
            evt.GetAttribute("to").Should().Be(phone);
            evt.Child("event", PubsubService.EventNamespace)!.Child("items", PubsubService.EventNamespace)!.Child("item", PubsubService.EventNamespace)!
                .GetAttribute("id").Should().Be("i1");
            await bob.ExpectNothingAsync(TimeSpan.FromSeconds(1), e => e.Name == "message" && e.GetAttribute("from") == Service);
        });
    }

    [PostgresFact]
    public async Task PendingSubscriptionThroughNodeA_OwnerOnNodeBGetsFormAndAllows_SubscriberNotifiedOnNodeA()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        await cluster.RunAsync(async () =>
        {
            var alice = await cluster.LoginAsync(nodes[1], "alice", "laptop");
            var bob = await cluster.LoginAsync(nodes[0], "bob", "phone");
            var created = await alice.IqAsync(
                $"<iq type='set' id='c1' to='{Service}'><pubsub xmlns='{Ns}'><create node='club'/><configure><x xmlns='jabber:x:data' type='submit'>" +
                $"<field var='FORM_TYPE' type='hidden'><value>{NodeConfiguration.FormType}</value></field>" +
                "<field var='pubsub#access_model'><value>authorize</value></field></x></configure></pubsub></iq>", "c1");
            created.GetAttribute("type").Should().Be("result", "the reply was {0}", created);

            // Bob subscribes through node a: pending, and node a's service sends the owner, on node b, the form (§8.6).
            var pending = await bob.IqAsync($"<iq type='set' id='s1' to='{Service}'><pubsub xmlns='{Ns}'><subscribe node='club' jid='bob@{TestCluster.Domain}'/></pubsub></iq>", "s1");
            var subId = pending.Child("pubsub", Ns)!.Child("subscription", Ns)!.GetAttribute("subid");
            pending.Child("pubsub", Ns)!.Child("subscription", Ns)!.GetAttribute("subscription").Should().Be("pending", "the reply was {0}", pending);
            var request = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("from") == Service && e.Child("x", "jabber:x:data") is not null, TestCluster.Wait);
            request.Child("x", "jabber:x:data")!.Elements().Single(f => f.GetAttribute("var") == "pubsub#subid").ChildText("value", "jabber:x:data").Should().Be(subId);

            // Alice allows through node b's service; bob, on node a, is told and then notified.
            await alice.SendAsync(
                $"<message to='{Service}' id='{request.GetAttribute("id")}'><x xmlns='jabber:x:data' type='submit'>" +
                $"<field var='FORM_TYPE' type='hidden'><value>{PubsubService.AuthorizationFormType}</value></field>" +
                $"<field var='pubsub#subid'><value>{subId}</value></field><field var='pubsub#node'><value>club</value></field>" +
                "<field var='pubsub#allow'><value>true</value></field></x></message>");
            var notice = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("from") == Service, TestCluster.Wait);
            notice.Child("event", PubsubService.EventNamespace)!.Child("subscription", PubsubService.EventNamespace)!.GetAttribute("subscription")
                .Should().Be("subscribed", "the notice was {0}", notice);
            var published = await alice.IqAsync(
                $"<iq type='set' id='p1' to='{Service}'><pubsub xmlns='{Ns}'><publish node='club'><item id='i1'><entry xmlns='http://www.w3.org/2005/Atom'><title>Approved</title></entry></item></publish></pubsub></iq>", "p1");
            published.GetAttribute("type").Should().Be("result", "the reply was {0}", published);
            var evt = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("from") == Service, TestCluster.Wait);
            evt.Child("event", PubsubService.EventNamespace)!.Child("items", PubsubService.EventNamespace)!.Child("item", PubsubService.EventNamespace)!
                .GetAttribute("id").Should().Be("i1");
        });
    }

    private static string OptionsForm(string field, string value) =>
        $"<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>{SubscriptionOptions.FormType}</value></field>" +
        $"<field var='{field}'><value>{value}</value></field></x>";

    private static string Port(TestNode node) => node.ClientPort.ToString(CultureInfo.InvariantCulture);
}
