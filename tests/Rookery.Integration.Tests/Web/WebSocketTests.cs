using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Protocol.Addressing;
using Rookery.Server.Sessions;
using Rookery.Server.Transport;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Web;

/// <summary>XMPP over WebSocket (RFC 7395) against a real server: framing, login, routing with TCP clients, SM, errors.</summary>
public sealed class WebSocketTests
{
    private static readonly XNamespace Client = "jabber:client";
    private static readonly XNamespace Streams = "http://etherx.jabber.org/streams";
    private static readonly XNamespace StreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
    private static readonly XNamespace Framing = WebSocketXmppClient.FramingNs;
    private static readonly XNamespace Sm = "urn:xmpp:sm:3";

    private static Uri WsUri(TestServer server, string path = "/xmpp-websocket") => new($"ws://127.0.0.1:{server.HttpPort}{path}");

    [Fact]
    public async Task Open_AnswersOpenAndFeatures_EachAMessageWithItsNamespaces()
    {
        await using var server = await TestServer.StartAsync();
        await using var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        web.SubProtocol.Should().Be("xmpp");

        var features = await web.OpenAsync(server.Domain);

        features.Name.Should().Be(Streams + "features");
        features.Element(XName.Get("starttls", "urn:ietf:params:xml:ns:xmpp-tls")).Should().BeNull("TLS belongs to the WebSocket's HTTP connection (RFC 7395 §3.7)");
        features.Element(XName.Get("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl")).Should().NotBeNull();
        var raw = web.RawMessages;
        raw.Should().HaveCount(2);
        raw[0].Should().StartWith("<open ").And.Contain("xmlns='urn:ietf:params:xml:ns:xmpp-framing'").And.Contain($"from='{server.Domain}'").And.Contain("version='1.0'");
        raw[1].Should().StartWith("<stream:features xmlns:stream='http://etherx.jabber.org/streams'");
    }

    [Fact]
    public async Task Login_ThenMessagesBothWaysWithTcpClient_OneStanzaPerMessage()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var web = await WebSocketXmppClient.ConnectAsync(WsUri(server, "/ws"));

        var jid = await web.LoginAsync(server.Domain, "alice", "secret");
        jid.Should().Be($"alice@{server.Domain}/web");
        await web.SendAsync("<presence xmlns='jabber:client'/>");
        await web.WaitForAsync(e => e.Name == Client + "presence" && (string?)e.Attribute("from") == jid);

        await web.SendAsync($"<message xmlns='jabber:client' to='bob@{server.Domain}/test' id='w1' type='chat'><body>from the browser</body></message>");
        var got = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "w1");
        got.GetAttribute("from").Should().Be(jid);
        got.ChildText("body", "jabber:client").Should().Be("from the browser");

        // Two stanzas routed back to back still arrive as two messages (RFC 7395 §3.3.3).
        await bob.SendAsync($"<message to='{jid}' id='t1' type='chat'><body>one</body></message><message to='{jid}' id='t2' type='chat'><body>two &amp; more</body></message>");
        var first = await web.WaitForAsync(e => e.Name == Client + "message");
        var second = await web.WaitForAsync(e => e.Name == Client + "message");
        ((string?)first.Attribute("id"), (string?)second.Attribute("id")).Should().Be(("t1", "t2"));
        second.Element(Client + "body")!.Value.Should().Be("two & more");
        web.RawMessages.Where(m => m.StartsWith("<message", StringComparison.Ordinal)).Should()
            .HaveCount(2).And.OnlyContain(m => m.Contains("xmlns='jabber:client'", StringComparison.Ordinal), "each message is a document of its own");
    }

    [Fact]
    public async Task Handshake_WithoutXmppSubprotocol_IsRefused()
    {
        await using var server = await TestServer.StartAsync();

        var connect = () => WebSocketXmppClient.ConnectAsync(WsUri(server), subProtocol: null);

        await connect.Should().ThrowAsync<WebSocketException>();
        using var http = new HttpClient();
        var plain = await http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/xmpp-websocket"));
        plain.StatusCode.Should().Be(HttpStatusCode.UpgradeRequired);
    }

    [Fact]
    public async Task TwoElementsInOneMessage_StreamErrorThenClose()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        await web.LoginAsync(server.Domain, "alice", "secret");

        await web.SendAsync("<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>");

        var error = await web.WaitForAsync(e => e.Name == Streams + "error");
        error.Element(StreamErrors + "not-well-formed").Should().NotBeNull();
        (await web.NextAsync()).Name.Should().Be(Framing + "close", "RFC 7395 §3.6: a stream error is followed by <close/>");
        await web.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        web.CloseStatus.Should().Be(WebSocketCloseStatus.NormalClosure);
    }

    [Fact]
    public async Task HalfAnElementInAMessage_IsNotWellFormed()
    {
        await using var server = await TestServer.StartAsync();
        await using var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        await web.OpenAsync(server.Domain);

        await web.SendAsync("<iq xmlns='jabber:client' type='get' id='x'>");

        var error = await web.WaitForAsync(e => e.Name == Streams + "error");
        error.Element(StreamErrors + "not-well-formed").Should().NotBeNull();
        (await web.NextAsync()).Name.Should().Be(Framing + "close");
    }

    [Fact]
    public async Task OversizedMessage_PolicyViolationThenClose()
    {
        await using var server = await TestServer.StartAsync(limits: new Rookery.Server.Hosts.StreamLimitOptions { MaxStanzaBytes = 4096 });
        await using var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        await web.OpenAsync(server.Domain);

        await web.SendAsync($"<iq xmlns='jabber:client' type='get' id='big'><query xmlns='jabber:iq:version'>{new string('x', 20_000)}</query></iq>");

        var error = await web.WaitForAsync(e => e.Name == Streams + "error");
        error.Element(StreamErrors + "policy-violation").Should().NotBeNull();
        (await web.NextAsync()).Name.Should().Be(Framing + "close");
    }

    [Fact]
    public async Task UnknownDomain_HostUnknownThenClose()
    {
        await using var server = await TestServer.StartAsync();
        await using var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));

        await web.SendAsync($"<open xmlns='{Framing}' to='elsewhere.example' version='1.0'/>");

        (await web.NextAsync()).Name.Should().Be(Framing + "open");
        var error = await web.NextAsync();
        error.Name.Should().Be(Streams + "error");
        error.Element(StreamErrors + "host-unknown").Should().NotBeNull();
        (await web.NextAsync()).Name.Should().Be(Framing + "close");
    }

    [Fact]
    public async Task ClientClose_IsAnsweredWithClose_AndSessionEnds()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        var jid = Jid.Parse(await web.LoginAsync(server.Domain, "alice", "secret"));

        await web.SendAsync($"<close xmlns='{Framing}'/>");

        (await web.NextAsync()).Name.Should().Be(Framing + "close");
        await web.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => server.Services.GetRequiredService<SessionTable>().Find(jid) is null, "the dropped session is gone");
        await web.DisposeAsync();
    }

    [Fact]
    public async Task Drain_ClosesWithSeeOtherUri()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        await web.LoginAsync(server.Domain, "alice", "secret");

        var draining = server.Services.GetRequiredService<ClientConnections>().RedirectAllAsync("node2.example:5222", TimeSpan.FromSeconds(10));

        // RFC 7395 §3.6.1: the redirect is the <close/> element's see-other-uri, not a see-other-host stream error.
        var close = await web.WaitForAsync(e => e.Name == Framing + "close" || e.Name == Streams + "error");
        close.Name.Should().Be(Framing + "close");
        ((string?)close.Attribute("see-other-uri")).Should().Be($"ws://node2.example:{server.HttpPort}/xmpp-websocket");
        await draining;
    }

    [Fact]
    public async Task StreamManagement_ResumesOverANewWebSocket()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        var jid = await web.LoginAsync(server.Domain, "alice", "secret");
        await web.SendAsync($"<enable xmlns='{Sm}' resume='true'/>");
        var enabled = await web.WaitForAsync(e => e.Name == Sm + "enabled");
        var id = (string)enabled.Attribute("id")!;

        await bob.SendAsync($"<message to='{jid}' id='m1'><body>in flight</body></message>");
        await web.WaitForAsync(e => e.Name == Client + "message");
        web.Abort();
        await Eventually.TrueAsync(() => server.Services.GetRequiredService<SessionTable>().Find(Jid.Parse(jid)) is ClientSession { IsDetached: true }, "the session is detached");
        await bob.SendAsync($"<message to='{jid}' id='m2'><body>while away</body></message>");

        await using var again = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        await again.AuthenticateAsync(server.Domain, "alice", "secret");
        await again.SendAsync($"<resume xmlns='{Sm}' previd='{id}' h='0'/>");

        (await again.WaitForAsync(e => e.Name == Sm + "resumed")).Attribute("previd")!.Value.Should().Be(id);
        (await again.WaitForAsync(e => e.Name == Client + "message")).Attribute("id")!.Value.Should().Be("m1");
        (await again.WaitForAsync(e => e.Name == Client + "message")).Attribute("id")!.Value.Should().Be("m2");
        await web.DisposeAsync();
    }

    [Fact]
    public async Task DroppedWebClient_WithoutStreamManagement_UnsentStanzasGoOffline()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        var web = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        var jid = Jid.Parse(await web.LoginAsync(server.Domain, "alice", "secret"));
        web.Abort();
        await Eventually.TrueAsync(() => server.Services.GetRequiredService<SessionTable>().Find(jid) is null, "the dropped session is gone");

        await bob.SendAsync($"<message to='alice@{server.Domain}' id='off1' type='chat'><body>later</body></message>");
        // Bob's message is routed in its own time. Logging back in before it is stored races it: stored just after the
        // new session's initial presence fetched the offline messages, it would wait for the next login.
        await Eventually.TrueAsync(async () => await server.Storage.Offline.CountAsync($"alice@{server.Domain}") == 1, "bob's message is stored offline for alice");

        await using var back = await WebSocketXmppClient.ConnectAsync(WsUri(server));
        await back.LoginAsync(server.Domain, "alice", "secret");
        await back.SendAsync("<presence xmlns='jabber:client'/>");
        (await back.WaitForAsync(e => e.Name == Client + "message")).Attribute("id")!.Value.Should().Be("off1");
        await web.DisposeAsync();
    }

    [Fact]
    public async Task Https_Wss_IsSecure_OffersPlain_AndLogsIn()
    {
        await using var server = await TestServer.StartAsync(o => o.Listeners = new Rookery.Hosting.ListenerOptions
        {
            Client = new Rookery.Hosting.EndpointOptions { Address = "127.0.0.1", Port = 0 },
            DirectTls = new Rookery.Hosting.EndpointOptions { Enabled = false },
            Http = new Rookery.Hosting.EndpointOptions { Enabled = false },
            Https = new Rookery.Hosting.EndpointOptions { Address = "127.0.0.1", Port = 0, Enabled = true },
        });
        await server.CreateUserAsync("alice");
        var uri = new Uri($"wss://127.0.0.1:{server.HttpsPort}/xmpp-websocket");
        await using var web = await WebSocketXmppClient.ConnectAsync(uri, configure: o => o.RemoteCertificateValidationCallback = (_, _, _, _) => true);

        var features = await web.OpenAsync(server.Domain);

        features.Descendants(XName.Get("mechanism", "urn:ietf:params:xml:ns:xmpp-sasl")).Select(m => m.Value).Should().Contain("PLAIN", "wss:// is encrypted, so PLAIN is offered as inside TLS");
        await web.SendAsync($"<close xmlns='{Framing}'/>");
        await using var second = await WebSocketXmppClient.ConnectAsync(uri, configure: o => o.RemoteCertificateValidationCallback = (_, _, _, _) => true);
        (await second.LoginAsync(server.Domain, "alice", "secret")).Should().Be($"alice@{server.Domain}/web");
    }

    [Fact]
    public async Task HostMeta_NamesTheWebSocketEndpoint_AsXrdAndJson()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient();
        var expected = $"ws://127.0.0.1:{server.HttpPort}/xmpp-websocket";

        var xrdResponse = await http.GetAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/.well-known/host-meta"));
        xrdResponse.Headers.GetValues("Access-Control-Allow-Origin").Should().Contain("*");
        var xrd = XDocument.Parse(await xrdResponse.Content.ReadAsStringAsync());
        XNamespace x = "http://docs.oasis-open.org/ns/xri/xrd-1.0";
        xrd.Root!.Elements(x + "Link").Should().Contain(l => (string?)l.Attribute("rel") == "urn:xmpp:alt-connections:websocket" && (string?)l.Attribute("href") == expected);

        using var json = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/.well-known/host-meta.json")));
        json.RootElement.GetProperty("links").EnumerateArray().Should().Contain(l => l.GetProperty("rel").GetString() == "urn:xmpp:alt-connections:websocket" && l.GetProperty("href").GetString() == expected);
    }

}
