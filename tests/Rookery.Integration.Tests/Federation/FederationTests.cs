using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation;

/// <summary>
/// Two in-process Rookery servers of different domains federating over real sockets with static routes (RFC 6120
/// server-to-server streams, XEP-0220 Server Dialback): messages, subscriptions and iqs both ways, bounces when the peer
/// is down or silent, and a peer that forges its 'from' or its key.
/// </summary>
[Trait("Category", "Slow")]
public sealed class FederationTests
{
    private const string DomainA = "a.test";
    private const string DomainB = "b.test";
    private const string SecretA = "dialback-secret-of-a";
    private const string SecretB = "dialback-secret-of-b";

    [Fact]
    public async Task Message_AcrossServers_DeliveredBothWays()
    {
        await using var pair = await FederatedPair.StartAsync();
        await using var alice = await pair.A.LoginAsync("alice");
        await using var bob = await pair.B.LoginAsync("bob");

        await alice.SendAsync($"<message to='bob@{DomainB}/test' type='chat' id='m1'><body>hello from a</body></message>");
        var got = await bob.WaitForAsync(e => e.Name == "message" && e.ChildText("body", Ns.Client) == "hello from a");
        got.GetAttribute("from").Should().Be($"alice@{DomainA}/test");

        await bob.SendAsync($"<message to='alice@{DomainA}/test' type='chat' id='m2'><body>hello from b</body></message>");
        var reply = await alice.WaitForAsync(e => e.Name == "message" && e.ChildText("body", Ns.Client) == "hello from b");
        reply.GetAttribute("from").Should().Be($"bob@{DomainB}/test");

        var routesA = pair.A.Services.GetRequiredService<S2SManager>().OutgoingRoutes;
        routesA.Should().ContainSingle(r => r.Local == DomainA && r.Remote == DomainB && r.Verified);
        // STARTTLS was offered and used (self-signed peer certificates are accepted by default, dialback authenticates).
        pair.A.Logs.Entries.Should().Contain(e => e.Message.Contains($"S2S {DomainA} -> {DomainB}: verified by dialback (TLS: True)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PresenceSubscription_AcrossServers_SubscribedAndPresenceDelivered()
    {
        await using var pair = await FederatedPair.StartAsync();
        await using var alice = await pair.A.LoginAsync("alice");
        await using var bob = await pair.B.LoginAsync("bob");

        await alice.SendAsync($"<presence to='bob@{DomainB}' type='subscribe'/>");
        var request = await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("type") == "subscribe");
        request.GetAttribute("from").Should().Be($"alice@{DomainA}");

        await bob.SendAsync($"<presence to='alice@{DomainA}' type='subscribed'/>");
        await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("type") == "subscribed" && e.GetAttribute("from") == $"bob@{DomainB}");
        // RFC 6121 §3.1.5: after approving, the contact's server sends the contact's current presence.
        await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("type") is null && e.GetAttribute("from") == $"bob@{DomainB}/test");
    }

    [Fact]
    public async Task Iq_ToRemoteServer_ResultComesBack()
    {
        await using var pair = await FederatedPair.StartAsync();
        await using var alice = await pair.A.LoginAsync("alice");

        await alice.SendAsync($"<iq type='get' to='{DomainB}' id='ping1'><ping xmlns='urn:xmpp:ping'/></iq>");
        var result = await alice.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "ping1");

        result.GetAttribute("type").Should().Be("result");
        result.GetAttribute("from").Should().Be(DomainB);
    }

    [Fact]
    public async Task Message_RemoteDown_BouncedRemoteServerNotFound()
    {
        // Nothing listens on the routed port: the connection is refused.
        var deadPort = RookeryProcess.FreePort();
        await using var a = await StartServerAsync(DomainA, SecretA, DomainB, deadPort);
        await a.CreateUserAsync("alice");
        await using var alice = await a.LoginAsync("alice");

        await alice.SendAsync($"<message to='bob@{DomainB}' id='lost1'><body>anyone?</body></message>");
        var bounce = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "lost1");

        bounce.GetAttribute("type").Should().Be("error");
        bounce.Child("error", Ns.Client)!.Child("remote-server-not-found", Ns.StanzaErrors).Should().NotBeNull();
        a.Services.GetRequiredService<S2SManager>().OutgoingRoutes.Should().BeEmpty("a failed stream leaves the table");
    }

    [Fact]
    public async Task Message_RemoteSilent_BouncedRemoteServerTimeout()
    {
        // A peer that accepts the connection but never answers the stream header.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var a = await StartServerAsync(DomainA, SecretA, DomainB, port, connectTimeoutSeconds: 2);
        await a.CreateUserAsync("alice");
        await using var alice = await a.LoginAsync("alice");

        await alice.SendAsync($"<message to='bob@{DomainB}' id='slow1'><body>hello?</body></message>");
        await alice.SendAsync($"<iq type='get' to='bob@{DomainB}' id='slow2'><ping xmlns='urn:xmpp:ping'/></iq>");
        var first = await alice.WaitForAsync(e => e.GetAttribute("id") == "slow1", TimeSpan.FromSeconds(20));
        var second = await alice.WaitForAsync(e => e.GetAttribute("id") == "slow2", TimeSpan.FromSeconds(20));

        foreach (var bounce in new[] { first, second })
        {
            bounce.GetAttribute("type").Should().Be("error");
            bounce.Child("error", Ns.Client)!.Child("remote-server-timeout", Ns.StanzaErrors).Should().NotBeNull("every queued stanza bounces, none vanishes");
        }
    }

    [Fact]
    public async Task ForgedFrom_AfterValidDialback_InvalidFromStreamError()
    {
        await using var pair = await FederatedPair.StartAsync();
        await using var alice = await pair.A.LoginAsync("alice");
        // A raw peer claiming b.test, with a key only b.test's secret can make: A checks it with the real B.
        await using var peer = await OpenPeerStreamAsync(pair.A, from: DomainB, to: DomainA);
        var key = new DialbackKeys(SecretB).Generate(DomainA, DomainB, peer.StreamHeader!.GetAttribute("id")!);
        await peer.SendAsync($"<db:result from='{DomainB}' to='{DomainA}'>{key}</db:result>");
        var verdict = await peer.WaitForAsync(e => e.Name == "result" && e.Namespace == Ns.Dialback);
        verdict.GetAttribute("type").Should().Be("valid");

        // Verified for b.test: a stanza from b.test passes...
        await peer.SendAsync($"<message from='carol@{DomainB}/x' to='alice@{DomainA}' id='ok1'><body>legit</body></message>");
        await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "ok1");
        // ...one from a domain never verified on this stream ends it (RFC 6120 §4.9.3.9).
        await peer.SendAsync($"<message from='mallory@evil.test' to='alice@{DomainA}' id='forged1'><body>trust me</body></message>");

        (await peer.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.InvalidFrom);
        await alice.ExpectNothingAsync(TimeSpan.FromMilliseconds(500), e => e.GetAttribute("id") == "forged1");
    }

    [Fact]
    public async Task Dialback_WrongKey_InvalidAndStanzasRefused()
    {
        await using var pair = await FederatedPair.StartAsync();
        await using var peer = await OpenPeerStreamAsync(pair.A, from: DomainB, to: DomainA);
        var wrongKey = new DialbackKeys("not-the-secret-of-b").Generate(DomainA, DomainB, peer.StreamHeader!.GetAttribute("id")!);

        await peer.SendAsync($"<db:result from='{DomainB}' to='{DomainA}'>{wrongKey}</db:result>");
        var verdict = await peer.WaitForAsync(e => e.Name == "result" && e.Namespace == Ns.Dialback);
        verdict.GetAttribute("type").Should().Be("invalid");

        await peer.SendAsync($"<message from='carol@{DomainB}' to='alice@{DomainA}'><body>x</body></message>");
        (await peer.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.NotAuthorized);
    }

    [Fact]
    public async Task Header_UnknownHost_HostUnknownStreamError()
    {
        await using var a = await StartServerAsync(DomainA, SecretA, DomainB, RookeryProcess.FreePort());
        await using var peer = await RawXmppClient.ConnectAsync("127.0.0.1", a.S2sPort, "nobody.test");
        await peer.SendAsync(ServerHeader(DomainB, "nobody.test"));

        (await peer.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.HostUnknown);
    }

    [Fact]
    public async Task Header_ClientNamespace_InvalidNamespaceStreamError()
    {
        await using var a = await StartServerAsync(DomainA, SecretA, DomainB, RookeryProcess.FreePort());
        await using var peer = await RawXmppClient.ConnectAsync("127.0.0.1", a.S2sPort, DomainA);
        await peer.SendAsync($"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{DomainA}' version='1.0'>");

        (await peer.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.InvalidNamespace);
    }

    [Fact]
    public async Task Verify_KeyOfThisServer_ValidElseInvalid()
    {
        await using var a = await StartServerAsync(DomainA, SecretA, DomainB, RookeryProcess.FreePort());
        await using var peer = await OpenPeerStreamAsync(a, from: DomainB, to: DomainA);
        var key = new DialbackKeys(SecretA).Generate(DomainB, DomainA, "stream-1");

        // XEP-0220 §2.1.3: A is the authoritative server of a.test, asked by the receiving server b.test.
        await peer.SendAsync($"<db:verify from='{DomainB}' to='{DomainA}' id='stream-1'>{key}</db:verify>");
        var valid = await peer.WaitForAsync(e => e.Name == "verify" && e.Namespace == Ns.Dialback);
        await peer.SendAsync($"<db:verify from='{DomainB}' to='{DomainA}' id='stream-2'>{key}</db:verify>");
        var invalid = await peer.WaitForAsync(e => e.Name == "verify" && e.Namespace == Ns.Dialback);

        valid.GetAttribute("type").Should().Be("valid");
        valid.GetAttribute("from").Should().Be(DomainA);
        valid.GetAttribute("to").Should().Be(DomainB);
        valid.GetAttribute("id").Should().Be("stream-1");
        invalid.GetAttribute("type").Should().Be("invalid", "the key is bound to the stream id");
    }

    [Fact]
    public async Task Features_OfferStartTlsAndDialback_TlsRestartWorks()
    {
        await using var a = await StartServerAsync(DomainA, SecretA, DomainB, RookeryProcess.FreePort());
        await using var peer = await RawXmppClient.ConnectAsync("127.0.0.1", a.S2sPort, DomainA);
        await peer.SendAsync(ServerHeader(DomainB, DomainA));
        var features = await peer.ExpectAsync("features", Ns.Streams);

        features.Child("starttls", Ns.Tls).Should().NotBeNull();
        features.Child("dialback", Ns.DialbackFeature).Should().NotBeNull();
    }

    [Fact]
    public async Task Features_AdvertiseStreamLimits_ParserLimitAndIdleTimeout()
    {
        await using var a = await StartServerAsync(DomainA, SecretA, DomainB, RookeryProcess.FreePort(), idleTimeoutSeconds: 77);
        await using var peer = await RawXmppClient.ConnectAsync("127.0.0.1", a.S2sPort, DomainA);
        await peer.SendAsync(ServerHeader(DomainB, DomainA));
        var features = await peer.ExpectAsync("features", Ns.Streams);

        // XEP-0478: the parser's limit on one stanza and the idle sweep's S2S:IdleTimeoutSeconds.
        var limits = features.Child("limits", "urn:xmpp:stream-limits:0");
        limits.Should().NotBeNull();
        limits!.Child("max-bytes", "urn:xmpp:stream-limits:0")!.Text.Should().Be("262144");
        limits.Child("idle-seconds", "urn:xmpp:stream-limits:0")!.Text.Should().Be("77");
    }

    [Fact]
    public async Task IdleOutgoingStream_ClosedAfterTimeout_NextMessageOpensANewOne()
    {
        await using var pair = await FederatedPair.StartAsync(idleTimeoutSeconds: 1);
        await using var alice = await pair.A.LoginAsync("alice");
        await using var bob = await pair.B.LoginAsync("bob");
        var s2s = pair.A.Services.GetRequiredService<S2SManager>();

        await alice.SendAsync($"<message to='bob@{DomainB}/test' id='i1'><body>one</body></message>");
        await bob.WaitForAsync(e => e.GetAttribute("id") == "i1");
        await Eventually.TrueAsync(() => s2s.OutgoingRoutes.Count == 0, "the idle outgoing route is closed", TimeSpan.FromSeconds(20));

        await alice.SendAsync($"<message to='bob@{DomainB}/test' id='i2'><body>two</body></message>");
        await bob.WaitForAsync(e => e.GetAttribute("id") == "i2");
    }


    private static string ServerHeader(string from, string to) =>
        $"<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' xmlns:stream='http://etherx.jabber.org/streams' from='{from}' to='{to}' version='1.0'>";

    /// <summary>Opens a raw server stream (no TLS) to <paramref name="server"/>'s s2s port and waits for its features.</summary>
    private static async Task<RawXmppClient> OpenPeerStreamAsync(TestServer server, string from, string to)
    {
        var peer = await RawXmppClient.ConnectAsync("127.0.0.1", server.S2sPort, to);
        await peer.SendAsync(ServerHeader(from, to));
        await peer.ExpectAsync("features", Ns.Streams);
        return peer;
    }

    internal static Task<TestServer> StartServerAsync(string domain, string secret, string peer, int peerPort, int s2sPort = 0, int connectTimeoutSeconds = 20, int idleTimeoutSeconds = 600) =>
        TestServer.StartFederatingAsync(domain, s2sPort, new S2sOptions
        {
            Enabled = true,
            DialbackSecret = secret,
            Routes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [peer] = $"127.0.0.1:{peerPort}" },
            ConnectTimeoutSeconds = connectTimeoutSeconds,
            IdleTimeoutSeconds = idleTimeoutSeconds,
        });

    /// <summary>Servers of a.test and b.test, each with a static route to the other's s2s port and one user.</summary>
    private sealed class FederatedPair : IAsyncDisposable
    {
        private FederatedPair(TestServer a, TestServer b)
        {
            A = a;
            B = b;
        }

        public TestServer A { get; }

        public TestServer B { get; }

        public static async Task<FederatedPair> StartAsync(int idleTimeoutSeconds = 600)
        {
            var portA = RookeryProcess.FreePort();
            var portB = RookeryProcess.FreePort();
            var a = await StartServerAsync(DomainA, SecretA, DomainB, portB, portA, idleTimeoutSeconds: idleTimeoutSeconds);
            var b = await StartServerAsync(DomainB, SecretB, DomainA, portA, portB, idleTimeoutSeconds: idleTimeoutSeconds);
            await a.CreateUserAsync("alice");
            await b.CreateUserAsync("bob");
            return new FederatedPair(a, b);
        }

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }
}
