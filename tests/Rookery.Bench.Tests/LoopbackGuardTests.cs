using System.Net;
using System.Net.Sockets;
using Rookery.Bench.Cli;
using Rookery.Bench.Net;

namespace Rookery.Bench.Tests;

public sealed class LoopbackGuardTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", 5222)]
    [InlineData("127.1.2.3:6000", "127.1.2.3", 6000)]
    [InlineData("localhost", "127.0.0.1", 5222)]
    [InlineData("LOCALHOST:5300", "127.0.0.1", 5300)]
    [InlineData("::1", "::1", 5222)]
    [InlineData("[::1]:5400", "::1", 5400)]
    [InlineData("::ffff:127.0.0.2", "::ffff:127.0.0.2", 5222)]
    public void ParseTarget_Loopback_IsAccepted(string text, string address, int port)
    {
        var endpoint = LoopbackGuard.ParseTarget(text, 5222);
        endpoint.Address.Should().Be(IPAddress.Parse(address));
        endpoint.Port.Should().Be(port);
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("192.168.1.10:5222")]
    [InlineData("8.8.8.8")]
    [InlineData("0.0.0.0")]
    [InlineData("128.0.0.1")]
    [InlineData("::2")]
    [InlineData("[2001:db8::1]:5222")]
    [InlineData("::ffff:10.0.0.1")]
    public void ParseTarget_NotLoopback_IsRefused(string text)
    {
        var act = () => LoopbackGuard.ParseTarget(text, 5222);
        act.Should().Throw<BenchUsageException>().WithMessage("*loopback*");
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("xmpp.example.org:5222")]
    public void ParseTarget_HostName_IsRefusedWithoutResolving(string text)
    {
        var act = () => LoopbackGuard.ParseTarget(text, 5222);
        act.Should().Throw<BenchUsageException>().WithMessage("*not an IP address*");
    }

    [Theory]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:abc")]
    [InlineData("[::1")]
    public void ParseTarget_BadPort_IsRefused(string text)
    {
        var act = () => LoopbackGuard.ParseTarget(text, 5222);
        act.Should().Throw<BenchUsageException>();
    }

    [Fact]
    public void ParseTargets_OneBadEntryInAList_RefusesTheList()
    {
        var act = () => LoopbackGuard.ParseTargets("127.0.0.1,127.0.0.2,10.1.1.1", 5222);
        act.Should().Throw<BenchUsageException>().WithMessage("*10.1.1.1*");
        LoopbackGuard.ParseTargets("127.0.0.1, 127.0.0.2:5300", 5222).Should().HaveCount(2);
    }

    [Fact]
    public void SourceAddresses_IPv4_AreConsecutiveLoopbackAddresses()
    {
        var sources = LoopbackGuard.SourceAddresses(AddressFamily.InterNetwork, 3);
        sources.Select(a => a.ToString()).Should().Equal("127.0.0.1", "127.0.0.2", "127.0.0.3");
        LoopbackGuard.SourceAddresses(AddressFamily.InterNetworkV6, 3).Should().Equal(IPAddress.IPv6Loopback);
    }

    [Fact]
    public void Validate_NonLoopbackTargetGivenThroughTheApi_IsRefused()
    {
        var options = new BenchOptions { Targets = [new XmppEndpoint(IPAddress.Parse("192.0.2.1"), 5222)] };
        var act = () => options.Validate();
        act.Should().Throw<BenchUsageException>().WithMessage("*loopback*");
    }

    [Fact]
    public async Task Cli_NonLoopbackHost_ExitsWithTwo()
    {
        var code = await BenchCli.RunAsync(["login", "--host", "192.0.2.1", "--users", "1"]);
        code.Should().Be(2);
    }
}
