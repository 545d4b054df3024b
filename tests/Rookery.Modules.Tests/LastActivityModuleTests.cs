using Rookery.Modules.Last;
using Rookery.Protocol.Errors;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Tests;

public sealed class LastActivityModuleTests : SqliteTestBase
{
    private const string Alice = "alice@example.org";
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Host_SecondsSinceModuleCreation()
    {
        var harness = Create();
        _clock.Advance(TimeSpan.FromSeconds(90.9));

        var query = await harness.GetAsync(Alice + "/r", "example.org", "<query xmlns='jabber:iq:last'/>");

        query!.ToString().Should().Be("<query xmlns='jabber:iq:last' seconds='90'/>");
    }

    [Fact]
    public async Task Account_WholeSecondsSinceLogoutWithStatus()
    {
        var harness = Create();
        await Storage.LastActivity.SetAsync(Alice, new LastActivity(_clock.GetUtcNow().AddSeconds(-903.7), "Heading Home"));

        var query = await harness.GetAsync(Alice + "/r", Alice, "<query xmlns='jabber:iq:last'/>");

        query!.ToString().Should().Be("<query xmlns='jabber:iq:last' seconds='903'>Heading Home</query>");
    }

    [Fact]
    public async Task Account_LogoutStampInTheFuture_Zero()
    {
        // Another node with a fast clock, or the clock stepped back: never a negative number (xs:unsignedLong).
        var harness = Create();
        await Storage.LastActivity.SetAsync(Alice, new LastActivity(_clock.GetUtcNow().AddMinutes(5), ""));

        var query = await harness.GetAsync(Alice + "/r", Alice, "<query xmlns='jabber:iq:last'/>");

        query!.GetAttribute("seconds").Should().Be("0");
    }

    [Theory]
    [InlineData(Subscription.From, true)]
    [InlineData(Subscription.Both, true)]
    [InlineData(Subscription.To, false)]
    [InlineData(Subscription.None, false)]
    public async Task Account_OnlyContactsWithFromSubscription(Subscription subscription, bool allowed)
    {
        var harness = Create();
        await Storage.Rosters.SetItemAsync(Alice, new RosterItem("bob@example.org", null, subscription, false, []));
        await Storage.LastActivity.SetAsync(Alice, new LastActivity(_clock.GetUtcNow().AddSeconds(-10), "x"));

        var act = () => harness.GetAsync("bob@example.org/r", Alice, "<query xmlns='jabber:iq:last'/>");

        if (allowed)
        {
            (await act()).Should().NotBeNull();
        }
        else
        {
            (await act.Should().ThrowAsync<StanzaErrorException>()).Which.Condition.Should().Be(StanzaErrorCondition.Forbidden);
        }
    }

    private ModuleHarness Create() =>
        ModuleHarness.For(new LastActivityModule(Storage.LastActivity, Storage.Rosters, new SessionTable(), _clock));
}
