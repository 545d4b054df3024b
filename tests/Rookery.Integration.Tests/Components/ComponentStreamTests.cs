using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Components;

/// <summary>The accept side of XEP-0114 with exact XML: header, handshake, secret, addressing checks.</summary>
public sealed class ComponentStreamTests
{
    private const string Echo = "echo.localhost";
    private const string Secret = "s3cret";

    [Fact]
    public async Task Handshake_RightSecret_EmptyHandshakeAndInstanceRegistered()
    {
        await using var server = await StartAsync();
        await using var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, Echo);

        var header = await component.OpenComponentStreamAsync(Echo);
        header.GetAttribute("from").Should().Be(Echo, "XEP-0114 §3: the server names the component in 'from'");
        header.GetAttribute("id").Should().NotBeNullOrEmpty();
        var answer = await component.ComponentHandshakeAsync(Secret);

        answer.Name.Should().Be("handshake");
        answer.Namespace.Should().Be(Ns.Component);
        answer.HasNodes.Should().BeFalse();
        await TestComponent.WaitForInstancesAsync(server, Echo, 1);
    }

    [Fact]
    public async Task Handshake_WrongSecret_NotAuthorizedStreamErrorAndLogged()
    {
        await using var server = await StartAsync();
        await using var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, Echo);
        await component.OpenComponentStreamAsync(Echo);

        var answer = await component.ComponentHandshakeAsync("not-the-secret");

        answer.Name.Should().Be("error");
        answer.Namespace.Should().Be(Ns.Streams);
        answer.Elements().First(c => c.Namespace == Ns.StreamErrors).Name.Should().Be("not-authorized");
        await component.Closed.WaitAsync(RawXmppClient.DefaultTimeout);
        server.Logs.Entries.Should().Contain(e => e.Level == LogLevel.Warning && e.Message.Contains("failed the handshake for " + Echo, StringComparison.Ordinal));
        server.Services.GetRequiredService<ComponentRegistry>().Find(Echo)!.Instances.Should().BeEmpty();
    }

    [Fact]
    public async Task Header_UnknownComponentDomain_HostUnknown()
    {
        await using var server = await StartAsync();
        await using var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, "nobody.localhost");
        await component.OpenComponentStreamAsync("nobody.localhost");

        (await component.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.HostUnknown);
    }

    [Fact]
    public async Task Header_ClientNamespace_InvalidNamespace()
    {
        await using var server = await StartAsync();
        await using var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, Echo);
        await component.SendAsync($"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{Echo}'>");

        (await component.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.InvalidNamespace);
    }

    [Fact]
    public async Task StanzaBeforeHandshake_NotAuthorized()
    {
        await using var server = await StartAsync();
        await using var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, Echo);
        await component.OpenComponentStreamAsync(Echo);

        await component.SendAsync($"<message from='a@{Echo}' to='alice@localhost'><body>early</body></message>");

        (await component.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.NotAuthorized);
    }

    [Theory]
    [InlineData("alice@localhost")]
    [InlineData("room@other.localhost")]
    [InlineData("localhost")]
    public async Task Stanza_SpoofedFrom_InvalidFromAndNotDelivered(string spoofed)
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var component = await AuthenticatedAsync(server);

        await component.SendAsync($"<message from='{spoofed}' to='{bob.Jid}' type='chat'><body>spoofed</body></message>");

        (await component.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.InvalidFrom);
        await bob.ExpectNothingAsync(TimeSpan.FromMilliseconds(500), e => e.Name == "message");
    }

    [Fact]
    public async Task Stanza_MissingFrom_ImproperAddressing()
    {
        await using var server = await StartAsync();
        await using var component = await AuthenticatedAsync(server);

        await component.SendAsync("<message to='alice@localhost'><body>who?</body></message>");

        (await component.ExpectStreamErrorAsync()).Should().Be(StreamErrorCondition.ImproperAddressing);
    }

    [Fact]
    public async Task Stanza_FromOwnDomain_DeliveredToClientInClientNamespace()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var component = await AuthenticatedAsync(server);

        await component.SendAsync($"<message from='room@{Echo}/nick' to='{bob.Jid}' type='groupchat' id='g1'><body>hi</body></message>");
        var message = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "g1");

        message.Namespace.Should().Be(Ns.Client);
        message.GetAttribute("from").Should().Be($"room@{Echo}/nick");
        message.ChildText("body", Ns.Client).Should().Be("hi");
    }

    [Fact]
    public async Task StanzaToComponent_WrittenInComponentNamespace_AndErrorsFromComponentReachTheClient()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var component = await AuthenticatedAsync(server);

        await bob.SendAsync($"<iq to='room@{Echo}' id='q1' type='get'><query xmlns='jabber:iq:version'/></iq>");
        var iq = await component.WaitForAsync(e => e.Name == "iq");
        iq.Namespace.Should().Be(Ns.Component, "a stanza written to a component stream is in jabber:component:accept");
        iq.GetAttribute("from").Should().Be(bob.Jid!.ToString());

        await component.SendAsync($"<iq from='room@{Echo}' to='{bob.Jid}' id='q1' type='error'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
        var error = await bob.WaitForAsync(e => e.Name == "iq" && e.GetAttribute("id") == "q1");
        StanzaErrors.ConditionOf(error).Should().Be(StanzaErrorCondition.ItemNotFound);
    }

    [Fact]
    public async Task ComponentCloses_InstanceRemovedAndStanzasBounce()
    {
        await using var server = await StartAsync();
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        var component = await AuthenticatedAsync(server);
        await component.DisposeAsync();
        await TestComponent.WaitForInstancesAsync(server, Echo, 0);

        await bob.SendAsync($"<message to='room@{Echo}' id='m1' type='chat'><body>gone?</body></message>");
        var error = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "m1");

        StanzaErrors.ConditionOf(error).Should().Be(StanzaErrorCondition.ServiceUnavailable);
    }

    private static Task<TestServer> StartAsync() => TestServer.StartAsync(o => o.Components[Echo] = new ComponentDomainOptions { Secret = Secret });

    private static async Task<RawXmppClient> AuthenticatedAsync(TestServer server)
    {
        var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, Echo);
        await component.OpenComponentStreamAsync(Echo);
        var answer = await component.ComponentHandshakeAsync(Secret);
        answer.Name.Should().Be("handshake");
        await TestComponent.WaitForInstancesAsync(server, Echo, 1);
        return component;
    }
}
