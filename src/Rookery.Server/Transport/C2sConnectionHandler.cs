using Microsoft.AspNetCore.Connections;
using Rookery.Server.Streams;

namespace Rookery.Server.Transport;

/// <summary>
/// Kestrel's entry point for client connections: runs one <see cref="C2sStream"/> per connection. Connections that
/// carry the <see cref="DirectTlsFeature"/> start TLS before any XML (XEP-0368).
/// </summary>
public sealed class C2sConnectionHandler(C2sServices services) : ConnectionHandler
{
    /// <inheritdoc />
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var directTls = connection.Features.Get<DirectTlsFeature>() is not null;
        return new C2sStream(connection, services, directTls).RunAsync();
    }
}
