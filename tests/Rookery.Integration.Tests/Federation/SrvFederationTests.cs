using System.Net;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation;

/// <summary>
/// Federation where a server finds its peer only through DNS (RFC 6120 §3.2.1): no static route, the peer's
/// <c>_xmpp-server._tcp</c> SRV record and its target's A record served by an in-test responder (<c>S2S:DnsServers</c>).
/// </summary>
[Trait("Category", "Slow")]
public sealed class SrvFederationTests
{
    private const string DomainA = "a.test";
    private const string DomainB = "b.test";

    [Fact]
    public async Task Message_PeerFoundOnlyThroughSrv_DeliveredBothWays()
    {
        await using var dns = TestDnsServer.Start();
        var portA = RookeryProcess.FreePort();
        var portB = RookeryProcess.FreePort();
        // SRV targets on ports other than 5269: only the SRV record can say where each server listens.
        dns.AddSrv($"_xmpp-server._tcp.{DomainA}", 0, 0, (ushort)portA, $"xmpp.{DomainA}");
        dns.AddAddress($"xmpp.{DomainA}", IPAddress.Loopback);
        dns.AddSrv($"_xmpp-server._tcp.{DomainB}", 0, 0, (ushort)portB, $"xmpp.{DomainB}");
        dns.AddAddress($"xmpp.{DomainB}", IPAddress.Loopback);
        await using var a = await StartAsync(DomainA, portA, dns);
        await using var b = await StartAsync(DomainB, portB, dns);
        await a.CreateUserAsync("alice");
        await b.CreateUserAsync("bob");
        await using var alice = await a.LoginAsync("alice");
        await using var bob = await b.LoginAsync("bob");

        await alice.SendAsync($"<message to='bob@{DomainB}/test' id='s1'><body>via srv</body></message>");
        (await bob.WaitForAsync(e => e.GetAttribute("id") == "s1", TimeSpan.FromSeconds(30))).GetAttribute("from").Should().Be($"alice@{DomainA}/test");
        await bob.SendAsync($"<message to='alice@{DomainA}/test' id='s2'><body>and back</body></message>");
        (await alice.WaitForAsync(e => e.GetAttribute("id") == "s2", TimeSpan.FromSeconds(30))).GetAttribute("from").Should().Be($"bob@{DomainB}/test");

        dns.QuestionsFor($"_xmpp-server._tcp.{DomainB}").Should().BeGreaterThan(0);
        a.Logs.Entries.Should().Contain(e => e.Message.Contains($"connected to {DomainB} at xmpp.{DomainB}", StringComparison.Ordinal) && e.Message.Contains("from SRV", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Message_FirstSrvTargetDead_NextPriorityUsed()
    {
        await using var dns = TestDnsServer.Start();
        var portA = RookeryProcess.FreePort();
        var portB = RookeryProcess.FreePort();
        var dead = RookeryProcess.FreePort();
        dns.AddSrv($"_xmpp-server._tcp.{DomainB}", 0, 0, (ushort)dead, $"down.{DomainB}");
        dns.AddAddress($"down.{DomainB}", IPAddress.Loopback);
        dns.AddSrv($"_xmpp-server._tcp.{DomainB}", 10, 0, (ushort)portB, $"up.{DomainB}");
        dns.AddAddress($"up.{DomainB}", IPAddress.Loopback);
        dns.AddSrv($"_xmpp-server._tcp.{DomainA}", 0, 0, (ushort)portA, $"xmpp.{DomainA}");
        dns.AddAddress($"xmpp.{DomainA}", IPAddress.Loopback);
        await using var a = await StartAsync(DomainA, portA, dns);
        await using var b = await StartAsync(DomainB, portB, dns);
        await a.CreateUserAsync("alice");
        await b.CreateUserAsync("bob");
        await using var alice = await a.LoginAsync("alice");
        await using var bob = await b.LoginAsync("bob");

        await alice.SendAsync($"<message to='bob@{DomainB}/test' id='p1'><body>second choice</body></message>");

        await bob.WaitForAsync(e => e.GetAttribute("id") == "p1", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Message_SrvTargetDot_BouncedRemoteServerNotFound()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddSrv("_xmpp-server._tcp.nofed.test", 0, 0, 0, ".");
        // The domain's own address would accept: RFC 6120 §3.2.1 forbids the fallback after a "." target.
        dns.AddAddress("nofed.test", IPAddress.Loopback);
        await using var a = await StartAsync(DomainA, 0, dns);
        await a.CreateUserAsync("alice");
        await using var alice = await a.LoginAsync("alice");

        await alice.SendAsync("<message to='carol@nofed.test' id='d1'><body>x</body></message>");
        var bounce = await alice.WaitForAsync(e => e.GetAttribute("id") == "d1", TimeSpan.FromSeconds(30));

        bounce.GetAttribute("type").Should().Be("error");
        bounce.Child("error", Ns.Client)!.Child("remote-server-not-found", Ns.StanzaErrors).Should().NotBeNull();
        dns.QuestionsFor("nofed.test").Should().Be(0, "no address is looked up when the service is decidedly absent");
    }

    [Fact]
    public async Task Message_NoSrvRecords_FallsBackToDomainAddress()
    {
        // NXDOMAIN for the SRV name, then the domain's A record on port 5269 (RFC 6120 §3.2.2): taken here only when
        // the port is free, as nothing else may be assumed about a shared machine's port 5269.
        await using var dns = TestDnsServer.Start(IPAddress.Loopback);
        dns.AddAddress(DomainB, IPAddress.Loopback);
        await using var a = await StartAsync(DomainA, 0, dns);
        await a.CreateUserAsync("alice");
        await using var alice = await a.LoginAsync("alice");

        await alice.SendAsync($"<message to='bob@{DomainB}' id='f1'><body>x</body></message>");
        await alice.WaitForAsync(e => e.GetAttribute("id") == "f1", TimeSpan.FromSeconds(30));

        dns.QuestionsFor($"_xmpp-server._tcp.{DomainB}").Should().Be(1);
        dns.QuestionsFor(DomainB).Should().BeGreaterThan(0, "the fallback looks up the domain's own address");
        a.Logs.Entries.Should().Contain(e => e.Message.Contains($"connecting to {DomainB} at 127.0.0.1:5269", StringComparison.Ordinal)
            || e.Message.Contains($"connected to {DomainB} at {DomainB}", StringComparison.Ordinal));
    }

    private static Task<TestServer> StartAsync(string domain, int s2sPort, TestDnsServer dns) =>
        TestServer.StartFederatingAsync(domain, s2sPort, new S2sOptions
        {
            Enabled = true,
            DialbackSecret = "secret-of-" + domain,
            DnsServers = [dns.Address],
            ConnectTimeoutSeconds = 20,
        });
}
