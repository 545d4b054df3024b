using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.TestKit;

namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>Rookery and Debian's Prosody federating on loopback (one Prosody for the class).</summary>
[Trait("Category", "Slow")]
public sealed class ProsodyFederationTests(ProsodyFederation fixture) : PeerFederationTests(fixture), IClassFixture<ProsodyFederation>
{
    [PeerFact("prosody")]
    public Task Message_RookeryAndProsody_DeliveredBothWays() => MessageBothWaysAsync();

    [PeerFact("prosody")]
    public Task PresenceSubscription_RookeryAndProsody_MutualAndSeen() => PresenceSubscriptionBothWaysAsync();

    [PeerFact("prosody")]
    public Task Iq_PingAndVersion_AnsweredBothWays() => IqBothWaysAsync();

    [PeerFact("prosody")]
    public Task Streams_BothDirections_DialbackOverStartTls() => StreamsAuthenticatedByDialbackOverTlsAsync();

    [PeerFact("prosody")]
    public async Task Message_DomainWithOnlyXmppsServerSrv_DeliveredOverDirectTls()
    {
        var prosody = (ProsodyPeer)fixture.Peer;
        await using var alice = await fixture.Rookery.LoginAsync("alice", PeerFederation.Password, resource: "direct");
        await using var grace = await prosody.LoginAsync("grace", PeerFederation.Password, host: prosody.DirectTlsDomain);

        // XEP-0368: the only published service is direct TLS; Rookery's outgoing stream starts with the TLS handshake.
        await alice.SendAsync($"<message to='grace@{prosody.DirectTlsDomain}/peer' type='chat' id='dtls1'><body>over direct tls</body></message>");
        Element delivered;
        try
        {
            delivered = await grace.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "dtls1", TimeSpan.FromSeconds(45));
        }
        catch (TimeoutException e)
        {
            var s2s = fixture.Rookery.Logs.Entries.Where(l => l.Category.Contains("S2S", StringComparison.OrdinalIgnoreCase) || l.Category.Contains("Dns", StringComparison.OrdinalIgnoreCase))
                .Select(l => $"{l.Level} {l.EventId.Id} {l.Message} {l.Exception?.Message}");
            throw new TimeoutException($"{e.Message}\n{string.Join('\n', s2s)}\n{prosody.LogTail()}", e);
        }

        delivered.GetAttribute("from").Should().Be($"alice@{PeerFederation.RookeryDomain}/direct");
        await grace.SendAsync($"<message to='alice@{PeerFederation.RookeryDomain}/direct' type='chat' id='dtls2'><body>back over starttls</body></message>");
        await alice.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "dtls2", TimeSpan.FromSeconds(45));

        var logs = fixture.Rookery.Logs.Entries;
        logs.Should().Contain(e => e.Message.Contains($"connected to {prosody.DirectTlsDomain} at localhost (127.0.0.1:{prosody.S2sDirectTlsPort}, from SRV xmpps-server)", StringComparison.Ordinal));
        logs.Should().Contain(e => e.Message.Contains($"S2S {PeerFederation.RookeryDomain} -> {prosody.DirectTlsDomain}: verified by dialback (TLS: True)", StringComparison.Ordinal));
    }

    [PeerFact("prosody")]
    public async Task Message_ProsodyToRookeryDomainWithOnlyXmppsServerSrv_DeliveredOverIncomingDirectTls()
    {
        // A second Rookery server whose domain publishes only _xmpps-server, pointing at its direct TLS listener: Prosody
        // 0.12 looks that record up first (its resolver chain) and starts TLS before any XML, with SNI but no ALPN, which
        // the listener accepts.
        const string domain = "tls." + PeerFederation.RookeryDomain;
        var directTlsPort = RookeryProcess.FreePort();
        fixture.Dns.AddSrv($"_xmpps-server._tcp.{domain}", 0, 0, (ushort)directTlsPort, "localhost");
        await using var rookery = await TestServer.StartFederatingAsync(
            domain,
            RookeryProcess.FreePort(),
            new S2sOptions { Enabled = true, DnsServers = [fixture.Dns.Address], ConnectTimeoutSeconds = 30 },
            directTlsPort);
        await rookery.CreateUserAsync("heidi", PeerFederation.Password);
        await using var heidi = await rookery.LoginAsync("heidi", PeerFederation.Password);
        await using var carol = await fixture.Peer.LoginAsync("carol", PeerFederation.Password, resource: "dtls-in");

        await carol.SendAsync($"<message to='heidi@{domain}/test' type='chat' id='in1'><body>into the direct tls listener</body></message>");
        Element delivered;
        try
        {
            delivered = await heidi.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "in1", TimeSpan.FromSeconds(45));
        }
        catch (TimeoutException e)
        {
            var s2s = rookery.Logs.Entries.Where(l => l.Category.Contains("S2S", StringComparison.OrdinalIgnoreCase))
                .Select(l => $"{l.Level} {l.EventId.Id} {l.Message} {l.Exception?.Message}");
            throw new TimeoutException($"{e.Message}\n{string.Join('\n', s2s)}\n{fixture.Peer.LogTail()}", e);
        }

        delivered.GetAttribute("from").Should().Be($"carol@{fixture.Peer.Domain}/dtls-in");
        rookery.Logs.Entries.Should().Contain(e => e.Message.Contains($"direct TLS established (SNI {domain}", StringComparison.Ordinal));
        rookery.Logs.Entries.Should().Contain(e => e.Message.Contains($"{fixture.Peer.Domain} verified by dialback for {domain} (TLS: True)", StringComparison.Ordinal));

        // And the answer, over Rookery's own outgoing stream (STARTTLS, _xmpp-server).
        await heidi.SendAsync($"<message to='carol@{fixture.Peer.Domain}/dtls-in' type='chat' id='in2'><body>back</body></message>");
        await carol.WaitForAsync(e => e.Name == "message" && e.GetAttribute("id") == "in2", TimeSpan.FromSeconds(45));
    }
}
