using Rookery.Modules.Caps;
using Rookery.Modules.Disco;
using Rookery.Modules.Pep;
using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>
/// PEP (XEP-0163) between contacts on different nodes: a publication on one node is notified to a contact's resource on
/// another, whose entity capabilities (XEP-0115) were verified by its own node, and a retraction too; and bookmarks
/// converted (XEP-0411) between an account's resources on different nodes.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PepAcrossNodesTests
{
    private const string Tune = "http://jabber.org/protocol/tune";

    [PostgresFact]
    public async Task Publish_ContactOnAnotherNodeWithNotifyCaps_GetsNotification()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice", "bob", "carol");
        await cluster.BefriendAsync("alice", "bob");
        await cluster.BefriendAsync("alice", "carol");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        await cluster.RunAsync(async () =>
        {
            var bob = await LoginWithCapsAsync(cluster, nodes[1], "bob", "phone", Tune + "+notify");
            // carol is on the other node too but does not ask for tunes: filtered notifications (XEP-0163 §4.2).
            var carol = await LoginWithCapsAsync(cluster, nodes[1], "carol", "desk", "urn:xmpp:avatar:metadata+notify");
            var alice = await cluster.LoginAsync(nodes[0], "alice", "laptop");
            // Once alice sees their presence, node a has their replicated sessions, caps element included.
            await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"bob@{TestCluster.Domain}/phone", TestCluster.Wait);
            await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"carol@{TestCluster.Domain}/desk", TestCluster.Wait);

            var publish = await alice.IqAsync(
                $"<iq type='set' id='p1'><pubsub xmlns='{PepModule.Namespace}'><publish node='{Tune}'><item id='t1'>" +
                "<tune xmlns='http://jabber.org/protocol/tune'><artist>Yes</artist><title>Roundabout</title></tune></item></publish></pubsub></iq>", "p1");
            publish.GetAttribute("type").Should().Be("result");

            var evt = await bob.WaitForAsync(IsEvent($"alice@{TestCluster.Domain}", Tune), TestCluster.Wait);
            evt.GetAttribute("to").Should().Be($"bob@{TestCluster.Domain}/phone");
            evt.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!
                .Child("item", PepModule.EventNamespace)!.GetAttribute("id").Should().Be("t1");
            await carol.ExpectNothingAsync(TimeSpan.FromSeconds(1), IsEvent($"alice@{TestCluster.Domain}", Tune));

            var retract = await alice.IqAsync(
                $"<iq type='set' id='r1'><pubsub xmlns='{PepModule.Namespace}'><retract node='{Tune}' notify='true'><item id='t1'/></retract></pubsub></iq>", "r1");
            retract.GetAttribute("type").Should().Be("result");
            var retraction = await bob.WaitForAsync(IsEvent($"alice@{TestCluster.Domain}", Tune), TestCluster.Wait);
            retraction.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!
                .Child("retract", PepModule.EventNamespace)!.GetAttribute("id").Should().Be("t1");
        });
    }

    [PostgresFact]
    public async Task Bookmarks_PrivateSetOnOneNode_NativeNotificationOnOtherAndBackAgain()
    {
        await using var cluster = new TestCluster();
        await cluster.CreateUsersAsync("alice");
        var nodes = await cluster.StartNodesAsync("node-a", "node-b");
        await cluster.RunAsync(async () =>
        {
            const string Native = "urn:xmpp:bookmarks:1";
            const string Room = "room@conference.example.org";
            var legacy = await cluster.LoginAsync(nodes[0], "alice", "legacy");
            var modern = await LoginWithCapsAsync(cluster, nodes[1], "alice", "modern", Native + "+notify");
            // Once the legacy resource sees the modern one's presence, node a has its replicated session and caps.
            await legacy.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == $"alice@{TestCluster.Domain}/modern", TestCluster.Wait);

            // XEP-0411 / XEP-0402 §5.3: a private-storage write on node a reaches the PEP client on node b.
            var set = await legacy.IqAsync(
                "<iq type='set' id='s1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" +
                $"<conference jid='{Room}' name='Room' autojoin='true'><nick>al</nick></conference></storage></query></iq>", "s1");
            set.GetAttribute("type").Should().Be("result");
            var evt = await modern.WaitForAsync(IsEvent($"alice@{TestCluster.Domain}", Native), TestCluster.Wait);
            var item = evt.Child("event", PepModule.EventNamespace)!.Child("items", PepModule.EventNamespace)!.Child("item", PepModule.EventNamespace)!;
            item.GetAttribute("id").Should().Be(Room);
            item.Child("conference", Native)!.ChildText("nick", Native).Should().Be("al");

            // And a retraction on node b shows in a private-storage get on node a: both read the shared database.
            var retract = await modern.IqAsync(
                $"<iq type='set' id='r1'><pubsub xmlns='{PepModule.Namespace}'><retract node='{Native}'><item id='{Room}'/></retract></pubsub></iq>", "r1");
            retract.GetAttribute("type").Should().Be("result");
            var get = await legacy.IqAsync("<iq type='get' id='g1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>", "g1");
            get.Child("query", "jabber:iq:private")!.FirstElement()!.ToString().Should().Be("<storage xmlns='storage:bookmarks'/>");
        });
    }

    private static Func<Element, bool> IsEvent(string owner, string node) => e =>
        e.Name == "message" && e.GetAttribute("from") == owner &&
        e.Child("event", PepModule.EventNamespace)?.Child("items", PepModule.EventNamespace)?.GetAttribute("node") == node;

    /// <summary>
    /// Logs in without presence, then sends available presence with a fresh caps hash for <paramref name="features"/> and
    /// answers its node's disco#info query (XEP-0115 §6.2), so that node verifies and stores the hash.
    /// </summary>
    private static async Task<RawXmppClient> LoginWithCapsAsync(TestCluster cluster, TestNode node, string user, string resource, params string[] features)
    {
        var client = await cluster.LoginAsync(node, user, resource, available: false);
        const string capsNode = "https://rookery.test/client";
        var info = new Element("query", DiscoModule.InfoNamespace);
        info.AddChild("identity").SetAttribute("category", "client").SetAttribute("type", "pc").SetAttribute("name", "test " + Guid.NewGuid().ToString("N"));
        foreach (var feature in features.Append(DiscoModule.InfoNamespace).Append(EntityCapabilities.Namespace).Distinct())
        {
            info.AddChild("feature").SetAttribute("var", feature);
        }

        var ver = CapsHash.Compute(info, "sha-1")!;
        await client.SendAsync($"<presence><c xmlns='{EntityCapabilities.Namespace}' hash='sha-1' node='{capsNode}' ver='{ver}'/></presence>");
        var query = await client.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("type") == "get" &&
            e.Child("query", DiscoModule.InfoNamespace)?.GetAttribute("node") == capsNode + "#" + ver, TestCluster.Wait);
        var reply = new Element("iq", Ns.Client).SetAttribute("type", "result").SetAttribute("id", query.GetAttribute("id")).SetAttribute("to", query.GetAttribute("from"));
        reply.Add(info.Clone().SetAttribute("node", capsNode + "#" + ver));
        await client.SendAsync(reply.ToString());
        // A round trip on the same stream: the answer has been taken (and the hash stored) before this returns.
        (await client.IqAsync("<iq type='get' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>", "sync")).GetAttribute("type").Should().Be("result");
        return client;
    }
}
