using Microsoft.AspNetCore.Connections;
using Rookery.Server.Routing;

namespace Rookery.Server.Transport;

/// <summary>
/// Kestrel's entry point for incoming server-to-server connections (RFC 6120, port 5269): one incoming stream each.
/// Connections that carry the <see cref="DirectTlsFeature"/> (the <c>Listeners:ServerDirectTls</c> listener) start TLS
/// before any XML (XEP-0368).
/// </summary>
public sealed class S2sConnectionHandler(S2SManager manager) : ConnectionHandler
{
    /// <inheritdoc />
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var directTls = connection.Features.Get<DirectTlsFeature>() is not null;
        return manager.AcceptAsync(connection, directTls);
    }
}
