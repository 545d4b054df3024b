using System.Globalization;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>Entity time of the server (XEP-0202), over real sockets.</summary>
public sealed class TimeTests
{
    [Fact]
    public async Task Time_Host_UtcNowAndNumericOffset()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");
        var before = DateTimeOffset.UtcNow;

        var time = (await alice.GetAsync(server.Domain, "<time xmlns='urn:xmpp:time'/>")).ShouldBeResult()!;

        var after = DateTimeOffset.UtcNow;
        time.Name.Should().Be("time");
        time.Namespace.Should().Be("urn:xmpp:time");
        var utc = time.ChildText("utc", "urn:xmpp:time");
        utc.Should().MatchRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$");
        var stamp = DateTimeOffset.Parse(utc!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        // The stamp has millisecond precision: allow for the truncation.
        stamp.Should().BeOnOrAfter(before.AddMilliseconds(-1)).And.BeOnOrBefore(after);
        var tzo = time.ChildText("tzo", "urn:xmpp:time");
        tzo.Should().MatchRegex(@"^[+-]\d\d:\d\d$");
        var offset = TimeZoneInfo.Local.GetUtcOffset(stamp);
        tzo.Should().Be((offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture));
    }
}
