using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Rookery.Modules.Proxy65;

namespace Rookery.Hosting;

/// <summary>
/// The node's SOCKS5 listener for the <c>proxy65</c> module (XEP-0065), as configured and as bound: whether it opens,
/// the port clients connect to (the one picked at bind time when the configuration says 0) and the address streamhosts
/// name.
/// </summary>
internal sealed class Proxy65Endpoint(RookeryOptions options)
{
    /// <summary>The bound listener, set by <see cref="RookeryNode"/>; null before start or when closed.</summary>
    public Func<ListenOptions?> Bound { get; set; } = static () => null;

    /// <summary>
    /// Whether the listener opens: <c>Listeners:Proxy65:Enabled</c> (off by default) and the module is on for at least one
    /// host, since a proxy no host serves could never activate a stream.
    /// </summary>
    public bool IsOpen { get; } = options.Listeners.Proxy65.Enabled && IsModuleOnSomewhere(options);

    /// <summary>The port clients connect to.</summary>
    public int Port => options.Listeners.Proxy65.Port != 0 ? options.Listeners.Proxy65.Port : Bound()?.IPEndPoint?.Port ?? 0;

    /// <summary>What the module needs to know of the listener.</summary>
    public Proxy65Listener ToListener() => new(AdvertisedHost(options), IsOpen ? () => Port : null);

    /// <summary>
    /// <c>Modules:Proxy65:Host</c>; else the listener's address when it is one address (not <c>*</c>); else the cluster's
    /// advertised address, which clients already use on drain; else null, meaning each XMPP host's own domain name.
    /// </summary>
    private static string? AdvertisedHost(RookeryOptions options)
    {
        if (options.Modules.Proxy65.Host.Length > 0)
        {
            return options.Modules.Proxy65.Host;
        }

        var bound = RookeryConfiguration.ParseAddress(options.Listeners.Proxy65.Address);
        if (bound is not null && !bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any))
        {
            return bound.ToString();
        }

        return options.Cluster.Enabled && options.Cluster.AdvertisedAddress.Length > 0 ? options.Cluster.AdvertisedAddress : null;
    }

    private static bool IsModuleOnSomewhere(RookeryOptions options)
    {
        if (options.DisabledModules.Contains(Proxy65Module.ModuleName, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        return options.ToServerOptions().Hosts.Values.Any(h => !h.DisabledModules.Contains(Proxy65Module.ModuleName, StringComparer.OrdinalIgnoreCase));
    }
}
