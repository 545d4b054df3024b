using System.Net;
using System.Text;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Sasl;
using Rookery.Server.Hosts;
using Rookery.Server.Sessions;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Web;

/// <summary>BOSH (XEP-0124, XEP-0206) against a real server over HttpClient: sessions, login, held requests, errors.</summary>
public sealed class BoshTests
{
    private static readonly XNamespace HttpBind = "http://jabber.org/protocol/httpbind";
    private static readonly XNamespace Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    private static readonly XNamespace Bind = "urn:ietf:params:xml:ns:xmpp-bind";
    private static readonly XNamespace Client = "jabber:client";
    private static readonly XNamespace Streams = "http://etherx.jabber.org/streams";

    [Fact]
    public async Task Login_ThenMessagesBothWaysWithTcpClient_ThroughHeldRequests()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        using var bosh = new Bosh(server);

        var created = await bosh.CreateAsync(server.Domain);
        created.Attribute("sid").Should().NotBeNull();
        created.Attribute("requests")!.Value.Should().Be("2");
        created.Attribute("authid").Should().NotBeNull();
        created.Element(Streams + "features")!.Element(Sasl + "mechanisms").Should().NotBeNull();

        var jid = await bosh.LoginAsync(server.Domain, "alice");
        jid.Should().Be($"alice@{server.Domain}/bosh");

        var sending = bosh.PostAsync($"<message xmlns='jabber:client' to='bob@{server.Domain}/test' id='b1' type='chat'><body>over BOSH</body></message>");
        var got = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "b1");
        got.GetAttribute("from").Should().Be(jid);

        // A request is held until the server has something for it; a newer one releases it (XEP-0124 §11, hold='1').
        var held = bosh.PostAsync(string.Empty);
        (await sending.WaitAsync(TimeSpan.FromSeconds(15))).HasElements.Should().BeFalse();
        held.IsCompleted.Should().BeFalse("nothing is waiting for this client yet");
        await bob.SendAsync($"<message to='{jid}' id='t1' type='chat'><body>to the browser</body></message>");
        var answer = await held.WaitAsync(TimeSpan.FromSeconds(30));
        answer.Element(Client + "message")!.Attribute("id")!.Value.Should().Be("t1");

        var end = await bosh.PostAsync(string.Empty, "type='terminate'");
        end.Attribute("type")!.Value.Should().Be("terminate");
        var after = await bosh.PostRawAsync($"<body xmlns='{HttpBind}' rid='{bosh.NextRid()}' sid='{bosh.Sid}'/>");
        after.Status.Should().Be(HttpStatusCode.NotFound);
        after.Body.Attribute("condition")!.Value.Should().Be("item-not-found");
    }

    [Fact]
    public async Task UnknownSid_IsItemNotFound_AndGarbageIsBadRequest()
    {
        await using var server = await TestServer.StartAsync();
        using var bosh = new Bosh(server);

        var unknown = await bosh.PostRawAsync($"<body xmlns='{HttpBind}' rid='5' sid='nosuchsession'/>");
        unknown.Status.Should().Be(HttpStatusCode.NotFound);
        unknown.Body.Attribute("condition")!.Value.Should().Be("item-not-found");

        var garbage = await bosh.PostRawAsync("<body xmlns='jabber:client'");
        garbage.Status.Should().Be(HttpStatusCode.BadRequest);
        garbage.Body.Attribute("condition")!.Value.Should().Be("bad-request");
    }

    [Fact]
    public async Task RidOutsideTheWindow_EndsTheSession()
    {
        await using var server = await TestServer.StartAsync();
        using var bosh = new Bosh(server);
        await bosh.CreateAsync(server.Domain);

        var ahead = await bosh.PostRawAsync($"<body xmlns='{HttpBind}' rid='{bosh.NextRid() + 10}' sid='{bosh.Sid}'/>");

        ahead.Status.Should().Be(HttpStatusCode.NotFound);
        ahead.Body.Attribute("condition")!.Value.Should().Be("item-not-found");
        var again = await bosh.PostRawAsync($"<body xmlns='{HttpBind}' rid='{bosh.NextRid()}' sid='{bosh.Sid}'/>");
        again.Body.Attribute("type")!.Value.Should().Be("terminate", "the session is over");
    }

    [Fact]
    public async Task SessionWithoutRequests_EndsAfterItsInactivityLimit_AndMessagesGoOffline()
    {
        await using var server = await TestServer.StartAsync(o => o.Bosh = new BoshOptions { MaxWaitSeconds = 1, MaxInactivitySeconds = 2 });
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        using var bosh = new Bosh(server);

        var created = await bosh.CreateAsync(server.Domain);
        created.Attribute("wait")!.Value.Should().Be("1", "the client asked for 20 s, the server holds requests at most Bosh:MaxWaitSeconds");
        created.Attribute("inactivity")!.Value.Should().Be("2");
        var jid = Jid.Parse(await bosh.LoginAsync(server.Domain, "alice"));
        var sessions = server.Services.GetRequiredService<SessionTable>();
        sessions.Find(jid).Should().NotBeNull();

        // The client stops polling: no request is held, so after the inactivity limit the session is over, as when a
        // TCP client drops, and a message sent to alice afterwards is stored for her.
        await Eventually.TrueAsync(() => sessions.Find(jid) is null, "the inactive BOSH session ends", TimeSpan.FromSeconds(20));
        await bob.SendAsync($"<message to='alice@{server.Domain}' id='off1' type='chat'><body>later</body></message>");
        await Eventually.TrueAsync(async () => await server.Storage.Offline.CountAsync($"alice@{server.Domain}") == 1, "the message waits offline");
        var after = await bosh.PostRawAsync($"<body xmlns='{HttpBind}' rid='{bosh.NextRid()}' sid='{bosh.Sid}'/>");
        after.Status.Should().Be(HttpStatusCode.NotFound, "the sid is gone with the session");
    }

    [Fact]
    public async Task HostMeta_NamesTheBoshEndpoint()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient();

        var json = await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/.well-known/host-meta.json"));

        json.Should().Contain("urn:xmpp:alt-connections:xbosh").And.Contain($"http://127.0.0.1:{server.HttpPort}/http-bind");
    }

    /// <summary>A minimal BOSH client: one request at a time unless the test holds one, rids in order.</summary>
    private sealed class Bosh(TestServer server) : IDisposable
    {
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(90) };
        private readonly Uri _uri = new($"http://127.0.0.1:{server.HttpPort}/http-bind");
        private long _rid = Random.Shared.NextInt64(1_000_000, 1_000_000_000);

        public string? Sid { get; private set; }

        public long NextRid() => Interlocked.Increment(ref _rid);

        public async Task<XElement> CreateAsync(string domain)
        {
            var (status, body) = await PostRawAsync($"<body xmlns='{HttpBind}' xmlns:xmpp='urn:xmpp:xbosh' rid='{NextRid()}' to='{domain}' wait='20' hold='1' ver='1.6' xmpp:version='1.0'/>");
            status.Should().Be(HttpStatusCode.OK);
            Sid = body.Attribute("sid")!.Value;
            return body;
        }

        public async Task<XElement> PostAsync(string payload, string attributes = "")
        {
            var (status, body) = await PostRawAsync($"<body xmlns='{HttpBind}' xmlns:xmpp='urn:xmpp:xbosh' rid='{NextRid()}' sid='{Sid}' {attributes}>{payload}</body>");
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            return body;
        }

        public async Task<(HttpStatusCode Status, XElement Body)> PostRawAsync(string xml)
        {
            using var content = new StringContent(xml, Encoding.UTF8, "text/xml");
            using var response = await _http.PostAsync(_uri, content);
            return (response.StatusCode, XElement.Parse(await response.Content.ReadAsStringAsync()));
        }

        /// <summary>Waits for a body holding <paramref name="name"/>, polling with empty requests.</summary>
        public async Task<XElement> ExpectAsync(XName name)
        {
            for (var i = 0; i < 10; i++)
            {
                var body = await PostAsync(string.Empty);
                if (body.Element(name) is { } e)
                {
                    return e;
                }
            }

            throw new TimeoutException("No " + name);
        }

        public async Task<string> LoginAsync(string domain, string user)
        {
            var scram = new ScramClient(ScramHash.Sha256, user, "secret", Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('='));
            var body = await PostAsync($"<auth xmlns='{Sasl}' mechanism='SCRAM-SHA-256'>{Convert.ToBase64String(scram.ClientFirst())}</auth>");
            var challenge = body.Element(Sasl + "challenge") ?? await ExpectAsync(Sasl + "challenge");
            body = await PostAsync($"<response xmlns='{Sasl}'>{Convert.ToBase64String(scram.ClientFinal(Convert.FromBase64String(challenge.Value)))}</response>");
            var success = body.Element(Sasl + "success") ?? await ExpectAsync(Sasl + "success");
            scram.VerifyServerFinal(Convert.FromBase64String(success.Value)).Should().BeTrue();

            // XEP-0206 §5: the restart is an attribute of the next request, answered with the new features.
            body = await PostAsync(string.Empty, $"to='{domain}' xmpp:restart='true'");
            (body.Element(Streams + "features") ?? await ExpectAsync(Streams + "features")).Element(Bind + "bind").Should().NotBeNull();
            body = await PostAsync($"<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='{Bind}'><resource>bosh</resource></bind></iq>");
            var iq = body.Element(Client + "iq") ?? await ExpectAsync(Client + "iq");
            return iq.Element(Bind + "bind")!.Element(Bind + "jid")!.Value;
        }

        public void Dispose() => _http.Dispose();
    }
}
