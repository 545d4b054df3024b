namespace Rookery.Protocol.Sasl;

/// <summary>
/// Channel binding data the server computed for the connection, checked against the client's <c>c=</c> attribute
/// (RFC 5056, RFC 5929); <paramref name="Type"/> is the cb-name, for example <c>tls-server-end-point</c>.
/// </summary>
/// <param name="Type">The channel binding type name as sent in the GS2 header (<c>p=</c>).</param>
/// <param name="Data">The channel binding data.</param>
public sealed record ChannelBinding(string Type, byte[] Data)
{
    /// <summary>The RFC 5929 §4 binding type computed by <see cref="TlsServerEndPoint"/>.</summary>
    public const string TlsServerEndPointType = "tls-server-end-point";

    /// <summary>The RFC 9266 binding type for TLS 1.3 exporters.</summary>
    public const string TlsExporterType = "tls-exporter";

    /// <summary>RFC 5929 §3: the first TLS Finished message of the handshake (what most deployed clients implement).</summary>
    public const string TlsUniqueType = "tls-unique";
}
