using Microsoft.Extensions.DependencyInjection;
using Rookery.Modules.Caps;
using Rookery.Modules.Disco;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Auth;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>
/// The server's own entity capabilities (XEP-0115 §6.3): a caps element in the stream features after authentication
/// whose hash is that of the host's disco#info (§5.1), answered for <c>node#ver</c> too (§6.2), and different on a host
/// whose module set differs.
/// </summary>
public sealed class ServerCapsTests
{
    private const string InfoQuery = "<query xmlns='http://jabber.org/protocol/disco#info'/>";

    [Fact]
    public async Task StreamFeatures_AfterAuth_CarryCapsHashingTheHostDiscoInfo()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var caps = CapsOf(alice.Features!);
        var info = (await alice.GetAsync(server.Domain, InfoQuery)).ShouldBeResult()!;

        caps.GetAttribute("hash").Should().Be("sha-1");
        caps.GetAttribute("node").Should().Be(DiscoModule.ServerCapsNode);
        caps.GetAttribute("ver").Should().Be(CapsHash.Compute(info, "sha-1"));

        // §6.2: disco#info of node#ver answers the same identities and features, naming the node.
        var node = $"{DiscoModule.ServerCapsNode}#{caps.GetAttribute("ver")}";
        var byNode = (await alice.GetAsync(server.Domain, $"<query xmlns='http://jabber.org/protocol/disco#info' node='{node}'/>")).ShouldBeResult()!;
        byNode.GetAttribute("node").Should().Be(node);
        CapsHash.Compute(byNode, "sha-1").Should().Be(caps.GetAttribute("ver"));
    }

    [Fact]
    public async Task StreamFeatures_BeforeAuth_NoCaps()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var features = await client.OpenStreamAsync();

        features.Elements().Should().NotContain(e => e.Name == "c" && e.Namespace == EntityCapabilities.Namespace,
            "the server's features are for authenticated clients, as its disco#info is");
    }

    [Fact]
    public async Task StreamFeatures_HostWithOtherModules_OtherHashMatchingItsDiscoInfo()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new HostOptions();
            o.Hosts["other.test"] = new HostOptions { DisabledModules = ["ping"] };
        });
        await server.CreateUserAsync("alice");
        await server.Services.GetRequiredService<AccountService>().CreateAsync(Jid.Create("bob", "other.test"), "secret");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await RawXmppClient.ConnectAsync("127.0.0.1", server.Port, "other.test");
        await bob.LoginAsync("bob", "secret");

        var aliceVer = CapsOf(alice.Features!).GetAttribute("ver");
        var bobVer = CapsOf(bob.Features!).GetAttribute("ver");
        var otherInfo = (await bob.GetAsync("other.test", InfoQuery)).ShouldBeResult()!;

        bobVer.Should().NotBe(aliceVer, "ping is off on other.test, so its disco#info differs");
        bobVer.Should().Be(CapsHash.Compute(otherInfo, "sha-1"));
        otherInfo.Elements().Should().NotContain(e => e.Name == "feature" && e.GetAttribute("var") == "urn:xmpp:ping");
    }

    private static Element CapsOf(Element features) =>
        features.Elements().Single(e => e.Name == "c" && e.Namespace == EntityCapabilities.Namespace);
}
