using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Hosting;
using Rookery.Integration.Tests.Modules;
using Rookery.Modules.Proxy65;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Proxy65;

/// <summary>
/// SOCKS5 Bytestreams mediated connections (XEP-0065) over real sockets: clients find <c>proxy.&lt;host&gt;</c> and its
/// streamhost over XMPP, connect raw SOCKS5 sockets to the node's proxy listener, and the requester's activation makes
/// the proxy relay between them; every refusal on both sides.
/// </summary>
public sealed class Proxy65Tests
{
    private const string Ns = "http://jabber.org/protocol/bytestreams";
    private const string Sid = "vxf9n471bn46";

    [Fact]
    public async Task DiscoItemsAndInfo_ProxyListedWithProxyBytestreamsIdentityAndFeature()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var items = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var info = (await alice.GetAsync(Proxy(server), "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;

        items.Elements().Should().Contain(e => e.GetAttribute("jid") == Proxy(server) && e.GetAttribute("name") == Proxy65Service.DisplayName);
        var identity = info.Elements().Single(e => e.Name == "identity");
        (identity.GetAttribute("category"), identity.GetAttribute("type")).Should().Be(("proxy", "bytestreams"));
        info.Elements().Where(e => e.Name == "feature").Select(e => e.GetAttribute("var")).Should().Contain(Ns);
    }

    [Fact]
    public async Task StreamHostQuery_NamesTheProxyJidAndThisNodesListener()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var streamHost = await StreamHostAsync(alice, server);
        await using var probe = await Socks5TestClient.OpenAsync(streamHost.Port);

        streamHost.Jid.Should().Be(Proxy(server));
        streamHost.Host.Should().Be("127.0.0.1", "the listener is bound to that address");
        streamHost.Port.Should().BeGreaterThan(0);
        (await probe.GreetAsync(0)).Should().Equal(5, 0);
    }

    [Fact]
    public async Task MediatedTransfer_OneMebibyteEachWay_BytesIntact_ClosingOneSideClosesTheOther()
    {
        await using var scene = await Scene.StartAsync();
        var (target, targetReply) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (initiator, initiatorReply) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;
        await using var i = initiator;

        (await scene.ActivateAsync()).ShouldBeResult();
        var upload = RandomBytes(1024 * 1024);
        var download = RandomBytes(1024 * 1024);
        // Both directions at once: neither side reads before it has written everything, so the relay must not block one
        // direction on the other.
        var received = target.ReadExactlyAsync(upload.Length);
        var returned = initiator.ReadExactlyAsync(download.Length);
        await Task.WhenAll(initiator.SendAsync(upload), target.SendAsync(download));

        targetReply.Should().Be(0);
        initiatorReply.Should().Be(0);
        (await received).Should().Equal(upload);
        (await returned).Should().Equal(download);
        initiator.ShutdownSend();
        (await target.ClosedByProxyAsync()).Should().BeTrue("the proxy closes the target's side when the initiator's ends");
        (await initiator.ClosedByProxyAsync()).Should().BeTrue("and then the initiator's own");
        await Eventually.TrueAsync(
            () => scene.Server.Logs.Entries.Any(e => e.EventId.Id == 5510 && e.Message.Contains("1048576 bytes relayed from the target, 1048576 from the requester", StringComparison.Ordinal)),
            "the proxy logs the ended stream with the bytes of each direction");
        scene.Registry.Count.Should().Be(0, "the ended stream is forgotten before it is logged");
    }

    [Fact]
    public async Task EarlyBytesBeforeActivation_KeptAndRelayedAfterActivation()
    {
        await using var scene = await Scene.StartAsync();
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;
        await using var i = initiator;

        await initiator.SendAsync("sent before activation"u8.ToArray());
        (await scene.ActivateAsync()).ShouldBeResult();
        await initiator.SendAsync(" and after"u8.ToArray());

        Encoding.ASCII.GetString(await target.ReadExactlyAsync(32)).Should().Be("sent before activation and after");
    }

    [Fact]
    public async Task Activate_BeforeTheSecondConnection_NotAllowed_ThenActivatedOnceBothAreThere()
    {
        await using var scene = await Scene.StartAsync();
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;

        var early = await scene.ActivateAsync();
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var i = initiator;
        var onTime = await scene.ActivateAsync();
        var again = await scene.ActivateAsync();

        early.ShouldBeError(StanzaErrorCondition.NotAllowed);
        early.Child("error", "jabber:client")!.GetAttribute("type").Should().Be("cancel");
        onTime.ShouldBeResult();
        again.ShouldBeError(StanzaErrorCondition.NotAllowed);
        await initiator.SendAsync([1, 2, 3]);
        (await target.ReadExactlyAsync(3)).Should().Equal(1, 2, 3);
    }

    [Fact]
    public async Task Activate_UnknownSid_ItemNotFound()
    {
        await using var scene = await Scene.StartAsync();
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;
        await using var i = initiator;

        var reply = await scene.ActivateAsync(sid: "another-sid");

        reply.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await scene.ActivateAsync()).ShouldBeResult(); // the stream itself is still there for its requester
    }

    [Fact]
    public async Task Activate_ByAnotherUserThanTheRequester_ItemNotFound_NoBytesFlow()
    {
        await using var scene = await Scene.StartAsync();
        await scene.Server.CreateUserAsync("carol");
        await using var carol = await scene.Server.LoginAsync("carol", resource: "c");
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;
        await using var i = initiator;

        // carol names alice's stream (same sid and target), but the hash with her JID is another stream (XEP-0065 §6.3.5).
        var reply = await carol.SetAsync(Proxy(scene.Server), Activation(Sid, scene.Bob.Jid!.ToString()));
        await initiator.SendAsync([42]);

        reply.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        (await target.ClosedByProxyAsync(TimeSpan.FromMilliseconds(300))).Should().BeFalse("nothing is relayed and nothing closed before the requester activates");
        (await scene.ActivateAsync()).ShouldBeResult();
        (await target.ReadExactlyAsync(1)).Should().Equal(42);
    }

    [Fact]
    public async Task ConnectionWithAnotherHash_IsAnotherStream_NotPairedWithTheFirst()
    {
        await using var scene = await Scene.StartAsync();
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var wrongHash = StreamHash.Compute(Sid, scene.Alice.Jid!, scene.Alice.Jid!);
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, wrongHash);
        await using var t = target;
        await using var i = initiator;

        (await scene.ActivateAsync()).ShouldBeError(StanzaErrorCondition.NotAllowed);
        scene.Registry.Count.Should().Be(2);
    }

    [Fact]
    public async Task ThirdConnectionForAStream_RefusedWithNotAllowedByRuleset_AndClosed()
    {
        await using var scene = await Scene.StartAsync();
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (third, reply) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;
        await using var i = initiator;
        await using var x = third;

        reply.Should().Be((byte)Socks5ReplyCode.NotAllowedByRuleset);
        (await third.ClosedByProxyAsync()).Should().BeTrue();
        (await scene.ActivateAsync()).ShouldBeResult(); // the first two are untouched
    }

    [Fact]
    public async Task UnpairedConnection_ClosedAfterTheActivationTimeout_AndForgotten()
    {
        await using var scene = await Scene.StartAsync(activationTimeoutSeconds: 1);
        var (target, reply) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;

        reply.Should().Be(0);
        (await target.ClosedByProxyAsync(TimeSpan.FromSeconds(10))).Should().BeTrue();
        scene.Registry.Count.Should().Be(0);
        (await scene.ActivateAsync()).ShouldBeError(StanzaErrorCondition.ItemNotFound);
        scene.Server.Logs.Entries.Should().Contain(e => e.EventId.Id == 5509);
    }

    [Fact]
    public async Task PairedButNeverActivated_BothClosedAfterTheTimeout()
    {
        await using var scene = await Scene.StartAsync(activationTimeoutSeconds: 1);
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;
        await using var i = initiator;

        (await target.ClosedByProxyAsync()).Should().BeTrue();
        (await initiator.ClosedByProxyAsync()).Should().BeTrue();
        await Eventually.TrueAsync(() => scene.Registry.Count == 0, "both left the stream");
    }

    [Fact]
    public async Task ConnectionThatLeavesBeforeActivation_Forgotten_ActivationNotAllowed()
    {
        await using var scene = await Scene.StartAsync();
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var i = initiator;

        await target.DisposeAsync();
        await Eventually.TrueAsync(() => scene.Server.Logs.Entries.Any(e => e.EventId.Id == 5508), "the proxy notices the target left");

        (await scene.ActivateAsync()).ShouldBeError(StanzaErrorCondition.NotAllowed);
        var (again, reply) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var a = again;
        reply.Should().Be(0, "the target may connect again: its old connection left the stream");
        (await scene.ActivateAsync()).ShouldBeResult();
    }

    public static TheoryData<string, byte[], byte[]> BadRequests => new()
    {
        // name, request after a good greeting, expected reply (VER REP RSV ATYP=IPv4 0.0.0.0:0)
        { "BIND command", Socks5TestClient.Request(Hash64(), command: 2), Refusal(Socks5ReplyCode.CommandNotSupported) },
        { "UDP ASSOCIATE", Socks5TestClient.Request(Hash64(), command: 3), Refusal(Socks5ReplyCode.CommandNotSupported) },
        { "IPv4 address", [5, 1, 0, 1, 127, 0, 0, 1, 0, 0], Refusal(Socks5ReplyCode.AddressTypeNotSupported) },
        { "not a hash", Socks5TestClient.Request("proxy.localhost"), Refusal(Socks5ReplyCode.HostUnreachable) },
        { "port 7777", Socks5TestClient.Request(Hash64(), port: 7777), Refusal(Socks5ReplyCode.NotAllowedByRuleset) },
        { "version 4 request", [4, 1, 0, 3, 1, (byte)'a', 0, 0], Refusal(Socks5ReplyCode.GeneralFailure) },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadSocksRequest_AnsweredWithItsReplyCode_ThenClosed(string name, byte[] request, byte[] expected)
    {
        await using var scene = await Scene.StartAsync();
        await using var client = await Socks5TestClient.OpenAsync(scene.Port);
        (await client.GreetAsync(0)).Should().Equal(5, 0);

        var reply = await client.RequestAsync(request);

        reply.Should().Equal(expected, name);
        (await client.ClosedByProxyAsync()).Should().BeTrue(name);
        scene.Registry.Count.Should().Be(0);
    }

    [Fact]
    public async Task GreetingWithoutNoAuthentication_NoAcceptableMethods_ThenClosed()
    {
        await using var scene = await Scene.StartAsync();
        await using var client = await Socks5TestClient.OpenAsync(scene.Port);

        var answer = await client.GreetAsync(2); // username/password only

        answer.Should().Equal(5, 0xFF);
        (await client.ClosedByProxyAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task NotSocks5_ClosedWithoutReply()
    {
        await using var scene = await Scene.StartAsync();
        await using var client = await Socks5TestClient.OpenAsync(scene.Port);

        await client.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());

        (await client.ClosedByProxyAsync()).Should().BeTrue();
    }

    [Fact]
    public async Task GreetingAndRequestInOnePacket_BothAnswered()
    {
        await using var scene = await Scene.StartAsync();
        await using var client = await Socks5TestClient.OpenAsync(scene.Port);

        await client.SendAsync([5, 1, 0, .. Socks5TestClient.Request(scene.Hash)]);

        (await client.ReadExactlyAsync(2)).Should().Equal(5, 0);
        (await client.ReadReplyAsync())[..2].Should().Equal(5, 0);
    }

    [Fact]
    public async Task ActivationWithoutSidOrTarget_BadRequest()
    {
        await using var scene = await Scene.StartAsync();

        var noSid = await scene.Alice.SetAsync(Proxy(scene.Server), $"<query xmlns='{Ns}'><activate>{scene.Bob.Jid}</activate></query>");
        var noActivate = await scene.Alice.SetAsync(Proxy(scene.Server), $"<query xmlns='{Ns}' sid='{Sid}'/>");
        var notAJid = await scene.Alice.SetAsync(Proxy(scene.Server), Activation(Sid, "@"));

        noSid.ShouldBeError(StanzaErrorCondition.BadRequest);
        noActivate.ShouldBeError(StanzaErrorCondition.BadRequest);
        notAJid.ShouldBeError(StanzaErrorCondition.BadRequest);
    }

    [Fact]
    public async Task UserOfAnotherHost_ForbiddenByDefault_AllowedWithAccessLocal()
    {
        await using var strict = await StartAsync(o => TwoHosts(o));
        await using var open = await StartAsync(o =>
        {
            TwoHosts(o);
            ModuleTestExtensions.SetInit(o.Modules.Proxy65, nameof(Proxy65Options.Access), Proxy65Options.LocalAccess);
        });
        await strict.CreateUserAsync("alice");
        await open.CreateUserAsync("alice");
        await using var strictAlice = await strict.LoginAsync("alice");
        await using var openAlice = await open.LoginAsync("alice");

        var query = await strictAlice.GetAsync("proxy.other.test", $"<query xmlns='{Ns}'/>");
        var activation = await strictAlice.SetAsync("proxy.other.test", Activation(Sid, "bob@other.test/b"));
        var ownQuery = await strictAlice.GetAsync("proxy.localhost", $"<query xmlns='{Ns}'/>");
        var allowed = await openAlice.GetAsync("proxy.other.test", $"<query xmlns='{Ns}'/>");

        query.ShouldBeError(StanzaErrorCondition.Forbidden);
        query.Child("error", "jabber:client")!.GetAttribute("type").Should().Be("auth");
        activation.ShouldBeError(StanzaErrorCondition.Forbidden);
        ownQuery.ShouldBeResult();
        allowed.ShouldBeResult();
    }

    [Fact]
    public async Task ActivationSentToAnotherNode_ItemNotFound_TheStreamStaysOnItsNode()
    {
        // Two nodes serving the same domain, as in a cluster: each proxy relays only the connections made to it, and the
        // requester's activation is handled by the node it is connected to.
        await using var scene = await Scene.StartAsync();
        await using var other = await StartAsync();
        await other.CreateUserAsync("alice", "secret");
        await using var aliceElsewhere = await other.LoginAsync("alice", resource: "a");
        var otherStreamHost = await StreamHostAsync(aliceElsewhere, other);
        var (target, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        var (initiator, _) = await Socks5TestClient.ConnectToStreamAsync(scene.Port, scene.Hash);
        await using var t = target;
        await using var i = initiator;

        var viaOtherNode = await aliceElsewhere.SetAsync(Proxy(other), Activation(Sid, scene.Bob.Jid!.ToString()));
        var viaOwnNode = await scene.ActivateAsync();

        otherStreamHost.Port.Should().NotBe(scene.Port, "each node names its own listener");
        aliceElsewhere.Jid.Should().Be(scene.Alice.Jid, "the same full JID, so the same hash");
        viaOtherNode.ShouldBeError(StanzaErrorCondition.ItemNotFound);
        viaOwnNode.ShouldBeResult();
    }

    [Fact]
    public async Task ModuleDisabled_NotListed_NoProxyDomain_NoListener()
    {
        await using var server = await StartAsync(o => o.DisabledModules.Add(Proxy65Module.ModuleName));
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var items = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;
        var query = await alice.GetAsync(Proxy(server), $"<query xmlns='{Ns}'/>");

        items.Elements().Should().NotContain(e => e.GetAttribute("jid") == Proxy(server));
        query.GetAttribute("type").Should().Be("error");
        server.Services.GetRequiredService<Proxy65Listener>().IsServed.Should().BeFalse();
    }

    [Fact]
    public async Task ListenerOffByDefault_NoProxyListed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var items = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#items'/>")).ShouldBeResult()!;

        items.Elements().Should().NotContain(e => e.GetAttribute("jid") == Proxy(server));
    }

    private static string Proxy(TestServer server) => $"proxy.{server.Domain}";

    private static string Activation(string sid, string target) =>
        $"<query xmlns='{Ns}' sid='{sid}'><activate>{target}</activate></query>";

    private static async Task<(string Jid, string Host, int Port)> StreamHostAsync(RawXmppClient client, TestServer server)
    {
        var query = (await client.GetAsync(Proxy(server), $"<query xmlns='{Ns}'/>")).ShouldBeResult()!;
        var streamHost = query.Child("streamhost", Ns)!;
        return (streamHost.GetAttribute("jid")!, streamHost.GetAttribute("host")!, int.Parse(streamHost.GetAttribute("port")!, CultureInfo.InvariantCulture));
    }

    private static void TwoHosts(RookeryOptions o)
    {
        o.Hosts["localhost"] = new HostOptions();
        o.Hosts["other.test"] = new HostOptions();
    }

    /// <summary>A server with the proxy listener on a free loopback port; <paramref name="configure"/> may change more.</summary>
    internal static Task<TestServer> StartAsync(Action<RookeryOptions>? configure = null) =>
        TestServer.StartAsync(o =>
        {
            o.Listeners = new ListenerOptions
            {
                Client = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                DirectTls = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                Component = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                Server = new EndpointOptions { Address = "127.0.0.1", Port = 0 },
                Http = new EndpointOptions { Enabled = false },
                Proxy65 = new EndpointOptions { Address = "127.0.0.1", Port = 0, Enabled = true },
            };
            configure?.Invoke(o);
        });

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static string Hash64() => new('a', StreamHash.Length);

    private static byte[] Refusal(Socks5ReplyCode code) => [5, (byte)code, 0, 1, 0, 0, 0, 0, 0, 0];

    /// <summary>A server with the proxy, alice (the requester, resource <c>a</c>) and bob (the target, <c>b</c>) logged in.</summary>
    private sealed class Scene : IAsyncDisposable
    {
        private Scene(TestServer server, RawXmppClient alice, RawXmppClient bob, int port)
        {
            Server = server;
            Alice = alice;
            Bob = bob;
            Port = port;
            Hash = StreamHash.Compute(Sid, alice.Jid!, bob.Jid!);
        }

        public TestServer Server { get; }

        public RawXmppClient Alice { get; }

        public RawXmppClient Bob { get; }

        /// <summary>The proxy port, as the streamhost query names it.</summary>
        public int Port { get; }

        /// <summary>SHA1(sid + alice's full JID + bob's full JID).</summary>
        public string Hash { get; }

        public BytestreamRegistry Registry => Server.Services.GetRequiredService<BytestreamRegistry>();

        public static async Task<Scene> StartAsync(int? activationTimeoutSeconds = null)
        {
            var server = await Proxy65Tests.StartAsync(o =>
            {
                if (activationTimeoutSeconds is { } seconds)
                {
                    ModuleTestExtensions.SetInit(o.Modules.Proxy65, nameof(Proxy65Options.ActivationTimeoutSeconds), seconds);
                }
            });
            await server.CreateUserAsync("alice");
            await server.CreateUserAsync("bob");
            var alice = await server.LoginAsync("alice", resource: "a");
            var bob = await server.LoginAsync("bob", resource: "b");
            var streamHost = await StreamHostAsync(alice, server);
            return new Scene(server, alice, bob, streamHost.Port);
        }

        /// <summary>alice asks the proxy to activate her stream to bob (or another sid).</summary>
        public Task<Element> ActivateAsync(string sid = Sid) => Alice.SetAsync(Proxy(Server), Activation(sid, Bob.Jid!.ToString()));

        public async ValueTask DisposeAsync()
        {
            await Alice.DisposeAsync();
            await Bob.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
