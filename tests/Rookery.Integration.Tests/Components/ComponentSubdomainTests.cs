using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Components;

/// <summary>
/// Subdomains of a component domain (issue #5): as in ejabberd and Prosody, a component serves exactly the domains it is
/// configured (and handshaken) for. <c>sub.echo.localhost</c> is not handed to the <c>echo.localhost</c> component: it
/// is answered <c>remote-server-not-found</c> (no such service here, and no federation to look elsewhere); configured as
/// a component domain of its own, it reaches the instances that connected for it, and only those.
/// </summary>
public sealed class ComponentSubdomainTests
{
    private const string Echo = "echo.localhost";
    private const string Sub = "sub.echo.localhost";
    private const string Secret = "s3cret";

    [Fact]
    public async Task UnconfiguredSubdomain_NotRoutedToTheParentComponent_AnsweredRemoteServerNotFound()
    {
        await using var server = await TestServer.StartAsync(o => o.Components[Echo] = new ComponentDomainOptions { Secret = Secret });
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var component = await ConnectAsync(server, Echo);

        await bob.SendAsync($"<message to='room@{Sub}' id='s1' type='chat'><body>to a subdomain</body></message>");
        var error = await bob.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "s1");

        StanzaErrors.ConditionOf(error).Should().Be(StanzaErrorCondition.RemoteServerNotFound);
        // The parent component still gets its own domain's stanzas, and never saw the subdomain's.
        await bob.SendAsync($"<message to='room@{Echo}' id='p1' type='chat'><body>to the parent</body></message>");
        var first = await component.WaitForAsync(e => e.Name == "message");
        first.GetAttribute("id").Should().Be("p1", "the stanza to the subdomain must not have reached the parent component");
    }

    [Fact]
    public async Task ConfiguredSubdomain_ReachesItsOwnInstances_NotTheParents()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.Components[Echo] = new ComponentDomainOptions { Secret = Secret };
            o.Components[Sub] = new ComponentDomainOptions { Secret = "sub-secret" };
        });
        await server.CreateUserAsync("bob");
        await using var bob = await server.LoginAsync("bob");
        await using var parent = await ConnectAsync(server, Echo);
        await using var sub = await ConnectAsync(server, Sub, "sub-secret");

        await bob.SendAsync($"<message to='room@{Sub}' id='s2' type='chat'><body>to the subdomain</body></message>");
        await bob.SendAsync($"<message to='room@{Echo}' id='p2' type='chat'><body>to the parent</body></message>");

        (await sub.WaitForAsync(e => e.Name == "message")).GetAttribute("id").Should().Be("s2");
        (await parent.WaitForAsync(e => e.Name == "message")).GetAttribute("id").Should().Be("p2");
        await sub.ExpectNothingAsync(TimeSpan.FromMilliseconds(300), e => e.Name == "message");
    }

    private static async Task<RawXmppClient> ConnectAsync(TestServer server, string domain, string secret = Secret)
    {
        var component = await RawXmppClient.ConnectAsync("127.0.0.1", server.ComponentPort, domain);
        await component.OpenComponentStreamAsync(domain);
        (await component.ComponentHandshakeAsync(secret)).Name.Should().Be("handshake");
        await TestComponent.WaitForInstancesAsync(server, domain, 1);
        return component;
    }
}
