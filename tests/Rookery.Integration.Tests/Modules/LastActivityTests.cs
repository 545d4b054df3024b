using System.Diagnostics;
using System.Globalization;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>Last activity (XEP-0012): server uptime and users' last logout, over real sockets.</summary>
public sealed class LastActivityTests
{
    private const string Query = "<query xmlns='jabber:iq:last'/>";

    [Fact]
    public async Task Last_Host_UptimeInSeconds()
    {
        var clock = Stopwatch.StartNew();
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var query = (await alice.GetAsync(server.Domain, Query)).ShouldBeResult()!;

        Seconds(query).Should().BeInRange(0, (long)clock.Elapsed.TotalSeconds + 1);
        query.Text.Should().BeEmpty();
    }

    [Fact]
    public async Task Last_ContactAfterUnavailablePresence_SecondsSinceLogoutAndStatus()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedRosterItemAsync("alice", "bob", Subscription.Both);
        await server.SeedRosterItemAsync("bob", "alice", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");
        await using var alice = await server.LoginAsync("alice");

        await alice.SendAsync("<presence type='unavailable'><status>Heading Home</status></presence>");
        // The logout is recorded before contacts are told, so once bob sees it the answer includes it.
        await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == alice.Jid!.ToString() && e.GetAttribute("type") == "unavailable");
        var query = (await bob.GetAsync(server.Bare("alice"), Query)).ShouldBeResult()!;

        Seconds(query).Should().BeInRange(0, 5);
        query.Text.Should().Be("Heading Home");
    }

    [Fact]
    public async Task Last_ContactAfterStreamClosed_LogoutRecordedWithoutStatus()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedRosterItemAsync("alice", "bob", Subscription.From);
        await server.SeedRosterItemAsync("bob", "alice", Subscription.To);
        await server.Storage.LastActivity.SetAsync(server.Bare("alice"), new LastActivity(DateTimeOffset.UtcNow.AddDays(-3), "old"));
        await using var bob = await server.LoginAsync("bob");
        var alice = await server.LoginAsync("alice");
        var aliceJid = alice.Jid!.ToString();

        await alice.DisposeAsync();
        await bob.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == aliceJid && e.GetAttribute("type") == "unavailable");
        var query = (await bob.GetAsync(server.Bare("alice"), Query)).ShouldBeResult()!;

        // The stream's end replaced the three-day-old record, status and all.
        Seconds(query).Should().BeInRange(0, 5);
        query.Text.Should().BeEmpty();
    }

    [Fact]
    public async Task Last_UserOnline_Zero()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedRosterItemAsync("alice", "bob", Subscription.From);
        await server.Storage.LastActivity.SetAsync(server.Bare("alice"), new LastActivity(DateTimeOffset.UtcNow.AddHours(-1), "away"));
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        var query = (await bob.GetAsync(server.Bare("alice"), Query)).ShouldBeResult()!;

        Seconds(query).Should().Be(0);
        query.Text.Should().BeEmpty();
    }

    [Fact]
    public async Task Last_OwnAccountWhileNoResourceAvailable_StoredLogout()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.Storage.LastActivity.SetAsync(server.Bare("alice"), new LastActivity(DateTimeOffset.UtcNow.AddHours(-1), "Lunch"));
        // Bound but without presence: connected, yet not an available resource.
        await using var alice = await server.LoginAsync("alice", sendPresence: false);

        var query = (await alice.GetAsync(null, Query)).ShouldBeResult()!;

        Seconds(query).Should().BeInRange(3600, 3660);
        query.Text.Should().Be("Lunch");
    }

    [Theory]
    [InlineData(null)]
    [InlineData(Subscription.None)]
    [InlineData(Subscription.To)]
    public async Task Last_AskerNotAllowedToSeePresence_Forbidden(Subscription? aliceViewOfCarol)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("carol");
        if (aliceViewOfCarol is { } s)
        {
            await server.SeedRosterItemAsync("alice", "carol", s);
        }

        await server.Storage.LastActivity.SetAsync(server.Bare("alice"), new LastActivity(DateTimeOffset.UtcNow.AddHours(-1), "secret"));
        await using var carol = await server.LoginAsync("carol");

        var reply = await carol.GetAsync(server.Bare("alice"), Query);

        reply.ShouldBeError(StanzaErrorCondition.Forbidden);
        reply.ToString().Should().NotContain("secret");
    }

    [Fact]
    public async Task Last_NoLogoutEverRecorded_ItemNotFound()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.SeedRosterItemAsync("alice", "bob", Subscription.Both);
        await using var bob = await server.LoginAsync("bob");

        var reply = await bob.GetAsync(server.Bare("alice"), Query);

        reply.ShouldBeError(StanzaErrorCondition.ItemNotFound);
    }

    private static long Seconds(Element query)
    {
        query.Namespace.Should().Be("jabber:iq:last");
        return long.Parse(query.GetAttribute("seconds")!, NumberStyles.None, CultureInfo.InvariantCulture);
    }
}
