using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Caps;
using Rookery.Modules.Disco;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;
using static Rookery.Integration.Tests.Pep.PepTestExtensions;

namespace Rookery.Integration.Tests.Pep;

/// <summary>
/// The persistent caps cache (XEP-0115 §5.4: verified hashes are cached): a hash a client verified is written to the
/// store, and a hash the store knows (from a restart or another node) is used without asking the client again.
/// </summary>
public sealed class CapsStoreTests
{
    private const string Tune = "http://jabber.org/protocol/tune";
    private const string TunePayload = "<tune xmlns='http://jabber.org/protocol/tune'><title>Roundabout</title></tune>";

    [Fact]
    public async Task VerifiedHash_WrittenToTheStore()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob", resource: "laptop", sendPresence: false);
        var (ver, features) = Caps(Tune + "+notify");
        (await server.Storage.Caps.GetAsync("sha-1", ver)).Should().BeNull();

        // §6.2: the server asks bob's client; the answer hashes to the announced ver, so it is verified and stored.
        const string Node = "https://rookery.test/client";
        await bob.SendAsync($"<presence><c xmlns='{EntityCapabilities.Namespace}' hash='sha-1' node='{Node}' ver='{ver}'/></presence>");
        var query = await bob.WaitForAsync(e => e.Name == "iq" && e.Child("query", DiscoModule.InfoNamespace)?.GetAttribute("node") == Node + "#" + ver);
        var answer = Info(features).SetAttribute("node", Node + "#" + ver);
        await bob.SendAsync($"<iq type='result' id='{query.GetAttribute("id")}' to='{query.GetAttribute("from")}'>{answer}</iq>");
        var stored = await WaitForStoredAsync(server.Storage, ver);

        stored.Should().Contain(Tune + "+notify").And.Contain(DiscoModule.InfoNamespace);
    }

    [Fact]
    public async Task HashKnownToTheStore_NotAskedAgain_NotificationsFollowStoredFeatures()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await Im.ImTestExtensions.SeedSubscriptionAsync(server, "alice", "bob", Subscription.Both);
        // What another node (or this one before a restart) verified: bob's client announces the same hash.
        var (ver, features) = Caps(Tune + "+notify");
        await server.Storage.Caps.PutAsync("sha-1", ver, features);
        await using var alice = await server.LoginAsync("alice", resource: "phone");
        await using var bob = await server.LoginAsync("bob", resource: "laptop", sendPresence: false);

        await bob.SendAsync($"<presence><c xmlns='{EntityCapabilities.Namespace}' hash='sha-1' node='https://rookery.test/client' ver='{ver}'/></presence>");
        await Im.ImTestExtensions.SyncAsync(bob);
        (await alice.SetAsync(null, Publish(Tune, "r1", TunePayload))).ShouldBeResult();

        // The notification proves the server knew bob's +notify; the client was never asked (§6.2 query).
        await bob.WaitForAsync(Event(server.Bare("alice"), Tune));
        bob.Skipped.Concat(await DrainAsync(bob)).Should().NotContain(e => e.Name == "iq" && e.Child("query", DiscoModule.InfoNamespace) != null,
            "a hash the store knows is not queried again");
    }

    private static (string Ver, string[] Features) Caps(params string[] features)
    {
        var all = features.Append(DiscoModule.InfoNamespace).Append(EntityCapabilities.Namespace).Distinct().ToArray();
        return (CapsHash.Compute(Info(all), "sha-1")!, all);
    }

    // One fixed identity: the two tests build the same answer from the same features, so each test's hash is its own
    // only through the features it lists (plus a per-process name, so parallel servers never share a hash).
    private static readonly string IdentityName = "test " + Guid.NewGuid().ToString("N");

    private static Element Info(IEnumerable<string> features)
    {
        var info = new Element("query", DiscoModule.InfoNamespace);
        info.AddChild("identity").SetAttribute("category", "client").SetAttribute("type", "pc").SetAttribute("name", IdentityName);
        foreach (var feature in features)
        {
            info.AddChild("feature").SetAttribute("var", feature);
        }

        return info;
    }

    private static async Task<IReadOnlyList<string>> WaitForStoredAsync(IStorage storage, string ver)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            if (await storage.Caps.GetAsync("sha-1", ver) is { } stored)
            {
                return stored;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The verified hash never reached the store");
            }

            await Task.Delay(50);
        }
    }

    private static async Task<List<Element>> DrainAsync(RawXmppClient client)
    {
        // A ping round trip: anything the server sent before its answer has arrived by then.
        await Im.ImTestExtensions.SyncAsync(client);
        return [.. client.Skipped];
    }
}
