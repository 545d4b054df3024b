using Rookery.Server.Routing;

namespace Rookery.Modules.HttpUpload;

/// <summary>The route-table entry of an upload service: stanzas for its domain go to <see cref="HttpUploadService.HandleAsync"/>.</summary>
public sealed class HttpUploadRoute(HttpUploadService service) : IStanzaRoute
{
    /// <summary>The service behind the route.</summary>
    public HttpUploadService Service => service;

    /// <inheritdoc />
    public ValueTask RouteAsync(Stanza stanza) => service.HandleAsync(stanza);
}
