using Rookery.Protocol.Errors;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>Stanza-level errors a bound client gets back (RFC 6120 §8.3): the stream stays open after each.</summary>
public sealed class StanzaErrorTests
{
    [Fact]
    public async Task Iq_UnknownPayloadToDomain_ServiceUnavailable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        var reply = await client.IqAsync($"<iq to='{server.Domain}' type='get' id='q1'><query xmlns='urn:example:unknown'/></iq>", "q1");

        reply.ShouldBeStanzaError(StanzaErrorCondition.ServiceUnavailable);
        reply.GetAttribute("from").Should().Be(server.Domain);
        reply.GetAttribute("to").Should().Be(client.Jid!.ToString());
        await AssertStreamStillOpenAsync(client);
    }

    [Theory]
    [InlineData("nobody@localhost")]
    [InlineData("nobody@localhost/desk")]
    public async Task Iq_ToNonexistentLocalUser_ServiceUnavailable(string to)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        var reply = await client.IqAsync($"<iq to='{to}' type='get' id='q2'><query xmlns='urn:example:unknown'/></iq>", "q2");

        reply.ShouldBeStanzaError(StanzaErrorCondition.ServiceUnavailable);
        reply.GetAttribute("from").Should().Be(to);
        await AssertStreamStillOpenAsync(client);
    }

    [Fact]
    public async Task Message_ToRemoteDomain_RemoteServerNotFound()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        await client.SendAsync("<message to='x@example.org' type='chat' id='r1'><body>hello?</body></message>");

        var reply = await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "r1");
        reply.ShouldBeStanzaError(StanzaErrorCondition.RemoteServerNotFound);
        reply.GetAttribute("from").Should().Be("x@example.org");
        reply.GetAttribute("to").Should().Be(client.Jid!.ToString());
        await AssertStreamStillOpenAsync(client);
    }

    [Fact]
    public async Task Iq_WithoutId_BadRequest()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        await client.SendAsync("<iq type='get'><query xmlns='jabber:iq:roster'/></iq>");

        var reply = await client.WaitForAsync(e => e.Name == "iq");
        reply.ShouldBeStanzaError(StanzaErrorCondition.BadRequest);
        await AssertStreamStillOpenAsync(client);
    }

    [Fact]
    public async Task Iq_TwoPayloadChildren_BadRequest()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        // RFC 6120 §8.2.3: an iq get or set carries exactly one payload element.
        var reply = await client.IqAsync("<iq type='get' id='two'><query xmlns='jabber:iq:roster'/><ping xmlns='urn:xmpp:ping'/></iq>", "two");

        reply.ShouldBeStanzaError(StanzaErrorCondition.BadRequest);
        await AssertStreamStillOpenAsync(client);
    }

    [Theory]
    [InlineData("a@b@c")]
    [InlineData("@localhost")]
    [InlineData("alice@")]
    public async Task Stanza_ToInvalidJid_JidMalformed(string to)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        await client.SendAsync($"<message to='{to}' type='chat' id='bad'><body>x</body></message>");

        var reply = await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "bad");
        reply.ShouldBeStanzaError(StanzaErrorCondition.JidMalformed);
        reply.GetAttribute("to").Should().Be(client.Jid!.ToString());
        await AssertStreamStillOpenAsync(client);
    }

    [Fact]
    public async Task IqError_ToNonexistentUser_NotAnsweredWithError()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        // RFC 6120 §8.3.1: an error is never answered with an error, or two servers could bounce forever.
        await client.SendAsync("<iq to='nobody@localhost' type='error' id='e1'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");

        await AssertStreamStillOpenAsync(client);
        client.Skipped.Should().NotContain(e => e.GetAttribute("id") == "e1");
    }

    /// <summary>A stanza error must not end the stream: a message to oneself still comes back.</summary>
    private static async Task AssertStreamStillOpenAsync(RawXmppClient client)
    {
        var id = "alive-" + Guid.NewGuid().ToString("N")[..8];
        await client.SendAsync($"<message to='{client.Jid}' id='{id}'><body>alive</body></message>");
        await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == id);
        client.Closed.IsCompleted.Should().BeFalse();
    }
}
