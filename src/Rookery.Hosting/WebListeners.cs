using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Rookery.Hosting;

/// <summary>
/// The node's web listeners as bound, for what must name them in a URL (the slots of XEP-0363 HTTP File Upload): the
/// configured port, or the one picked at bind time when the configuration says 0.
/// </summary>
internal sealed class WebListeners(ListenerOptions listeners)
{
    /// <summary>The bound HTTP listener, set by <see cref="RookeryNode"/>; null before start or when off.</summary>
    public Func<ListenOptions?> Http { get; set; } = static () => null;

    /// <summary>The bound HTTPS listener, set by <see cref="RookeryNode"/>; null before start or when off.</summary>
    public Func<ListenOptions?> Https { get; set; } = static () => null;

    /// <summary>Whether the node has a web listener at all.</summary>
    public bool Any => listeners.Http.Enabled || listeners.Https.Enabled;

    /// <summary>
    /// <c>http://&lt;host&gt;:&lt;port&gt;</c> of the HTTP listener, else <c>https://&lt;host&gt;:&lt;port&gt;</c> of the HTTPS
    /// one (ejabberd's <c>put_url</c> names the host the same way); the port is left out when it is the scheme's default.
    /// </summary>
    public string BaseUrlFor(string host)
    {
        var (scheme, defaultPort, port) = listeners.Http.Enabled
            ? ("http", 80, Port(listeners.Http, Http()))
            : ("https", 443, Port(listeners.Https, Https()));
        return port == defaultPort
            ? string.Create(CultureInfo.InvariantCulture, $"{scheme}://{host}")
            : string.Create(CultureInfo.InvariantCulture, $"{scheme}://{host}:{port}");
    }

    private static int Port(EndpointOptions configured, ListenOptions? bound) =>
        configured.Port != 0 ? configured.Port : bound?.IPEndPoint?.Port ?? 0;
}
