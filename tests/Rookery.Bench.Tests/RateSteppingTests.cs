using System.Net;
using Rookery.Bench.Net;

namespace Rookery.Bench.Tests;

public sealed class RateSteppingTests
{
    [Fact]
    public void NextRate_FixedIncrement_AddsTheStep()
    {
        var o = new BenchOptions { RateStart = 1000, RateStep = 500 };
        o.NextRate(1000).Should().Be(1500);
        o.ConstantRate.Should().BeFalse();
    }

    [Fact]
    public void NextRate_Growth_IsGeometric_AndTheLargerOfStepAndGrowthWins()
    {
        var o = new BenchOptions { RateStart = 500, RateStep = 100, RateGrowthPercent = 25 };
        o.NextRate(200).Should().Be(300, "25 % of 200 is less than the fixed step of 100");
        o.NextRate(80_000).Should().Be(100_000);
    }

    [Fact]
    public void NextRate_SmallRateWithGrowth_StillMoves()
    {
        var o = new BenchOptions { RateStart = 2, RateStep = 0, RateGrowthPercent = 25 };
        o.NextRate(2).Should().Be(3);
        o.ConstantRate.Should().BeFalse();
    }

    [Fact]
    public void NextRate_NoStepNoGrowth_IsConstant()
    {
        var o = new BenchOptions { RateStart = 700, RateStep = 0 };
        o.ConstantRate.Should().BeTrue();
        o.NextRate(700).Should().Be(700);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public void Validate_GrowthOutOfRange_IsAUsageError(int growth)
    {
        var o = BenchOptions.ForSmoke(Scenario.Messaging, new XmppEndpoint(IPAddress.Loopback, 5222));
        o.RateGrowthPercent = growth;
        var act = o.Validate;
        act.Should().Throw<BenchUsageException>().WithMessage("*--rate-growth*");
    }
}
