using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Streams;

/// <summary>Hostile or broken input, limits, timeouts and shutdown: each ends one stream with the right stream error (RFC 6120 §4.9, §11).</summary>
public sealed class StreamRobustnessTests
{
    [Fact]
    public async Task MalformedXml_OneClient_ClosesOnlyThatStream()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("mallory");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await using var mallory = await server.LoginAsync("mallory");

        await mallory.SendAsync("<message><body></message>");

        await mallory.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.NotWellFormed);
        await alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='a1'><body>ping</body></message>");
        (await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "a1")).GetAttribute("from").Should().Be(alice.Jid!.ToString());
        await bob.SendAsync($"<message to='{alice.Jid}' type='chat' id='b1'><body>pong</body></message>");
        (await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "b1")).GetAttribute("from").Should().Be(bob.Jid!.ToString());
    }

    [Theory]
    [InlineData("<!-- a comment -->")]
    [InlineData("<?php echo 1; ?>")]
    [InlineData("<!DOCTYPE message>")]
    [InlineData("<!ENTITY lol 'lol'>")]
    [InlineData("<message to='alice@localhost'><body>&lol;</body></message>")]
    [InlineData("<message to='alice@localhost'><body><!-- hidden --></body></message>")]
    public async Task RestrictedXml_AfterBind_RestrictedXmlStreamError(string xml)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        await client.SendAsync(xml);

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.RestrictedXml);
    }

    [Fact]
    public async Task RestrictedXml_DoctypeBeforeHeader_RestrictedXmlStreamError()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        // The entity-expansion ("billion laughs") vector rides in on an internal DTD subset before the root element.
        await client.SendAsync("<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY a 'aaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
            + "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>");

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.RestrictedXml);
    }

    [Fact]
    public async Task Stanza_OverMaxStanzaBytes_PolicyViolation()
    {
        await using var server = await TestServer.StartAsync(limits: new StreamLimitOptions { MaxStanzaBytes = 4096 });
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);
        // Just under the limit still goes through, so the limit is the configured one and not some smaller default.
        await client.SendAsync($"<message to='{client.Jid}' id='fits'><body>{new string('x', 3000)}</body></message>");
        await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "fits");

        await client.SendAsync($"<message to='{client.Jid}' id='big'><body>{new string('x', 5000)}</body></message>");

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.PolicyViolation);
        client.Skipped.Should().NotContain(e => e.GetAttribute("id") == "big");
    }

    [Fact]
    public async Task Stanza_ForgedFrom_InvalidFromAndNotDelivered()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await server.CreateUserAsync("mallory");
        await using var alice = await server.LoginAsync("alice");
        await using var mallory = await server.LoginAsync("mallory");

        await mallory.SendAsync($"<message from='bob@{server.Domain}/test' to='{alice.Jid}' type='chat'><body>it is me, bob</body></message>");

        await mallory.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.InvalidFrom);
        await alice.ExpectNothingAsync(TimeSpan.FromMilliseconds(200), e => e.Name == "message");
    }

    [Fact]
    public async Task Stanza_OwnBareJidAsFrom_AcceptedAndStampedWithFullJid()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        await client.SendAsync($"<message from='{client.Jid!.Bare}' to='{client.Jid}' id='own'><body>me</body></message>");

        var m = await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "own");
        m.GetAttribute("from").Should().Be(client.Jid.ToString());
    }

    [Theory]
    [InlineData("<bar xmlns='urn:example:unknown'/>")]
    [InlineData("<foo/>")]
    public async Task UnknownTopLevelElement_AfterBind_UnsupportedStanzaType(string xml)
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        await client.SendAsync(xml);

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.UnsupportedStanzaType);
    }

    [Fact]
    public async Task AuthTimeout_StalledBeforeTls_ConnectionTimeout()
    {
        await using var server = await TestServer.StartAsync(limits: new StreamLimitOptions { AuthTimeoutSeconds = 1 });
        await using var client = await server.ConnectAsync();

        await client.OpenStreamAsync();

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.ConnectionTimeout);
    }

    [Fact]
    public async Task AuthTimeout_StalledAfterTls_ConnectionTimeout()
    {
        // Long enough for the TLS handshake itself on a loaded 2-core machine; the stall comes after it.
        await using var server = await TestServer.StartAsync(limits: new StreamLimitOptions { AuthTimeoutSeconds = 3 });
        await using var client = await server.ConnectAsync();

        await client.OpenSecureStreamAsync();

        await client.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.ConnectionTimeout);
    }

    [Fact]
    public async Task AuthTimeout_BoundSessionIdle_StaysOpen()
    {
        // Long enough for a whole login on a loaded 2-core machine; the idle period then outlasts the timeout.
        await using var server = await TestServer.StartAsync(limits: new StreamLimitOptions { AuthTimeoutSeconds = 3 });
        await server.CreateUserAsync("alice");
        await using var client = await server.LoginAsync("alice", sendPresence: false);

        await client.ExpectNothingAsync(TimeSpan.FromMilliseconds(3300));

        await client.SendAsync($"<message to='{client.Jid}' id='late'><body>still bound</body></message>");
        await client.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "late");
    }

    [Fact]
    public async Task Shutdown_ConnectedClients_GetSystemShutdownAndClosingTag()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var bound = await server.LoginAsync("alice");
        await using var negotiating = await server.ConnectAsync();
        await negotiating.OpenStreamAsync();

        var stop = server.StopAsync();

        await bound.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.SystemShutdown);
        await negotiating.ExpectStreamErrorAndCloseAsync(StreamErrorCondition.SystemShutdown);
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task PrefixedAttribute_DeclaredOnAncestor_ReachesRecipientWellFormed()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");

        // The prefix is declared on <message> but used on <body>: the body must not travel without its declaration.
        await alice.SendAsync($"<message to='{bob.Jid}' id='p1' xmlns:e='urn:example:e'><body e:x='1'>hi</body></message>");

        var m = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "p1");
        m.Child("body", Ns.Client)!.GetAttribute("e:x").Should().Be("1");
        await alice.SendAsync($"<message to='{bob.Jid}' id='p2'><body>still here</body></message>");
        await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "p2");
        bob.Closed.IsCompleted.Should().BeFalse();
    }
}
