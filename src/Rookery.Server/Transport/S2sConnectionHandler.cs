using Microsoft.AspNetCore.Connections;
using Rookery.Server.Routing;

namespace Rookery.Server.Transport;

/// <summary>Kestrel's entry point for incoming server-to-server connections (RFC 6120, port 5269): one incoming stream each.</summary>
public sealed class S2sConnectionHandler(S2SManager manager) : ConnectionHandler
{
    /// <inheritdoc />
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return manager.AcceptAsync(connection);
    }
}
