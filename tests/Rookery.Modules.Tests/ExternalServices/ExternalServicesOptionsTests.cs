using Rookery.Modules.ExternalServices;

namespace Rookery.Modules.Tests.ExternalServices;

public sealed class ExternalServicesOptionsTests
{
    [Fact]
    public void Validate_Defaults_NoProblemsNoServicesOneDay()
    {
        var options = new ExternalServicesOptions();

        options.Validate().Should().BeEmpty();
        options.Services.Should().BeEmpty();
        options.CredentialLifetime.Should().Be(TimeSpan.FromDays(1));
    }

    [Fact]
    public void Validate_GoodServices_NoProblems()
    {
        var options = new ExternalServicesOptions
        {
            Services =
            [
                new() { Type = "stun", Host = "stun.example.com", Port = 3478 },
                new() { Type = "TURN", Host = "turn.example.com", Port = 3478, Transport = "TCP", Secret = "s3cret" },
                new() { Type = "turns", Host = "192.0.2.1", Port = 5349, Username = "u", Password = "p", Name = "Relay" },
            ],
        };

        options.Validate().Should().BeEmpty();
    }

    public static TheoryData<ExternalServiceOptions, string> BadServices => new()
    {
        { new() { Type = "ftp", Host = "h", Port = 1 }, "Services:0:Type" },
        { new() { Type = "", Host = "h", Port = 1 }, "Services:0:Type" },
        { new() { Type = "stun", Host = "", Port = 1 }, "Services:0:Host" },
        { new() { Type = "stun", Host = "a b", Port = 1 }, "Services:0:Host" },
        { new() { Type = "stun", Host = "h", Port = 0 }, "Services:0:Port" },
        { new() { Type = "stun", Host = "h", Port = 65536 }, "Services:0:Port" },
        { new() { Type = "stun", Host = "h", Port = 1, Transport = "sctp" }, "Services:0:Transport" },
        { new() { Type = "turn", Host = "h", Port = 1, Secret = "s", Password = "p" }, "Services:0:Secret" },
        { new() { Type = "turn", Host = "h", Port = 1, Secret = "s", Username = "u" }, "Services:0:Secret" },
        { new() { Type = "turn", Host = "h", Port = 1, Username = "u" }, "Services:0:Password" },
        { new() { Type = "turn", Host = "h", Port = 1, Password = "p" }, "Services:0:Username" },
    };

    [Theory]
    [MemberData(nameof(BadServices))]
    public void Validate_BadService_NamesTheKey(ExternalServiceOptions service, string key)
    {
        var options = new ExternalServicesOptions { Services = [service] };

        options.Validate().Select(p => p.Key).Should().Equal(key);
    }

    [Fact]
    public void Validate_SecondServiceBad_KeyHasItsIndex()
    {
        var options = new ExternalServicesOptions
        {
            Services = [new() { Type = "stun", Host = "h", Port = 3478 }, new() { Type = "turn", Host = "h" }],
        };

        options.Validate().Select(p => p.Key).Should().Equal("Services:1:Port");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(59)]
    [InlineData(30 * 86400 + 1)]
    public void Validate_CredentialLifetimeOutOfRange_NamesTheKey(int seconds)
    {
        var options = new ExternalServicesOptions { CredentialLifetime = TimeSpan.FromSeconds(seconds) };

        options.Validate().Select(p => p.Key).Should().Equal("CredentialLifetime");
    }

    [Theory]
    [InlineData("stun", "", "udp")]
    [InlineData("turn", "", "udp")]
    [InlineData("stuns", "", "tcp")]
    [InlineData("turns", "", "tcp")]
    [InlineData("turn", "TCP", "tcp")]
    public void EffectiveTransport_DefaultsByType(string type, string transport, string expected)
    {
        new ExternalServiceOptions { Type = type, Host = "h", Port = 1, Transport = transport }.EffectiveTransport.Should().Be(expected);
    }
}
