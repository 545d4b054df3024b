using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.Server.Routing;

namespace Rookery.Integration.Tests.Components;

/// <summary>The balancer on its own, with in-memory instances: stability of the hash, rendezvous choice, buckets, re-picks.</summary>
public sealed class ComponentDomainRouteTests
{
    private const string Domain = "echo.example.com";

    [Fact]
    public void StableHash_IsFixedAcrossProcesses()
    {
        // Constants, not a comparison with another call: string.GetHashCode would pass that and still differ per node.
        StableHash.Of(string.Empty).Should().Be(14695981039346656037UL, "FNV-1a of nothing is the offset basis");
        StableHash.Of("a").Should().Be(0x089BE207B544F1E4UL);
    }

    [Fact]
    public async Task BareDestination_SameRoomSameInstance_RemovingOneMovesOnlyItsRooms()
    {
        var route = new ComponentDomainRoute(Domain, new ComponentDomainOptions { Secret = "s", Balancing = "bare_destination" });
        var instances = Enumerable.Range(0, 3).Select(i => new MemoryInstance($"node/{i}")).ToArray();
        foreach (var i in instances)
        {
            route.Add(i, null);
        }

        var before = new Dictionary<string, MemoryInstance>();
        for (var room = 0; room < 50; room++)
        {
            before[$"r{room}"] = await DeliverAsync(route, instances, $"r{room}@{Domain}/a");
            (await DeliverAsync(route, instances, $"r{room}@{Domain}/b")).Should().BeSameAs(before[$"r{room}"]);
        }

        route.Remove(instances[1]);
        for (var room = 0; room < 50; room++)
        {
            var now = await DeliverAsync(route, instances, $"r{room}@{Domain}/a");
            if (!ReferenceEquals(before[$"r{room}"], instances[1]))
            {
                now.Should().BeSameAs(before[$"r{room}"], "rendezvous hashing moves only the keys of the removed instance");
            }
        }
    }

    [Fact]
    public async Task InstanceRefusesStanza_NextPickTakesIt()
    {
        var route = new ComponentDomainRoute(Domain, new ComponentDomainOptions { Secret = "s" });
        var closing = new MemoryInstance("node/closing") { Accepts = false };
        var alive = new MemoryInstance("node/alive");
        route.Add(closing, null);
        route.Add(alive, null);

        for (var i = 0; i < 10; i++)
        {
            await route.RouteAsync(Stanza($"r{i}@{Domain}"));
        }

        alive.Received.Should().Be(10);
        route.Instances.Should().ContainSingle().Which.Should().BeSameAs(alive);
    }

    [Fact]
    public async Task NoInstance_ServiceUnavailable()
    {
        var route = new ComponentDomainRoute(Domain, new ComponentDomainOptions { Secret = "s" });

        var act = async () => await route.RouteAsync(Stanza($"r@{Domain}"));

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public void FixedBuckets_RemoteClaimConflict_NameSortingFirstKeepsTheBucket()
    {
        var route = new ComponentDomainRoute(Domain, new ComponentDomainOptions { Secret = "s", Balancing = "destination", ComponentNumber = 2 });
        var b = new MemoryInstance("node-b/1", isLocal: false);
        var a = new MemoryInstance("node-a/1", isLocal: false);

        route.Add(b, 0).Should().Be(0);
        route.Add(a, 0).Should().Be(0, "two nodes gave bucket 0 away at once: every node settles on the smaller name");
        route.OwnerOf(0).Should().BeSameAs(a);
        route.OwnerOf(1).Should().BeNull();
    }

    [Fact]
    public void FixedBuckets_TwoNodesClaimTheSameFreeBucketAtOnce_LoserMovesToAnOrphanedBucketOnEveryNode()
    {
        var options = Options.Create(new ComponentsOptions
        {
            Domains = new Dictionary<string, ComponentDomainOptions>
            {
                [Domain] = new() { Secret = "s", Balancing = "destination", ComponentNumber = 3 },
            },
        });
        var nodeA = new ComponentRegistry(options, NullLogger<ComponentRegistry>.Instance);
        var nodeB = new ComponentRegistry(options, NullLogger<ComponentRegistry>.Instance);
        var announcedByA = new List<(IComponentInstance Instance, int? Bucket)>();
        nodeA.LocalInstanceUp += (_, e) => announcedByA.Add((e.Instance, e.Bucket));
        var onA = new MemoryInstance("node-b/2");
        var onB = new MemoryInstance("node-a/1");
        var onAasSeenByB = new MemoryInstance(onA.Name, isLocal: false);
        var onBasSeenByA = new MemoryInstance(onB.Name, isLocal: false);

        // Both instances connect at the same moment: each node gives its own the lowest free bucket, 0.
        nodeA.AddLocal(onA).Should().Be(0);
        nodeB.AddLocal(onB).Should().Be(0);
        // The announcements cross: "node-a/1" sorts first and keeps bucket 0 on both nodes; A moves its instance.
        nodeA.AddRemote(onBasSeenByA, 0).Should().Be(0);
        nodeB.AddRemote(onAasSeenByB, 0).Should().BeNull();
        announcedByA.Should().OnlyContain(e => ReferenceEquals(e.Instance, onA));
        announcedByA.Select(e => e.Bucket).Should().Equal(0, 1);
        nodeB.AddRemote(onAasSeenByB, announcedByA[^1].Bucket).Should().Be(1);

        var a = nodeA.Find(Domain)!;
        var b = nodeB.Find(Domain)!;
        (a.OwnerOf(0)?.Name, a.OwnerOf(1)?.Name, a.OwnerOf(2)).Should().Be(("node-a/1", "node-b/2", null));
        (b.OwnerOf(0)?.Name, b.OwnerOf(1)?.Name, b.OwnerOf(2)).Should().Be(("node-a/1", "node-b/2", null));
    }

    [Fact]
    public void Options_ComponentNumberWithRandom_IsRejected()
    {
        new ComponentDomainOptions { Secret = "s", ComponentNumber = 3 }.Describe()!.Value.Key.Should().Be("ComponentNumber");
        new ComponentDomainOptions { Secret = "s", Balancing = "nearest" }.Describe()!.Value.Key.Should().Be("Balancing");
        new ComponentDomainOptions().Describe()!.Value.Key.Should().Be("Secret");
        new ComponentDomainOptions { Secret = "s", Balancing = "BareDestination", ComponentNumber = 3, OnInstanceFailure = "spare" }.Describe().Should().BeNull();
    }

    private static async Task<MemoryInstance> DeliverAsync(ComponentDomainRoute route, MemoryInstance[] instances, string to)
    {
        foreach (var i in instances)
        {
            i.Last = null;
        }

        var stanza = Stanza(to);
        await route.RouteAsync(stanza);
        return instances.Single(i => ReferenceEquals(i.Last, stanza.Element));
    }

    private static Stanza Stanza(string to)
    {
        var element = new Element("message", Ns.Client).SetAttribute("from", "u@example.com/r").SetAttribute("to", to);
        return new Stanza(element, Jid.Parse("u@example.com/r"), Jid.Parse(to));
    }

    private sealed class MemoryInstance(string name, bool isLocal = true) : IComponentInstance
    {
        public string Domain => ComponentDomainRouteTests.Domain;

        public string Name => name;

        public bool IsLocal => isLocal;

        public bool Accepts { get; init; } = true;

        public int Received { get; private set; }

        public Element? Last { get; set; }

        public bool Send(Element stanza)
        {
            if (!Accepts)
            {
                return false;
            }

            Received++;
            Last = stanza;
            return true;
        }
    }
}
