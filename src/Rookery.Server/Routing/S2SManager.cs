using Rookery.Protocol.Errors;

namespace Rookery.Server.Routing;

/// <summary>
/// The fourth routing module: stanzas for domains that are neither ours nor registered services. Server-to-server
/// federation is not implemented yet, so it answers <c>remote-server-not-found</c> (RFC 6120 §8.3.3.16); the route
/// table's fallback keeps the seam where outgoing s2s links will plug in.
/// </summary>
public sealed class S2SManager : IStanzaRoute
{
    /// <inheritdoc />
    public ValueTask RouteAsync(Stanza stanza) =>
        throw new StanzaErrorException(StanzaErrorCondition.RemoteServerNotFound, $"No route to {stanza.To.Domain}: federation is not enabled");
}
