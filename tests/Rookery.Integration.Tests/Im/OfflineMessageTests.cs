using System.Globalization;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Im;

/// <summary>Offline message storage (RFC 6121 §8.5.2.2.1, XEP-0160) with delayed delivery stamps (XEP-0203).</summary>
public sealed class OfflineMessageTests
{
    [Fact]
    public async Task Message_NoAvailableResource_DeliveredOnceAfterLoginWithDelayInOrder()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var i = 1; i <= 3; i++)
        {
            await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='m{i}'><body>offline {i}</body></message>");
        }

        await alice.SyncAsync();

        await using (var bob = await server.LoginAsync("bob"))
        {
            var received = new List<Element>();
            for (var i = 0; i < 3; i++)
            {
                received.Add(await bob.WaitForAsync(Match.AnyMessage));
            }

            received.Select(m => m.ChildText("body", Ns.Client)).Should().Equal("offline 1", "offline 2", "offline 3");
            foreach (var m in received)
            {
                m.GetAttribute("from").Should().Be(alice.Jid!.ToString());
                var delay = m.Child("delay", Ns.Delay);
                delay.Should().NotBeNull("XEP-0160 §2: offline messages carry a XEP-0203 delay: {0}", m);
                delay!.GetAttribute("from").Should().Be(server.Domain);
                var stamp = DateTimeOffset.Parse(delay.GetAttribute("stamp")!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                stamp.Should().BeOnOrAfter(before).And.BeOnOrBefore(DateTimeOffset.UtcNow.AddSeconds(1));
            }

            await bob.SyncAsync();
        }

        await using var again = await server.LoginAsync("bob");
        await again.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    [Fact]
    public async Task Message_OfflineQueueFull_NextMessageBouncesWithServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync(o => o.SetOffline(new OfflineOptions { MaxMessagesPerUser = 2 }));
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");

        for (var i = 1; i <= 3; i++)
        {
            await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat' id='m{i}'><body>offline {i}</body></message>");
        }

        // The first two are stored silently; the stream processes in order, so the first error must be the third's.
        var error = await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("type") == "error");
        error.GetAttribute("id").Should().Be("m3");
        Match.Condition(error).Should().Be("service-unavailable");

        await using var bob = await server.LoginAsync("bob");
        (await bob.WaitForAsync(Match.AnyMessage)).ChildText("body", Ns.Client).Should().Be("offline 1");
        (await bob.WaitForAsync(Match.AnyMessage)).ChildText("body", Ns.Client).Should().Be("offline 2");
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    [Fact]
    public async Task Headline_ToOfflineUser_IsNotStored()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='headline'><body>news</body></message>");
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>chat</body></message>");
        await alice.SyncAsync();

        await using var bob = await server.LoginAsync("bob");

        // §8.5.2.2.1: headlines are dropped, not stored; the chat sent after it is the first message bob sees.
        (await bob.WaitForAsync(Match.AnyMessage)).ChildText("body", Ns.Client).Should().Be("chat");
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
    }

    [Fact]
    public async Task OfflineMessages_LoginWithNegativePriority_WaitUntilNonNegativePresence()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await alice.SendAsync($"<message to='{server.Bare("bob")}' type='chat'><body>later</body></message>");
        await alice.SyncAsync();

        await using var bob = await server.LoginWithPriorityAsync("bob", "bot", -1);

        // XEP-0160 §2: stored messages go to the resource that next sends non-negative available presence.
        await bob.ExpectNothingAsync(ImTestExtensions.Quiet, Match.AnyMessage);
        await bob.SendAsync("<presence><priority>1</priority></presence>");
        var m = await bob.WaitForAsync(Match.AnyMessage);
        m.ChildText("body", Ns.Client).Should().Be("later");
        m.Child("delay", Ns.Delay).Should().NotBeNull();
    }
}
