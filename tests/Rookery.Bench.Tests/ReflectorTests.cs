using System.Net;
using Rookery.Bench.Calibration;
using Rookery.Bench.Net;

namespace Rookery.Bench.Tests;

/// <summary>The calibration reflector, and the bench's messaging path at a few thousand messages per second against it.</summary>
[Trait("Category", "Slow")]
public sealed class ReflectorTests
{
    [Fact]
    public async Task Messaging_AgainstTheReflector_EveryMessageDelivered()
    {
        await using var reflector = Reflector.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var options = BenchOptions.ForSmoke(Scenario.Messaging, new XmppEndpoint(IPAddress.Loopback, reflector.Port));
        options.Mechanism = "PLAIN";
        options.Users = 8;
        options.RateStart = 500;
        options.RateStep = 500;
        options.RateMax = 1000;
        // Bench and reflector share this test host (and CI's two cores): judge the accounting, not each step's pace.
        options.Smoke = false;

        var result = await BenchRunner.RunAsync(options);

        result.Login!.Succeeded.Should().Be(8);
        var m = result.Messaging!;
        m.Steps.Should().NotBeEmpty();
        m.Sent.Should().BeGreaterThan(400);
        m.Lost.Should().Be(0);
        m.Delivered.Should().Be(m.Sent);
        reflector.Routed.Should().Be(m.Sent);
        reflector.Unroutable.Should().Be(0);
    }

    [Fact]
    public void Start_NonLoopbackAddress_IsRefused()
    {
        var act = () => Reflector.Start(new IPEndPoint(IPAddress.Any, 0));
        act.Should().Throw<BenchUsageException>();
    }
}
