using Rookery.Server.Routing;

namespace Rookery.Modules;

/// <summary>
/// The services one module runs on domains of their own on this node (<c>upload.&lt;host&gt;</c>,
/// <c>proxy.&lt;host&gt;</c>, <c>pubsub.&lt;host&gt;</c>...): each registered in the <see cref="RouteTable"/> only if
/// nothing else serves its domain, all unregistered again when the module's hosted service stops.
/// </summary>
/// <typeparam name="TService">The module's service type.</typeparam>
internal sealed class ServiceDomains<TService>(RouteTable routes)
    where TService : IqService
{
    private readonly List<(TService Service, Route Route)> _registered = [];

    /// <summary>The services registered, by domain.</summary>
    public IReadOnlyDictionary<string, TService> Services =>
        _registered.ToDictionary(r => r.Service.Domain.Domain, r => r.Service, StringComparer.Ordinal);

    /// <summary>
    /// Serves <paramref name="service"/>'s domain with it. A domain something else already serves (a component, MUC,
    /// another module) is a configuration mistake: the exception names <paramref name="configKey"/>.
    /// </summary>
    public void Register(TService service, string configKey, string serviceKind, string host)
    {
        var domain = service.Domain.Domain;
        if (routes.IsRegistered(domain))
        {
            throw new InvalidOperationException($"Configuration key '{configKey}': the {serviceKind} domain {service.Domain} of {host} is already served by something else");
        }

        var route = new Route(service);
        routes.Register(domain, route);
        _registered.Add((service, route));
    }

    /// <summary>Stops serving every domain registered here.</summary>
    public void UnregisterAll()
    {
        foreach (var (service, route) in _registered)
        {
            routes.Unregister(service.Domain.Domain, route);
        }

        _registered.Clear();
    }

    /// <summary>The route-table entry of a service: stanzas for its domain go to <see cref="IqService.HandleAsync"/>.</summary>
    private sealed class Route(TService service) : IStanzaRoute
    {
        public ValueTask RouteAsync(Stanza stanza) => service.HandleAsync(stanza);
    }
}
