using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rookery.Hosting;
using Rookery.Modules.ExternalServices;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>External service discovery (XEP-0215): STUN and TURN servers and their credentials, over real sockets.</summary>
public sealed class ExternalServicesTests
{
    private const string Ns = "urn:xmpp:extdisco:2";
    private const string Secret = "coturn-static-auth-secret";

    private static void AddServices(RookeryOptions o)
    {
        o.Modules.ExternalServices.Services.Add(new ExternalServiceOptions { Type = "stun", Host = "stun.example.net", Port = 3478, Name = "STUN" });
        o.Modules.ExternalServices.Services.Add(new ExternalServiceOptions { Type = "turn", Host = "turn.example.net", Port = 3478, Transport = "udp", Secret = Secret });
        o.Modules.ExternalServices.Services.Add(new ExternalServiceOptions { Type = "turns", Host = "turn.example.net", Port = 5349, Username = "fixed", Password = "pass" });
    }

    [Fact]
    public async Task Services_All_ListedWithCredentialsForRestricted()
    {
        await using var server = await TestServer.StartAsync(AddServices);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var services = (await alice.GetAsync(server.Domain, $"<services xmlns='{Ns}'/>")).ShouldBeResult()!;

        var listed = services.Elements().Where(e => e.Name == "service").ToList();
        listed.Select(s => (s.GetAttribute("type"), s.GetAttribute("host"), s.GetAttribute("port"), s.GetAttribute("transport"), s.GetAttribute("restricted"))).Should().Equal(
            ("stun", "stun.example.net", "3478", "udp", null),
            ("turn", "turn.example.net", "3478", "udp", "true"),
            ("turns", "turn.example.net", "5349", "tcp", "true"));
        listed[0].GetAttribute("name").Should().Be("STUN");
        listed[0].GetAttribute("username").Should().BeNull();
        listed[2].GetAttribute("username").Should().Be("fixed");
        listed[2].GetAttribute("password").Should().Be("pass");
        ShouldBeTurnRestCredentials(listed[1], server.Bare("alice"));
    }

    [Fact]
    public async Task Services_TypeFilter_OnlyThatType()
    {
        await using var server = await TestServer.StartAsync(AddServices);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var turn = (await alice.GetAsync(server.Domain, $"<services xmlns='{Ns}' type='turn'/>")).ShouldBeResult()!;
        var none = (await alice.GetAsync(server.Domain, $"<services xmlns='{Ns}' type='ftp'/>")).ShouldBeResult()!;

        turn.GetAttribute("type").Should().Be("turn");
        turn.Elements().Select(s => (s.GetAttribute("type"), s.GetAttribute("port"))).Should().Equal(("turn", "3478"));
        none.Elements().Should().BeEmpty();
    }

    [Fact]
    public async Task Credentials_RestrictedService_FreshTurnRestCredentials()
    {
        await using var server = await TestServer.StartAsync(AddServices);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var credentials = (await alice.GetAsync(server.Domain, $"<credentials xmlns='{Ns}'><service type='turn' host='turn.example.net'/></credentials>")).ShouldBeResult()!;
        var withPort = (await alice.GetAsync(server.Domain, $"<credentials xmlns='{Ns}'><service type='turns' host='turn.example.net' port='5349'/></credentials>")).ShouldBeResult()!;

        credentials.Name.Should().Be("credentials");
        var service = credentials.Child("service", Ns)!;
        (service.GetAttribute("type"), service.GetAttribute("host"), service.GetAttribute("port")).Should().Be(("turn", "turn.example.net", "3478"));
        ShouldBeTurnRestCredentials(service, server.Bare("alice"));
        var fixedService = withPort.Child("service", Ns)!;
        (fixedService.GetAttribute("username"), fixedService.GetAttribute("password")).Should().Be(("fixed", "pass"));
    }

    [Theory]
    [InlineData("<service type='turn' host='unknown.example.net'/>")]
    [InlineData("<service type='turn' host='turn.example.net' port='9999'/>")]
    public async Task Credentials_UnknownService_ItemNotFound(string service)
    {
        await using var server = await TestServer.StartAsync(AddServices);
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var reply = await alice.GetAsync(server.Domain, $"<credentials xmlns='{Ns}'>{service}</credentials>");

        reply.ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task DiscoFeature_OnlyWhenServicesConfigured()
    {
        var advertised = new List<bool>();
        foreach (var configure in new Action<RookeryOptions>?[] { null, AddServices })
        {
            await using var server = await TestServer.StartAsync(configure);
            await server.CreateUserAsync("alice");
            await using var alice = await server.LoginAsync("alice");
            var info = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
            advertised.Add(info.Elements().Any(e => e.Name == "feature" && e.GetAttribute("var") == Ns));
        }

        advertised.Should().Equal([false, true], "a default install advertises nothing it cannot serve");
    }

    [Fact]
    public async Task Module_Disabled_NotAdvertisedAndServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            AddServices(o);
            o.DisabledModules.Add(ExternalServicesModule.ModuleName);
        });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var info = (await alice.GetAsync(server.Domain, "<query xmlns='http://jabber.org/protocol/disco#info'/>")).ShouldBeResult()!;
        var services = await alice.GetAsync(server.Domain, $"<services xmlns='{Ns}'/>");
        var credentials = await alice.GetAsync(server.Domain, $"<credentials xmlns='{Ns}'><service type='turn' host='turn.example.net'/></credentials>");

        info.Elements().Should().NotContain(e => e.Name == "feature" && e.GetAttribute("var") == Ns);
        services.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
        credentials.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }

    [Fact]
    public async Task Services_UserOfAnotherHost_Forbidden()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Hosts["localhost"] = new HostOptions();
            o.Hosts["other.test"] = new HostOptions();
            AddServices(o);
        });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var own = await alice.GetAsync("localhost", $"<services xmlns='{Ns}'/>");
        var other = await alice.GetAsync("other.test", $"<services xmlns='{Ns}'/>");
        var otherCredentials = await alice.GetAsync("other.test", $"<credentials xmlns='{Ns}'><service type='turn' host='turn.example.net'/></credentials>");

        own.ShouldBeResult();
        other.ShouldBeError(StanzaErrorCondition.Forbidden);
        otherCredentials.ShouldBeError(StanzaErrorCondition.Forbidden);
    }

    /// <summary>Checks TURN REST API credentials as coturn would: the expiry in the name, the HMAC-SHA1 of the secret.</summary>
    private static void ShouldBeTurnRestCredentials(Element service, string bareJid)
    {
        var username = service.GetAttribute("username")!;
        var password = service.GetAttribute("password")!;
        var expires = DateTimeOffset.Parse(service.GetAttribute("expires")!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        username.Should().EndWith(":" + bareJid);
        var expiry = long.Parse(username[..username.IndexOf(':', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
        expiry.Should().Be(expires.ToUnixTimeSeconds(), "the name carries the expiry the element states");
        expires.Should().BeAfter(DateTimeOffset.UtcNow.AddHours(23), "credentials last a day by default")
            .And.BeBefore(DateTimeOffset.UtcNow.AddHours(25));
        service.GetAttribute("expires").Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$");
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(username));
        password.Should().Be(Convert.ToBase64String(mac));
    }
}
