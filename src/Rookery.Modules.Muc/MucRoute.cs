using Rookery.Server.Routing;

namespace Rookery.Modules.Muc;

/// <summary>The route-table entry of an in-process MUC service: stanzas for its domain go to <see cref="MucService.HandleAsync"/>.</summary>
public sealed class MucRoute(MucService service) : IStanzaRoute
{
    /// <summary>The service behind the route.</summary>
    public MucService Service => service;

    /// <inheritdoc />
    public ValueTask RouteAsync(Stanza stanza) => service.HandleAsync(stanza.Element, stanza.From, stanza.To);
}
