namespace Rookery.Modules.Proxy65;

/// <summary>
/// This node's SOCKS5 listener as clients reach it: the host and port a streamhost names (XEP-0065 §4). Built by the
/// composition root, which knows the listeners; without a listener the <c>proxy65</c> module serves nothing
/// (<see cref="IsServed"/> is false).
/// </summary>
public sealed class Proxy65Listener
{
    private readonly string? _advertisedHost;
    private readonly Func<int>? _port;

    /// <summary>Describes the node's listener.</summary>
    /// <param name="advertisedHost">
    /// The host name or address to name in streamhosts (<c>@HOST@</c> replaced by the XMPP host), or null for the XMPP
    /// host's own domain name.
    /// </param>
    /// <param name="port">The listener's port, read when a streamhost is handed out (a port bound as 0 is known by then); null when the node has no SOCKS5 listener.</param>
    public Proxy65Listener(string? advertisedHost, Func<int>? port)
    {
        _advertisedHost = string.IsNullOrWhiteSpace(advertisedHost) ? null : advertisedHost;
        _port = port;
    }

    /// <summary>A node without a SOCKS5 listener (also the default outside a full node).</summary>
    public static Proxy65Listener None { get; } = new(null, null);

    /// <summary>Whether the node runs the proxy at all.</summary>
    public bool IsServed => _port is not null;

    /// <summary>The listener's port.</summary>
    public int Port => (_port ?? throw new InvalidOperationException("The node has no SOCKS5 listener"))();

    /// <summary>The host name or address clients of <paramref name="host"/> are told to connect to.</summary>
    public string HostFor(string host) =>
        _advertisedHost?.Replace(Proxy65Options.HostPlaceholder, host, StringComparison.Ordinal) ?? host;
}
