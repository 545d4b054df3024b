using Rookery.Protocol.Errors;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Modules;

/// <summary>XMPP ping (XEP-0199) answered by the server, over real sockets.</summary>
public sealed class PingTests
{
    private const string Ping = "<ping xmlns='urn:xmpp:ping'/>";

    [Fact]
    public async Task Ping_Host_EmptyResult()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice");

        var reply = await alice.GetAsync(server.Domain, Ping);

        reply.ShouldBeResult().Should().BeNull();
        reply.GetAttribute("from").Should().Be(server.Domain);
        reply.GetAttribute("to").Should().Be(alice.Jid!.ToString());
    }

    [Fact]
    public async Task Ping_OwnAccount_EmptyResultWithOrWithoutTo()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var alice = await server.LoginAsync("alice", sendPresence: false);

        var noTo = await alice.GetAsync(null, Ping);
        var bare = await alice.GetAsync(server.Bare("alice"), Ping);

        noTo.ShouldBeResult().Should().BeNull();
        bare.ShouldBeResult().Should().BeNull();
    }

    [Fact]
    public async Task Ping_AnotherUsersBareJid_ServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        var reply = await alice.GetAsync(server.Bare("bob"), Ping);

        reply.ShouldBeError(StanzaErrorCondition.ServiceUnavailable);
    }
}
