using Microsoft.Extensions.DependencyInjection;
using Rookery.Components.Echo;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.TestKit;
using Xunit.Abstractions;

namespace Rookery.Integration.Tests.Components;

/// <summary>
/// Balancing over several instances of one component domain on one node, over real sockets (issue #5): a second
/// component, <c>client.localhost</c>, plays the senders, so that 'from' and 'to' can vary freely; every echo reply
/// names the instance that handled the message.
/// </summary>
[Trait("Category", "Slow")]
public sealed class ComponentBalancingTests(ITestOutputHelper output)
{
    private const string Echo = "echo.localhost";
    private const string Senders = "client.localhost";
    private const string EchoSecret = "echo-secret";
    private const string SendersSecret = "client-secret";

    private static readonly string[] InstanceNames = ["A", "B", "C"];

    [Fact]
    public async Task DefaultBalancing_ThreeLocalInstances_SpreadsOverAll()
    {
        await using var server = await StartAsync(new ComponentDomainOptions { Secret = EchoSecret });
        await using var instances = await StartInstancesAsync(server, InstanceNames);
        var senders = new CollectingService();
        await using var sender = await TestComponent.StartAsync(server, Senders, SendersSecret, "senders", 1, senders);

        var plan = Enumerable.Range(0, 60).Select(i => (Id: $"m{i}", From: $"u@{Senders}/r", To: $"room@{Echo}")).ToList();
        var served = await SendAsync(sender, senders, plan);

        var counts = served.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("random spread: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}")));
        counts.Keys.Should().BeEquivalentTo(InstanceNames, "random balancing over three local instances uses all of them (60 messages)");
    }

    [Theory]
    [InlineData("destination")]
    [InlineData("source")]
    [InlineData("bare_destination")]
    [InlineData("bare_source")]
    public async Task HashBalancing_EachKeyStaysOnOneInstance_KeysSpreadOverAll(string criterion)
    {
        await using var server = await StartAsync(new ComponentDomainOptions { Secret = EchoSecret, Balancing = criterion });
        await using var instances = await StartInstancesAsync(server, InstanceNames);
        var senders = new CollectingService();
        await using var sender = await TestComponent.StartAsync(server, Senders, SendersSecret, "senders", 1, senders);

        // 40 keys, three stanzas each; the part of the addresses that is not the key changes with every stanza.
        var plan = new List<(string Id, string From, string To)>();
        for (var key = 0; key < 40; key++)
        {
            for (var j = 0; j < 3; j++)
            {
                var (from, to) = criterion switch
                {
                    "destination" => ($"u{j}@{Senders}/r{j}", $"room{key}@{Echo}/nick"),
                    "bare_destination" => ($"u{j}@{Senders}/r{j}", $"room{key}@{Echo}/nick{j}"),
                    "source" => ($"u{key}@{Senders}/r", $"room{j}@{Echo}/nick{j}"),
                    _ => ($"u{key}@{Senders}/r{j}", $"room{j}@{Echo}/nick{j}"),
                };
                plan.Add(($"k{key}-{j}", from, to));
            }
        }

        var served = await SendAsync(sender, senders, plan);

        var byKey = served.GroupBy(s => s.Key.Split('-')[0]).ToDictionary(g => g.Key, g => g.Select(x => x.Value).Distinct().ToList());
        byKey.Should().OnlyContain(k => k.Value.Count == 1, "with {0} balancing every stanza of one key reaches the same instance", criterion);
        var spread = byKey.Values.GroupBy(v => v[0]).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{criterion} spread of 40 keys: " + string.Join(", ", spread.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}")));
        spread.Keys.Should().BeEquivalentTo(InstanceNames, "40 keys spread over all three instances");
        spread.Values.Should().OnlyContain(n => n >= 2, "a stable hash spreads 40 keys roughly evenly over three instances");
    }

    [Fact]
    public async Task ComponentNumber_KilledInstance_OnlyItsBucketBouncesOthersNeverMove()
    {
        await using var server = await StartAsync(new ComponentDomainOptions { Secret = EchoSecret, Balancing = "bare_destination", ComponentNumber = 3 });
        await using var instances = await StartInstancesAsync(server, InstanceNames);
        var senders = new CollectingService();
        await using var sender = await TestComponent.StartAsync(server, Senders, SendersSecret, "senders", 1, senders);
        var route = server.Services.GetRequiredService<ComponentRegistry>().Find(Echo)!;

        var rooms = Enumerable.Range(0, 30).Select(i => $"room{i}@{Echo}").ToList();
        var before = await SendRoundAsync(sender, senders, rooms, "before");
        before.Values.Distinct().Should().BeEquivalentTo(InstanceNames, "30 rooms fill all three buckets");

        // Instance B goes away: only the rooms of its bucket are affected.
        var killed = instances["B"];
        await killed.StopAsync();
        await TestComponent.WaitForInstancesAsync(server, Echo, 2);
        var after = await SendRoundAsync(sender, senders, rooms, "after");

        foreach (var room in rooms)
        {
            if (before[room] == "B")
            {
                after[room].Should().Be("error:service-unavailable", "{0} was in the killed instance's bucket", room);
            }
            else
            {
                after[room].Should().Be(before[room], "{0} was in a bucket whose owner is alive: it never moves", room);
            }
        }

        // The bucket is the stable hash of the bare JID modulo 3, the same on every node.
        var bBucket = route.BucketOfKey(rooms.First(r => before[r] == "B"));
        rooms.Where(r => before[r] == "B").Should().OnlyContain(r => route.BucketOfKey(r) == bBucket);
        route.OwnerOf(bBucket).Should().BeNull();

        // A new instance takes the orphaned bucket, and only that one.
        await using var replacement = await TestComponent.StartAsync(server, Echo, EchoSecret, "D", 3);
        var restored = await SendRoundAsync(sender, senders, rooms, "restored");
        foreach (var room in rooms)
        {
            restored[room].Should().Be(before[room] == "B" ? "D" : before[room]);
        }
    }

    [Fact]
    public async Task ComponentNumber_SpareConfigured_KilledBucketMovesToTheSpareOnly()
    {
        await using var server = await StartAsync(new ComponentDomainOptions { Secret = EchoSecret, Balancing = "bare_destination", ComponentNumber = 3, OnInstanceFailure = "spare" });
        await using var instances = await StartInstancesAsync(server, [.. InstanceNames, "S"]);
        var senders = new CollectingService();
        await using var sender = await TestComponent.StartAsync(server, Senders, SendersSecret, "senders", 1, senders);

        var rooms = Enumerable.Range(0, 30).Select(i => $"room{i}@{Echo}").ToList();
        var before = await SendRoundAsync(sender, senders, rooms, "before");
        before.Values.Distinct().Should().BeEquivalentTo(InstanceNames, "the fourth instance is a spare and owns no bucket");

        await instances["C"].StopAsync();
        await TestComponent.WaitForInstancesAsync(server, Echo, 3);
        var after = await SendRoundAsync(sender, senders, rooms, "after");

        foreach (var room in rooms)
        {
            after[room].Should().Be(before[room] == "C" ? "S" : before[room]);
        }
    }

    [Fact]
    public async Task ClientMessageAndIqs_ReachTheComponentAndAnswersComeBack()
    {
        await using var server = await StartAsync(new ComponentDomainOptions { Secret = EchoSecret });
        await using var instances = await StartInstancesAsync(server, ["A"]);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.SendAsync($"<message to='room@{Echo}' id='m1' type='chat'><body>hello</body></message>");
        var reply = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m1");
        reply.GetAttribute("from").Should().Be($"room@{Echo}");
        reply.ChildText("body", Ns.Client).Should().Be(EchoService.ReplyText("A", "hello"));

        var info = await alice.IqAsync($"<iq to='{Echo}' id='d1' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>", "d1");
        info.GetAttribute("type").Should().Be("result");
        info.ToString().Should().Contain("category='component'");

        var version = await alice.IqAsync($"<iq to='{Echo}' id='v1' type='get'><query xmlns='jabber:iq:version'/></iq>", "v1");
        version.ToString().Should().Contain("Rookery echo");
    }

    [Fact]
    public async Task NoInstanceConnected_StanzaGetsServiceUnavailable()
    {
        await using var server = await StartAsync(new ComponentDomainOptions { Secret = EchoSecret });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.SendAsync($"<message to='room@{Echo}' id='m1' type='chat'><body>anyone?</body></message>");
        var error = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m1");

        error.GetAttribute("type").Should().Be("error");
        StanzaErrors.ConditionOf(error).Should().Be(StanzaErrorCondition.ServiceUnavailable);
    }

    private static Task<TestServer> StartAsync(ComponentDomainOptions echo) => TestServer.StartAsync(o =>
    {
        o.Components[Echo] = echo;
        o.Components[Senders] = new ComponentDomainOptions { Secret = SendersSecret };
    });

    private static async Task<InstanceGroup> StartInstancesAsync(TestServer server, string[] names)
    {
        var group = new InstanceGroup();
        foreach (var name in names)
        {
            // One at a time, so that fixed buckets are owned in this order (A: 0, B: 1, C: 2, then spares).
            group.Add(name, await TestComponent.StartAsync(server, Echo, EchoSecret, name, group.Count + 1));
        }

        return group;
    }

    /// <summary>Sends every planned message from the senders' component; returns the instance that answered each id.</summary>
    private static async Task<Dictionary<string, string>> SendAsync(TestComponent sender, CollectingService senders, IReadOnlyList<(string Id, string From, string To)> plan)
    {
        senders.Clear();
        foreach (var (id, from, to) in plan)
        {
            var message = new Element("message", Ns.Client).SetAttribute("from", from).SetAttribute("to", to).SetAttribute("id", id).SetAttribute("type", "chat");
            message.AddChild("body").AddText(id);
            await sender.Client.SendAsync(message);
        }

        var replies = await senders.WaitForIdsAsync([.. plan.Select(p => p.Id)]);
        return replies.ToDictionary(r => r.Key, r => Served(r.Value));
    }

    /// <summary>One message to each room; returns, per room, the instance that answered or <c>error:condition</c>.</summary>
    private static async Task<Dictionary<string, string>> SendRoundAsync(TestComponent sender, CollectingService senders, IReadOnlyList<string> rooms, string round)
    {
        var plan = rooms.Select((room, i) => (Id: $"{round}-{i}", From: $"u{i}@{Senders}/r", To: room + "/nick")).ToList();
        var served = await SendAsync(sender, senders, plan);
        return rooms.Select((room, i) => (room, served[$"{round}-{i}"])).ToDictionary(x => x.room, x => x.Item2);
    }

    private static string Served(Element reply)
    {
        if (reply.GetAttribute("type") == "error")
        {
            return "error:" + StanzaErrors.ConditionOf(reply)?.ToWireName();
        }

        var body = reply.ChildText("body", Ns.Client)!;
        return body[..body.IndexOf(':', StringComparison.Ordinal)];
    }

    private sealed class InstanceGroup : IAsyncDisposable
    {
        private readonly Dictionary<string, TestComponent> _instances = new(StringComparer.Ordinal);

        public int Count => _instances.Count;

        public TestComponent this[string name] => _instances[name];

        public void Add(string name, TestComponent instance) => _instances.Add(name, instance);

        public async ValueTask DisposeAsync()
        {
            foreach (var instance in _instances.Values)
            {
                await instance.DisposeAsync();
            }
        }
    }
}
