using Microsoft.AspNetCore.Connections;
using Rookery.Server.Streams;

namespace Rookery.Server.Transport;

/// <summary>Kestrel's entry point for external component connections (XEP-0114): one <see cref="ComponentStream"/> each.</summary>
public sealed class ComponentConnectionHandler(ComponentServices services) : ConnectionHandler
{
    /// <inheritdoc />
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new ComponentStream(connection, services).RunAsync();
    }
}
