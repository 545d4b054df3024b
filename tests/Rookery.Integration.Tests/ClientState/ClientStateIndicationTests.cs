using Rookery.Protocol.Xml;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.ClientState;

/// <summary>Client state indication (XEP-0352): what waits while a client is inactive, and what does not.</summary>
public sealed class ClientStateIndicationTests
{
    private const string Csi = "urn:xmpp:csi:0";

    [Fact]
    public async Task Features_AfterAuthentication_OfferCsi()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await using var client = await server.AuthenticateAsync("alice");
        var features = client.Features!;

        features.Child("csi", Csi).Should().NotBeNull();
    }

    [Fact]
    public async Task Inactive_PresenceWaits_UntilActive()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await alice.SendAsync($"<inactive xmlns='{Csi}'/>");
        // A round trip on alice's stream: once the ping is answered, <inactive/> before it was handled too
        // (RFC 6120 §10.1, in order per stream), so bob's stanzas cannot overtake it on a loaded machine.
        await alice.IqAsync("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "sync");

        // Directed presence stands in for any availability update.
        await bob.SendAsync($"<presence to='{alice.Jid}'><status>first</status></presence>");
        await bob.SendAsync($"<presence to='{alice.Jid}'><status>second</status></presence>");
        await alice.ExpectNothingAsync(TimeSpan.FromMilliseconds(300), e => e.Name == "presence");

        await alice.SendAsync($"<active xmlns='{Csi}'/>");

        // Only the newest update of the sender is kept.
        var p = await alice.WaitForAsync(e => e.Name == "presence" && e.GetAttribute("from") == bob.Jid!.ToString());
        p.ChildText("status", Ns.Client).Should().Be("second");
        await alice.ExpectNothingAsync(TimeSpan.FromMilliseconds(200), e => e.Name == "presence");
    }

    [Fact]
    public async Task Inactive_MessageWithBody_ArrivesAtOnce_AfterHeldPresence()
    {
        await using var server = await TestServer.StartAsync();
        await server.CreateUserAsync("alice");
        await server.CreateUserAsync("bob");
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob");
        await alice.SendAsync($"<inactive xmlns='{Csi}'/>");
        // A round trip on alice's stream: once the ping is answered, <inactive/> before it was handled too
        // (RFC 6120 §10.1, in order per stream), so bob's stanzas cannot overtake it on a loaded machine.
        await alice.IqAsync("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", "sync");

        await bob.SendAsync($"<presence to='{alice.Jid}'><status>away</status></presence>");
        await bob.SendAsync($"<message to='{alice.Jid}' type='chat' id='c1'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
        await alice.ExpectNothingAsync(TimeSpan.FromMilliseconds(300));
        await bob.SendAsync($"<message to='{alice.Jid}' type='chat' id='b1'><body>wake up</body></message>");

        // The held presence and chat state come first, then the message, in order.
        var first = await alice.NextAsync();
        var second = await alice.NextAsync();
        var third = await alice.NextAsync();
        first.Name.Should().Be("presence");
        second.GetAttribute("id").Should().Be("c1");
        third.GetAttribute("id").Should().Be("b1");
    }

    [Fact]
    public async Task DisabledModule_OffersNoFeature()
    {
        await using var server = await TestServer.StartAsync(o => o.DisabledModules = ["csi"]);
        await server.CreateUserAsync("alice");
        await using var client = await server.AuthenticateAsync("alice");
        var features = client.Features!;

        features.Child("csi", Csi).Should().BeNull();
    }
}
