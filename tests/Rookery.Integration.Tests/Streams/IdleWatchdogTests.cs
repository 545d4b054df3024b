using Rookery.Protocol.Errors;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>The idle watchdog (XEP-0199 §4.2): silent clients are pinged, and closed when they do not answer.</summary>
public sealed class IdleWatchdogTests
{
    [Fact]
    public async Task SilentClient_IsPinged_AndStaysWhenItAnswers()
    {
        await using var server = await TestServer.StartAsync(o => o.Watchdog = new WatchdogOptions { IdleSeconds = 1, TimeoutSeconds = 1 });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var ping = await alice.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("type") == "get" && e.Child("ping", "urn:xmpp:ping") is not null, TimeSpan.FromSeconds(5));
        ping.GetAttribute("to").Should().Be(alice.Jid!.ToString());
        await alice.SendAsync($"<iq type='result' id='{ping.GetAttribute("id")}' to='{ping.GetAttribute("from")}'/>");

        // Answered: the stream survives past the timeout and the next ping comes in its time.
        await alice.WaitForAsync(e => e.Name == "iq" && e.Child("ping", "urn:xmpp:ping") is not null, TimeSpan.FromSeconds(5));
        alice.Closed.IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task SilentClient_ThatNeverAnswers_IsClosedWithConnectionTimeout()
    {
        await using var server = await TestServer.StartAsync(o => o.Watchdog = new WatchdogOptions { IdleSeconds = 1, TimeoutSeconds = 1 });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        (await alice.ExpectStreamErrorAsync(TimeSpan.FromSeconds(6))).Should().Be(StreamErrorCondition.ConnectionTimeout);
    }

    [Fact]
    public async Task Watchdog_Off_LeavesSilentClientsAlone()
    {
        await using var server = await TestServer.StartAsync(o => o.Watchdog = new WatchdogOptions { IdleSeconds = 0 });
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        await alice.ExpectNothingAsync(TimeSpan.FromSeconds(2), e => e.Name == "iq");
    }
}
