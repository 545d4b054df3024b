using Rookery.Server.Routing;

namespace Rookery.Modules.Pubsub;

/// <summary>The route-table entry of a publish-subscribe service: stanzas for its domain go to <see cref="PubsubService.HandleAsync"/>.</summary>
public sealed class PubsubRoute(PubsubService service) : IStanzaRoute
{
    /// <summary>The service behind the route.</summary>
    public PubsubService Service => service;

    /// <inheritdoc />
    public ValueTask RouteAsync(Stanza stanza) => service.HandleAsync(stanza);
}
