namespace Rookery.Server.Transport;

/// <summary>
/// Marks a connection accepted on a direct-TLS listener (XEP-0368), so that <see cref="C2sConnectionHandler"/> and
/// <see cref="S2sConnectionHandler"/> start TLS before any XML. A connection feature rather than an entry in <c>ConnectionContext.Items</c>: reading Items creates
/// a dictionary on every connection, plain ones included, and it would live as long as the connection (issue #6).
/// </summary>
public sealed class DirectTlsFeature
{
    private DirectTlsFeature()
    {
    }

    /// <summary>The one instance; the feature carries no state.</summary>
    public static DirectTlsFeature Instance { get; } = new();
}
