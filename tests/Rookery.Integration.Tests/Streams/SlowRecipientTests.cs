using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>
/// A sender faster than its recipient: the recipient's outgoing queue is bounded (<c>Limits:MaxOutboundQueue</c>), and
/// the sender is slowed down (the server stops reading its socket) while that queue is congested, so that a recipient
/// that merely falls behind gets every message instead of having its stream cut off; a recipient that stops reading
/// altogether still loses its stream at the limit, after one bounded pause of the sender.
/// </summary>
[Trait("Category", "Slow")]
public sealed class SlowRecipientTests
{
    // Small enough that the floods below overfill it many times over; congestion starts at a tenth of it. The floods'
    // messages are large (4 KB bodies, 10 MB in all) because the kernel buffers up to 4 MiB (tcp_wmem) of what the
    // server writes to a client before the server's writes back up.
    private static readonly StreamLimitOptions SmallQueue = new() { MaxOutboundQueue = 100 };

    private const int FloodCount = 2_500;
    private const int FloodPausedEvent = 510;
    private const int FloodPauseExpiredEvent = 511;
    private const int ClosingWithErrorEvent = 502;

    [Fact]
    public async Task RecipientFallingBehind_SlowsTheSender_AndGetsEveryMessageInOrder()
    {
        await using var server = await TestServer.StartAsync(limits: SmallQueue);
        var (alice, bob) = await AliceAndPausedBobAsync(server);
        await using var aliceClient = alice;
        await using var bobClient = bob;
        var flood = Flood.SendAsync(alice, bob.Jid!.ToString(), FloodCount);
        await Eventually.TrueAsync(() => server.Logs.Entries.Any(e => e.EventId.Id == FloodPausedEvent), "the server pauses alice for bob's congested queue");
        bob.ResumeReading();

        for (var i = 0; i < FloodCount; i++)
        {
            var message = await bob.WaitForAsync(e => e.Name == "message" || e.Name == "error", TimeSpan.FromSeconds(30));
            message.Name.Should().Be("message", "bob's stream must not be cut off while he is reading");
            message.GetAttribute("id").Should().Be("f" + i);
        }

        await flood;
        server.Logs.Entries.Should().NotContain(e => e.EventId.Id == ClosingWithErrorEvent, "no stream was closed");
    }

    [Fact]
    public async Task RecipientThatStopsReading_LosesItsStreamAtTheQueueLimit_AfterOnePauseOfTheSender()
    {
        await using var server = await TestServer.StartAsync(limits: SmallQueue);
        var (alice, bob) = await AliceAndPausedBobAsync(server);
        await using var aliceClient = alice;
        await using var bobClient = bob;
        await Flood.SendAsync(alice, bob.Jid!.ToString(), FloodCount).WaitAsync(TimeSpan.FromSeconds(60));

        await Eventually.TrueAsync(
            () => server.Logs.Entries.Any(e => e.EventId.Id == ClosingWithErrorEvent && e.Message.Contains("ResourceConstraint", StringComparison.Ordinal)),
            "bob's stream is closed with resource-constraint");
        server.Logs.Entries.Count(e => e.EventId.Id == FloodPauseExpiredEvent).Should().Be(1, "once a pause ran out, alice is not paused for bob again");
        var pong = await alice.IqAsync("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>", "p1");
        pong.GetAttribute("type").Should().Be("result", "alice's own stream is unaffected");
    }

    /// <summary>Alice logged in, and bob logged in with a small receive buffer and no longer reading it.</summary>
    private static async Task<(RawXmppClient Alice, RawXmppClient Bob)> AliceAndPausedBobAsync(TestServer server)
    {
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        var bob = await RawXmppClient.ConnectAsync("127.0.0.1", server.Port, server.Domain, receiveBufferBytes: 4096);
        await bob.LoginAsync("bob", "secret", "slow");
        var alice = await server.LoginAsync("alice");
        bob.PauseReading();
        return (alice, bob);
    }
}
