using Rookery.Server.Routing;

namespace Rookery.Modules.Proxy65;

/// <summary>The route-table entry of a proxy: stanzas for its domain go to <see cref="Proxy65Service.HandleAsync"/>.</summary>
public sealed class Proxy65Route(Proxy65Service service) : IStanzaRoute
{
    /// <summary>The service behind the route.</summary>
    public Proxy65Service Service => service;

    /// <inheritdoc />
    public ValueTask RouteAsync(Stanza stanza) => service.HandleAsync(stanza);
}
