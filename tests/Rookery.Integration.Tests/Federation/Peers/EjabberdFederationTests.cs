namespace Rookery.Integration.Tests.Federation.Peers;

/// <summary>Rookery and Debian's ejabberd federating on loopback (one ejabberd for the class).</summary>
[Trait("Category", "Slow")]
public sealed class EjabberdFederationTests(EjabberdFederation fixture) : PeerFederationTests(fixture), IClassFixture<EjabberdFederation>
{
    [PeerFact("ejabberd")]
    public Task Message_RookeryAndEjabberd_DeliveredBothWays() => MessageBothWaysAsync();

    [PeerFact("ejabberd")]
    public Task PresenceSubscription_RookeryAndEjabberd_MutualAndSeen() => PresenceSubscriptionBothWaysAsync();

    [PeerFact("ejabberd")]
    public Task Iq_PingAndVersion_AnsweredBothWays() => IqBothWaysAsync();

    [PeerFact("ejabberd")]
    public Task Streams_BothDirections_DialbackOverStartTls() => StreamsAuthenticatedByDialbackOverTlsAsync();
}
