namespace Rookery.Hosting;

/// <summary>The network listeners of a node (configuration section <c>Listeners</c>).</summary>
public sealed class ListenerOptions
{
    /// <summary>Client connections with STARTTLS (RFC 6120). Default port 5222.</summary>
    public EndpointOptions Client { get; init; } = new() { Port = 5222 };

    /// <summary>Client connections with TLS from the first byte (XEP-0368). Default port 5223.</summary>
    public EndpointOptions DirectTls { get; init; } = new() { Port = 5223 };

    /// <summary>
    /// External component connections (XEP-0114). Default port 5347; opened only when <c>Components</c> lists at least
    /// one component domain.
    /// </summary>
    public EndpointOptions Component { get; init; } = new() { Port = 5347 };

    /// <summary>
    /// Server-to-server connections (RFC 6120, Server Dialback XEP-0220). Default port 5269; opened only when
    /// <c>S2S:Enabled</c> is true.
    /// </summary>
    public EndpointOptions Server { get; init; } = new() { Port = 5269 };

    /// <summary>
    /// Server-to-server connections with TLS from the first byte (XEP-0368), for peers that find this server through an
    /// <c>_xmpps-server._tcp</c> SRV record: SNI picks the host's certificate, ALPN <c>xmpp-server</c>, then the same
    /// stream as on <see cref="Server"/> without STARTTLS. Default port 5270; off unless enabled (as Prosody's
    /// <c>s2s_direct_tls_ports</c> and ejabberd, where a direct TLS s2s listener is configured explicitly), and opened
    /// only when <c>S2S:Enabled</c> is true.
    /// </summary>
    public EndpointOptions ServerDirectTls { get; init; } = new() { Port = 5270, Enabled = false };

    /// <summary>
    /// HTTP for web clients: XMPP over WebSocket (RFC 7395) at <c>/xmpp-websocket</c> (alias <c>/ws</c>) and XEP-0156
    /// discovery at <c>/.well-known/host-meta</c>. Default port 5280, as Prosody.
    /// </summary>
    public EndpointOptions Http { get; init; } = new() { Port = 5280 };

    /// <summary>
    /// The same endpoints over HTTPS (wss://), with the certificate of the host the client names (SNI), as the XMPP
    /// listeners use. Default port 5281; off unless enabled.
    /// </summary>
    public EndpointOptions Https { get; init; } = new() { Port = 5281, Enabled = false };

    /// <summary>
    /// The SOCKS5 proxy of XEP-0065 mediated bytestreams (module <c>proxy65</c>, on <c>proxy.&lt;host&gt;</c>). Default port
    /// 7777, as ejabberd and Prosody; off unless enabled (as Prosody, where the proxy is configured explicitly): the port
    /// must be reachable by clients at the address streamhosts name (<c>Modules:Proxy65:Host</c>).
    /// </summary>
    public EndpointOptions Proxy65 { get; init; } = new() { Port = 7777, Enabled = false };

    /// <summary>
    /// Whether a socket's completion continues on the socket engine's own thread (true, the default) instead of being
    /// handed to the thread pool. See <see cref="SocketCompletionMode"/>; applied by <c>rookery run</c> at start-up.
    /// </summary>
    public bool InlineCompletions { get; init; } = true;
}

/// <summary>One listening socket.</summary>
public sealed class EndpointOptions
{
    /// <summary>Listen on this port; 0 picks a free port (tests), and the listener is off when <see cref="Enabled"/> is false.</summary>
    public int Port { get; init; }

    /// <summary>The address to bind: an IP address, or <c>*</c> / <c>any</c> for all interfaces. Default <c>*</c>.</summary>
    public string Address { get; init; } = "*";

    /// <summary>Whether the listener is opened. Default true.</summary>
    public bool Enabled { get; init; } = true;
}
