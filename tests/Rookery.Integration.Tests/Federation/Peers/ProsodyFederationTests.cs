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
}
