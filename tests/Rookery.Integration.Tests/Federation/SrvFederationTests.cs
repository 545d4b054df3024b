using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation;

/// <summary>
/// Federation where a server finds its peer only through DNS (RFC 6120 §3.2.1): no static route, the peer's
/// <c>_xmpp-server._tcp</c> or <c>_xmpps-server._tcp</c> (XEP-0368) SRV records and their targets' A records served by
/// an in-test responder (<c>S2S:DnsServers</c>); targets that fail after TCP accepted are passed over for the next.
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

    [Fact]
    public async Task Message_PeersPublishOnlyXmppsServer_DeliveredBothWaysOverIncomingDirectTls()
    {
        await using var dns = TestDnsServer.Start();
        var tlsA = RookeryProcess.FreePort();
        var tlsB = RookeryProcess.FreePort();
        // XEP-0368: each domain publishes only its direct TLS service, on the listener that starts TLS before any XML;
        // the STARTTLS listeners are on ports nobody is told about.
        dns.AddSrv($"_xmpps-server._tcp.{DomainA}", 0, 0, (ushort)tlsA, $"xmpp.{DomainA}");
        dns.AddAddress($"xmpp.{DomainA}", IPAddress.Loopback);
        dns.AddSrv($"_xmpps-server._tcp.{DomainB}", 0, 0, (ushort)tlsB, $"xmpp.{DomainB}");
        dns.AddAddress($"xmpp.{DomainB}", IPAddress.Loopback);
        await using var a = await StartAsync(DomainA, 0, dns, s2sDirectTlsPort: tlsA);
        await using var b = await StartAsync(DomainB, 0, dns, s2sDirectTlsPort: tlsB);
        await a.CreateUserAsync("alice");
        await b.CreateUserAsync("bob");
        await using var alice = await a.LoginAsync("alice");
        await using var bob = await b.LoginAsync("bob");

        await alice.SendAsync($"<message to='bob@{DomainB}/test' id='x1'><body>direct tls in</body></message>");
        (await bob.WaitForAsync(e => e.GetAttribute("id") == "x1", TimeSpan.FromSeconds(30))).GetAttribute("from").Should().Be($"alice@{DomainA}/test");
        await bob.SendAsync($"<message to='alice@{DomainA}/test' id='x2'><body>and back</body></message>");
        (await alice.WaitForAsync(e => e.GetAttribute("id") == "x2", TimeSpan.FromSeconds(30))).GetAttribute("from").Should().Be($"bob@{DomainB}/test");

        foreach (var (server, local, remote, port) in new[] { (a, DomainA, DomainB, tlsB), (b, DomainB, DomainA, tlsA) })
        {
            server.Logs.Entries.Should().Contain(e => e.Message.Contains($"connected to {remote} at xmpp.{remote} (127.0.0.1:{port}, from SRV xmpps-server)", StringComparison.Ordinal));
            server.Logs.Entries.Should().Contain(e => e.Message.Contains($"S2S {local} -> {remote}: verified by dialback (TLS: True)", StringComparison.Ordinal));
        }

        // The receiving side took the host from SNI and agreed on the protocol by ALPN (XEP-0368 §4).
        b.Logs.Entries.Should().Contain(e => e.Message.Contains($"direct TLS established (SNI {DomainB}, ALPN 'xmpp-server')", StringComparison.Ordinal));
        a.Logs.Entries.Should().Contain(e => e.Message.Contains($"direct TLS established (SNI {DomainA}, ALPN 'xmpp-server')", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DirectTlsListener_StreamAfterHandshake_OffersDialbackWithoutStartTls()
    {
        await using var dns = TestDnsServer.Start();
        await using var b = await StartAsync(DomainB, 0, dns, s2sDirectTlsPort: RookeryProcess.FreePort());
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, b.S2sDirectTlsPort);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = DomainB,
            ApplicationProtocols = [new SslApplicationProtocol("xmpp-server")],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });

        tls.NegotiatedApplicationProtocol.ToString().Should().Be("xmpp-server");
        ((X509Certificate2)tls.RemoteCertificate!).GetNameInfo(X509NameType.DnsName, false).Should().Be(DomainB, "SNI picks the host's certificate");
        await tls.WriteAsync(Encoding.UTF8.GetBytes(
            $"<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' to='{DomainB}' from='{DomainA}' version='1.0'>"));
        var features = await ReadUntilAsync(tls, "</stream:features>");

        features.Should().Contain("urn:xmpp:features:dialback");
        features.Should().NotContain("urn:ietf:params:xml:ns:xmpp-tls", "TLS is already in place: STARTTLS is not offered");
    }

    [Theory]
    [InlineData("xmpps-server", "garbage")]
    [InlineData("xmpp-server", "close")]
    public async Task Message_FirstSrvTargetFailsAfterTcp_NextTargetUsed(string failingService, string behaviour)
    {
        await using var dns = TestDnsServer.Start();
        await using var broken = BrokenListener.Start(behaviour == "garbage");
        var portA = RookeryProcess.FreePort();
        var portB = RookeryProcess.FreePort();
        // The first target accepts TCP, then fails the TLS handshake (bytes that are not TLS) or the stream (closed before
        // any XML); RFC 6120 §3.2.1 and XEP-0368 §3: the next target is tried, here from xmpps-server to xmpp-server.
        dns.AddSrv($"_{failingService}._tcp.{DomainB}", 0, 0, (ushort)broken.Port, $"broken.{DomainB}");
        dns.AddAddress($"broken.{DomainB}", IPAddress.Loopback);
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

        await alice.SendAsync($"<message to='bob@{DomainB}/test' id='n1'><body>second target</body></message>");

        (await bob.WaitForAsync(e => e.GetAttribute("id") == "n1", TimeSpan.FromSeconds(30))).GetAttribute("from").Should().Be($"alice@{DomainA}/test");
        broken.Accepted.Should().Be(1);
        a.Logs.Entries.Should().Contain(e => e.Message.Contains($"S2S {DomainA} -> {DomainB}: broken.{DomainB} (127.0.0.1:{broken.Port}, SRV {failingService}) failed before the stream was set up; trying the next connection point", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Message_EveryTargetFailsTls_BouncedOnceRemoteServerNotFound()
    {
        await using var dns = TestDnsServer.Start();
        await using var broken = BrokenListener.Start(sendGarbage: true);
        dns.AddSrv($"_xmpps-server._tcp.{DomainB}", 0, 0, (ushort)broken.Port, $"broken.{DomainB}");
        dns.AddAddress($"broken.{DomainB}", IPAddress.Loopback);
        await using var a = await StartAsync(DomainA, 0, dns);
        await a.CreateUserAsync("alice");
        await using var alice = await a.LoginAsync("alice");

        await alice.SendAsync($"<message to='bob@{DomainB}' id='e1'><body>x</body></message>");
        var bounce = await alice.WaitForAsync(e => e.GetAttribute("id") == "e1", TimeSpan.FromSeconds(30));

        bounce.GetAttribute("type").Should().Be("error");
        var error = bounce.Child("error", Ns.Client)!;
        error.Child("remote-server-not-found", Ns.StanzaErrors).Should().NotBeNull();
        error.ChildText("text", Ns.StanzaErrors).Should().Contain("TLS handshake failed", "the bounce names the most telling failure, not the missing fallback address");
        broken.Accepted.Should().Be(1, "each connection point is tried once");
    }

    private static async Task<string> ReadUntilAsync(Stream stream, string end)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!text.ToString().Contains(end, StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    private static Task<TestServer> StartAsync(string domain, int s2sPort, TestDnsServer dns, int? s2sDirectTlsPort = null) =>
        TestServer.StartFederatingAsync(domain, s2sPort, new S2sOptions
        {
            Enabled = true,
            DialbackSecret = "secret-of-" + domain,
            DnsServers = [dns.Address],
            ConnectTimeoutSeconds = 20,
        }, s2sDirectTlsPort);

    /// <summary>A connection point that accepts TCP and then fails: bytes that are not TLS, or a close before any byte.</summary>
    private sealed class BrokenListener : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly bool _sendGarbage;
        private readonly Task _accepting;
        private int _accepted;

        private BrokenListener(bool sendGarbage)
        {
            _sendGarbage = sendGarbage;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Accepted => Volatile.Read(ref _accepted);

        public static BrokenListener Start(bool sendGarbage) => new(sendGarbage);

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    Interlocked.Increment(ref _accepted);
                    if (_sendGarbage)
                    {
                        await client.GetStream().WriteAsync("this is not TLS\r\n\r\n"u8.ToArray());
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                // Stopped.
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _accepting;
        }
    }
}
