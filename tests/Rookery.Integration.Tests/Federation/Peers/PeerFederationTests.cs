using Rookery.Protocol.Xml;

namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>
/// The conversations every real peer must hold with Rookery over federation (RFC 6120 §4, RFC 6121, XEP-0220):
/// messages both ways, mutual presence subscription with presence seen, iq (XEP-0199 ping, XEP-0092 version) to the
/// servers and to full JIDs across, and both streams authenticated by dialback over STARTTLS with self-signed
/// certificates. The subclasses bind them to one peer each.
/// </summary>
public abstract class PeerFederationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(45);
    private readonly PeerFederation _fixture;

    /// <summary>Takes the class's fixture.</summary>
    protected PeerFederationTests(PeerFederation fixture) => _fixture = fixture;

    private string PeerDomain => _fixture.Peer.Domain;

    private string Failure() => _fixture.Peer.LogTail();

    /// <summary>alice (Rookery) and carol (peer) exchange chat messages both ways.</summary>
    protected async Task MessageBothWaysAsync()
    {
        await using var alice = await _fixture.Rookery.LoginAsync("alice", PeerFederation.Password);
        await using var carol = await _fixture.Peer.LoginAsync("carol", PeerFederation.Password);

        await alice.SendAsync($"<message to='carol@{PeerDomain}/peer' type='chat' id='to-peer'><body>hello from rookery</body></message>");
        var got = await WaitAsync(carol, e => e.Name == "message" && e.ChildText("body", Ns.Client) == "hello from rookery");
        got.GetAttribute("from").Should().Be($"alice@{PeerFederation.RookeryDomain}/test");

        await carol.SendAsync($"<message to='alice@{PeerFederation.RookeryDomain}/test' type='chat' id='from-peer'><body>hello from {PeerDomain}</body></message>");
        var back = await WaitAsync(alice, e => e.Name == "message" && e.ChildText("body", Ns.Client) == $"hello from {PeerDomain}");
        back.GetAttribute("from").Should().Be($"carol@{PeerDomain}/peer");
    }

    /// <summary>bob (Rookery) and erin (peer) subscribe to each other, approve, and see each other's presence changes.</summary>
    protected async Task PresenceSubscriptionBothWaysAsync()
    {
        await using var bob = await _fixture.Rookery.LoginAsync("bob", PeerFederation.Password);
        await using var erin = await _fixture.Peer.LoginAsync("erin", PeerFederation.Password);
        var bobJid = $"bob@{PeerFederation.RookeryDomain}";
        var erinJid = $"erin@{PeerDomain}";

        // RFC 6121 §3.1: bob asks, erin approves; bob's server then has erin's current presence sent (§3.1.5).
        await bob.SendAsync($"<presence to='{erinJid}' type='subscribe'/>");
        await WaitAsync(erin, e => e.Name == "presence" && e.GetAttribute("type") == "subscribe" && e.GetAttribute("from") == bobJid);
        await erin.SendAsync($"<presence to='{bobJid}' type='subscribed'/>");
        await WaitAsync(bob, e => e.Name == "presence" && e.GetAttribute("type") == "subscribed" && e.GetAttribute("from") == erinJid);
        await WaitAsync(bob, e => e.Name == "presence" && e.GetAttribute("type") is null && e.GetAttribute("from") == $"{erinJid}/peer");

        // And the other way round.
        await erin.SendAsync($"<presence to='{bobJid}' type='subscribe'/>");
        await WaitAsync(bob, e => e.Name == "presence" && e.GetAttribute("type") == "subscribe" && e.GetAttribute("from") == erinJid);
        await bob.SendAsync($"<presence to='{erinJid}' type='subscribed'/>");
        await WaitAsync(erin, e => e.Name == "presence" && e.GetAttribute("type") == "subscribed" && e.GetAttribute("from") == bobJid);
        await WaitAsync(erin, e => e.Name == "presence" && e.GetAttribute("type") is null && e.GetAttribute("from") == $"{bobJid}/test");

        // Broadcasts of later changes reach the contact on the other server (RFC 6121 §4.4).
        await erin.SendAsync("<presence><show>away</show><status>erin is away</status></presence>");
        await WaitAsync(bob, e => e.Name == "presence" && e.GetAttribute("from") == $"{erinJid}/peer" && e.ChildText("status", Ns.Client) == "erin is away");
        await bob.SendAsync("<presence><show>dnd</show><status>bob is busy</status></presence>");
        await WaitAsync(erin, e => e.Name == "presence" && e.GetAttribute("from") == $"{bobJid}/test" && e.ChildText("status", Ns.Client) == "bob is busy");
    }

    /// <summary>dave (Rookery) and frank (peer) ping and ask the version of the other server, and ping each other's full JID.</summary>
    protected async Task IqBothWaysAsync()
    {
        await using var dave = await _fixture.Rookery.LoginAsync("dave", PeerFederation.Password);
        await using var frank = await _fixture.Peer.LoginAsync("frank", PeerFederation.Password);
        var daveFull = $"dave@{PeerFederation.RookeryDomain}/test";
        var frankFull = $"frank@{PeerDomain}/peer";

        var ping = await IqAsync(dave, $"<iq type='get' to='{PeerDomain}' id='r-ping'><ping xmlns='urn:xmpp:ping'/></iq>", "r-ping");
        ping.GetAttribute("type").Should().Be("result");
        ping.GetAttribute("from").Should().Be(PeerDomain);
        var version = await IqAsync(dave, $"<iq type='get' to='{PeerDomain}' id='r-ver'><query xmlns='jabber:iq:version'/></iq>", "r-ver");
        version.GetAttribute("type").Should().Be("result");
        version.Child("query", "jabber:iq:version")!.ChildText("name", "jabber:iq:version").Should().NotBeNullOrEmpty();

        var pingBack = await IqAsync(frank, $"<iq type='get' to='{PeerFederation.RookeryDomain}' id='p-ping'><ping xmlns='urn:xmpp:ping'/></iq>", "p-ping");
        pingBack.GetAttribute("type").Should().Be("result");
        pingBack.GetAttribute("from").Should().Be(PeerFederation.RookeryDomain);
        var versionBack = await IqAsync(frank, $"<iq type='get' to='{PeerFederation.RookeryDomain}' id='p-ver'><query xmlns='jabber:iq:version'/></iq>", "p-ver");
        versionBack.GetAttribute("type").Should().Be("result");
        versionBack.Child("query", "jabber:iq:version")!.ChildText("name", "jabber:iq:version").Should().Be("Rookery");

        // Full JID to full JID: the client on the other server answers (RFC 6120 §8.2.3), the result comes back.
        await dave.SendAsync($"<iq type='get' to='{frankFull}' id='c-ping'><ping xmlns='urn:xmpp:ping'/></iq>");
        var atFrank = await WaitAsync(frank, e => e.Name == "iq" && e.GetAttribute("id") == "c-ping");
        atFrank.GetAttribute("from").Should().Be(daveFull);
        await frank.SendAsync($"<iq type='result' to='{daveFull}' id='c-ping'/>");
        (await WaitAsync(dave, e => e.Name == "iq" && e.GetAttribute("id") == "c-ping")).GetAttribute("type").Should().Be("result");

        await frank.SendAsync($"<iq type='get' to='{daveFull}' id='c-ping2'><ping xmlns='urn:xmpp:ping'/></iq>");
        var atDave = await WaitAsync(dave, e => e.Name == "iq" && e.GetAttribute("id") == "c-ping2");
        atDave.GetAttribute("from").Should().Be(frankFull);
        await dave.SendAsync($"<iq type='result' to='{frankFull}' id='c-ping2'/>");
        (await WaitAsync(frank, e => e.Name == "iq" && e.GetAttribute("id") == "c-ping2")).GetAttribute("type").Should().Be("result");
    }

    /// <summary>Both streams (Rookery's outgoing and the peer's outgoing) are set up over STARTTLS and verified by dialback.</summary>
    protected async Task StreamsAuthenticatedByDialbackOverTlsAsync()
    {
        await MessageBothWaysAsync();

        var logs = _fixture.Rookery.Logs.Entries;
        logs.Should().Contain(
            e => e.Message.Contains($"S2S {PeerFederation.RookeryDomain} -> {PeerDomain}: verified by dialback (TLS: True)", StringComparison.Ordinal),
            "Rookery's outgoing stream used STARTTLS and passed dialback at the peer");
        logs.Should().Contain(
            e => e.Message.Contains($"{PeerDomain} verified by dialback for {PeerFederation.RookeryDomain} (TLS: True)", StringComparison.Ordinal),
            "the peer's outgoing stream used STARTTLS and passed dialback here (Rookery asked the peer's authoritative server)");

        // Nothing the peer sent was refused or ignored, and no stream failed (S2S event ids 4600-4699, 5240-5269).
        var problems = logs.Where(e => IsS2sEvent(e.EventId.Id) && (e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning || e.EventId.Id == 4624))
            .Select(e => $"{e.Level} {e.EventId.Id}: {e.Message}").ToList();
        problems.Should().BeEmpty("the peer's streams were understood: {0}", string.Join('\n', problems));
    }

    private static bool IsS2sEvent(int id) => id is (>= 4600 and < 4700) or (>= 5240 and < 5270);

    private async Task<Element> WaitAsync(TestKit.RawXmppClient client, Func<Element, bool> match)
    {
        try
        {
            return await client.WaitForAsync(match, Wait);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Failure()}", e);
        }
    }

    private async Task<Element> IqAsync(TestKit.RawXmppClient client, string xml, string id)
    {
        await client.SendAsync(xml);
        return await WaitAsync(client, e => e.Name == "iq" && e.GetAttribute("id") == id && e.GetAttribute("type") is "result" or "error");
    }
}
