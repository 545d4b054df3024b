using Rookery.Protocol.Addressing;
using Rookery.Server.Routing;

namespace Rookery.Modules;

/// <summary>
/// The service domains one module serves on this node (<c>upload.&lt;host&gt;</c>, <c>proxy.&lt;host&gt;</c>,
/// <c>pubsub.&lt;host&gt;</c>...): each registered in the <see cref="RouteTable"/> only if nothing else serves it, all
/// unregistered again when the module's hosted service stops.
/// </summary>
/// <typeparam name="TRoute">The module's route type, which gives access to its service.</typeparam>
internal sealed class ServiceDomains<TRoute>(RouteTable routes)
    where TRoute : class, IStanzaRoute
{
    private readonly List<(string Domain, TRoute Route)> _registered = [];

    /// <summary>The routes registered, with their domains, in the order registered.</summary>
    public IReadOnlyList<(string Domain, TRoute Route)> Registered => _registered;

    /// <summary>
    /// Serves <paramref name="domain"/> with <paramref name="route"/>. A domain something else already serves (a
    /// component, MUC, another module) is a configuration mistake: the exception names <paramref name="configKey"/>.
    /// </summary>
    public void Register(Jid domain, TRoute route, string configKey, string serviceKind, string host)
    {
        if (routes.IsRegistered(domain.Domain))
        {
            throw new InvalidOperationException($"Configuration key '{configKey}': the {serviceKind} domain {domain} of {host} is already served by something else");
        }

        routes.Register(domain.Domain, route);
        _registered.Add((domain.Domain, route));
    }

    /// <summary>Stops serving every domain registered here.</summary>
    public void UnregisterAll()
    {
        foreach (var (domain, route) in _registered)
        {
            routes.Unregister(domain, route);
        }

        _registered.Clear();
    }
}
