using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Rookery.Modules.ExternalServices;
using Rookery.Protocol.Errors;

namespace Rookery.Modules.Tests.ExternalServices;

public sealed class ExternalServicesModuleTests
{
    private const string Ns = "urn:xmpp:extdisco:2";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static ModuleHarness Harness(params ExternalServiceOptions[] services) =>
        ModuleHarness.For(new ExternalServicesModule(
            Options.Create(new ExternalServicesOptions { Services = [.. services], CredentialLifetime = TimeSpan.FromHours(2) }),
            new ManualTimeProvider(Now)));

    [Fact]
    public void Configure_NoServices_NoFeature()
    {
        Harness().Features.Should().BeEmpty();
        Harness(new ExternalServiceOptions { Type = "stun", Host = "h", Port = 3478 }).Features.Should().Equal(Ns);
    }

    [Fact]
    public async Task Services_Mixed_ExactElements()
    {
        var harness = Harness(
            new ExternalServiceOptions { Type = "stun", Host = "stun.example.org", Port = 3478, Name = "STUN" },
            new ExternalServiceOptions { Type = "turn", Host = "turn.example.org", Port = 3478, Username = "u", Password = "p" });

        var services = await harness.GetAsync("alice@example.org/r", "example.org", $"<services xmlns='{Ns}'/>");

        services!.ToString().Should().Be(
            $"<services xmlns='{Ns}'>"
            + "<service type='stun' host='stun.example.org' port='3478' transport='udp' name='STUN'/>"
            + "<service type='turn' host='turn.example.org' port='3478' transport='udp' restricted='true' username='u' password='p'/>"
            + "</services>");
    }

    [Fact]
    public async Task Credentials_SecretService_TurnRestCredentialsOfTheBareJid()
    {
        var harness = Harness(new ExternalServiceOptions { Type = "turns", Host = "turn.example.org", Port = 5349, Secret = "north" });

        var credentials = await harness.GetAsync("alice@example.org/r", "example.org", $"<credentials xmlns='{Ns}'><service type='turns' host='turn.example.org'/></credentials>");

        var service = credentials!.Child("service", Ns)!;
        var expiry = Now.AddHours(2).ToUnixTimeSeconds();
        service.GetAttribute("username").Should().Be($"{expiry}:alice@example.org");
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes("north"), Encoding.UTF8.GetBytes($"{expiry}:alice@example.org"));
        service.GetAttribute("password").Should().Be(Convert.ToBase64String(mac));
        service.GetAttribute("expires").Should().Be("2026-12-07T14:00:00Z");
        service.GetAttribute("transport").Should().Be("tcp");
        service.GetAttribute("restricted").Should().Be("true");
    }

    [Fact]
    public async Task Services_SecretService_SameCredentialsWithinAStep_NeverShorterThanTheLifetime()
    {
        // Lifetime two hours: expiries are rounded up to five minutes.
        var time = new ManualTimeProvider(Now.AddSeconds(1));
        var harness = ModuleHarness.For(new ExternalServicesModule(
            Options.Create(new ExternalServicesOptions
            {
                Services = [new ExternalServiceOptions { Type = "turn", Host = "turn.example.org", Port = 3478, Secret = "north" }],
                CredentialLifetime = TimeSpan.FromHours(2),
            }),
            time));

        var first = (await harness.GetAsync("alice@example.org/r", "example.org", $"<services xmlns='{Ns}'/>"))!.Child("service", Ns)!;
        time.Advance(TimeSpan.FromSeconds(2));
        var second = (await harness.GetAsync("alice@example.org/r", "example.org", $"<services xmlns='{Ns}' type='turn'/>"))!.Child("service", Ns)!;

        first.GetAttribute("expires").Should().Be("2026-12-07T14:05:00Z");
        second.ToString().Should().Be(first.ToString());
    }

    [Theory]
    [InlineData("<service type='turn' host='other.example.org'/>", StanzaErrorCondition.ItemNotFound)]
    [InlineData("<service type='turn' host='turn.example.org' port='1'/>", StanzaErrorCondition.ItemNotFound)]
    [InlineData("<service type='stun' host='turn.example.org'/>", StanzaErrorCondition.ItemNotFound)]
    [InlineData("<service host='turn.example.org'/>", StanzaErrorCondition.BadRequest)]
    [InlineData("", StanzaErrorCondition.BadRequest)]
    public async Task Credentials_UnknownOrIncomplete_Error(string service, StanzaErrorCondition condition)
    {
        var harness = Harness(new ExternalServiceOptions { Type = "turn", Host = "turn.example.org", Port = 3478, Secret = "s" });

        var act = () => harness.GetAsync("alice@example.org/r", "example.org", $"<credentials xmlns='{Ns}'>{service}</credentials>");

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(condition);
    }

    [Theory]
    [InlineData("alice@example.net/r")]
    [InlineData("example.org")]
    public async Task Services_NotAUserOfTheHost_Forbidden(string from)
    {
        var harness = Harness(new ExternalServiceOptions { Type = "stun", Host = "h", Port = 3478 });

        var act = () => harness.GetAsync(from, "example.org", $"<services xmlns='{Ns}'/>");

        (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.Forbidden);
    }
}
