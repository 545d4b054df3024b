using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests;

/// <summary>Message routing over real sockets (RFC 6121 §8).</summary>
public sealed class MessagingTests
{
    [Fact]
    public async Task Message_ToFullJid_IsDeliveredWithStampedFrom()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        await alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='m1'><body>hi &amp; bye</body></message>");

        var m = await bob.WaitForAsync(e => e.Name == "message");
        m.GetAttribute("from").Should().Be(alice.Jid!.ToString());
        m.ChildText("body", Ns.Client).Should().Be("hi & bye");
    }
}
