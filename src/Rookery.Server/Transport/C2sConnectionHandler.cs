using Microsoft.AspNetCore.Connections;
using Rookery.Server.Streams;

namespace Rookery.Server.Transport;

/// <summary>
/// Kestrel's entry point for client connections: runs one <see cref="C2sStream"/> per connection. Listeners marked
/// with <see cref="DirectTlsKey"/> in the connection's items start TLS before any XML (XEP-0368).
/// </summary>
public sealed class C2sConnectionHandler(C2sServices services) : ConnectionHandler
{
    /// <summary>The connection item that marks a direct-TLS listener.</summary>
    public const string DirectTlsKey = "rookery.direct-tls";

    /// <inheritdoc />
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var directTls = connection.Items.ContainsKey(DirectTlsKey);
        return new C2sStream(connection, services, directTls).RunAsync();
    }
}
