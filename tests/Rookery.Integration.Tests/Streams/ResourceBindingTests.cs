using Microsoft.Extensions.DependencyInjection;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>Resource binding (RFC 6120 §7), its conflicts, and the legacy session request (RFC 3921 §3).</summary>
public sealed class ResourceBindingTests
{
    [Fact]
    public async Task Bind_NoResourceRequested_ServerGeneratesDistinctResources()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();

        var a = await first.LoginAsync("alice", "secret", resource: null);
        var b = await second.LoginAsync("alice", "secret", resource: null);

        a.Bare.ToString().Should().Be($"alice@{server.Domain}");
        a.Resource.Should().NotBeNullOrWhiteSpace();
        b.Resource.Should().NotBeNullOrWhiteSpace();
        b.Resource.Should().NotBe(a.Resource, "RFC 6120 §7.6.2.1: generated resources are unique");
    }

    [Fact]
    public async Task Bind_SameFullJidTwice_FirstGetsConflictAndSecondWorks()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var first = await server.LoginAsync("alice", resource: "home", sendPresence: false);

        await using var second = await server.LoginAsync("alice", resource: "home", sendPresence: false);

        second.Jid.Should().Be(first.Jid);
        // RFC 6120 §7.7.2.2: the existing session is terminated with a conflict stream error.
        await first.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.Conflict);
        var sessions = server.Services.GetRequiredService<SessionTable>();
        sessions.Sessions(second.Jid!.Bare).Should().ContainSingle();
        // The second session is live: a message to its own full JID comes back to it.
        await second.SendAsync($"<message to='{second.Jid}' id='self'><body>still here</body></message>");
        var echo = await second.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "self");
        echo.GetAttribute("from").Should().Be(second.Jid!.ToString());
    }

    [Fact]
    public async Task Message_AfterAuthBeforeBind_NotAuthorizedStreamError()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        await client.AuthenticateScramAsync("alice", "secret");

        await client.SendAsync($"<message to='{bob.Jid}' type='chat'><body>unbound</body></message>");

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.NotAuthorized);
        await bob.ExpectNothingAsync(TimeSpan.FromMilliseconds(200), e => e.Name == "message");
    }

    [Fact]
    public async Task Message_BeforeAuth_NotAuthorizedStreamError()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        await client.SendAsync("<message to='bob@localhost'><body>anonymous</body></message>");

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.NotAuthorized);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("localhost")]
    public async Task Iq_BeforeAuthToServer_NotAuthorizedStanzaErrorAndStreamStaysOpen(string? to)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var toAttr = to is null ? string.Empty : $" to='{to}'";

        var reply = await client.IqAsync($"<iq type='get' id='v1'{toAttr}><query xmlns='jabber:iq:version'/></iq>", "v1");

        // RFC 6120 §7.1 keeps stanzas to the server itself out of the not-authorized stream error; Smack's SINT
        // (ResourceBindingIntegrationTest.testSendStanzaBeforeLoginServer/ToSelf) expects an answer and an open stream
        // before authentication as well.
        reply.ShouldBeStanzaError(StanzaErrorCondition.NotAuthorized);
        await client.AuthenticateScramAsync("alice", "secret");
        (await client.BindAsync("after")).Resource.Should().Be("after");
    }

    [Fact]
    public async Task Iq_BeforeAuthToSomeoneElse_NotAuthorizedStreamError()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();

        await client.SendAsync("<iq type='get' id='v2' to='bob@localhost'><query xmlns='jabber:iq:version'/></iq>");

        // RFC 6120 §4.9.3.12 (SINT testSendStanzaBeforeLoginToSomeoneElse, which sends a message).
        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.NotAuthorized);
    }

    [Fact]
    public async Task Session_LegacyIqAfterBind_Result()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        var features = await client.AuthenticateScramAsync("alice", "secret");
        features.Child("session", Ns.Session)?.Child("optional", Ns.Session).Should().NotBeNull("RFC 6121 makes the session request optional");
        await client.BindAsync("legacy");

        var reply = await client.IqAsync("<iq type='set' id='sess1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>", "sess1");

        reply.GetAttribute("type").Should().Be("result", "got {0}", reply);
    }

    [Fact]
    public async Task Session_LegacyIqAddressedToDomain_Result()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        // RFC 3921 §3 example: old clients address the session request to the server's domain.
        var reply = await client.IqAsync($"<iq to='{server.Domain}' type='set' id='sess2'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>", "sess2");

        reply.GetAttribute("type").Should().Be("result", "got {0}", reply);
    }

    [Fact]
    public async Task Bind_InvalidResource_BadRequestAndStreamStaysNegotiable()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.ConnectAsync();
        await client.OpenSecureStreamAsync();
        await client.AuthenticateScramAsync("alice", "secret");

        // U+0080, a C1 control, is legal XML but not allowed by the OpaqueString profile (RFC 7622 §3.4).
        var reply = await client.IqAsync("<iq type='set' id='b0'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bad&#x80;</resource></bind></iq>", "b0");

        reply.ShouldBeStanzaError(StanzaErrorCondition.BadRequest);
        (await client.BindAsync("good")).Should().Be(Jid.Parse($"alice@{server.Domain}/good"));
    }
}
