using Rookery.Modules.Time;

namespace Rookery.Modules.Tests;

public sealed class TimeModuleTests
{
    [Theory]
    [InlineData(0, "+00:00")]
    [InlineData(330, "+05:30")]
    [InlineData(-210, "-03:30")]
    [InlineData(-720, "-12:00")]
    [InlineData(840, "+14:00")]
    public async Task Time_FixedClockAndZone_UtcStampAndOffset(int offsetMinutes, string tzo)
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("test", TimeSpan.FromMinutes(offsetMinutes), "test", "test");
        var clock = new ManualTimeProvider(new DateTimeOffset(2024, 2, 29, 23, 59, 58, 123, TimeSpan.Zero), zone);
        var harness = ModuleHarness.For(new TimeModule(clock));

        var time = await harness.GetAsync("alice@example.org/r", "example.org", "<time xmlns='urn:xmpp:time'/>");

        time!.ToString().Should().Be($"<time xmlns='urn:xmpp:time'><tzo>{tzo}</tzo><utc>2024-02-29T23:59:58.123Z</utc></time>");
    }

    [Fact]
    public async Task Time_ToAccount_NotHandled()
    {
        var harness = ModuleHarness.For(new TimeModule(TimeProvider.System));

        var act = () => harness.GetAsync("alice@example.org/r", "bob@example.org", "<time xmlns='urn:xmpp:time'/>");

        (await act.Should().ThrowAsync<Protocol.Errors.StanzaErrorException>()).Which.Condition.Should().Be(Protocol.Errors.StanzaErrorCondition.ServiceUnavailable);
        harness.Features.Should().Equal("urn:xmpp:time");
    }
}
