using System.Collections.Frozen;

namespace Rookery.Server.Routing;

/// <summary>
/// Maps a destination domain to the route that serves it (ejabberd's route table): local hosts map to the local router,
/// components and, later, cluster-wide services register their domains here. Reads take an immutable snapshot; writes
/// replace it atomically, so routing never locks.
/// </summary>
public sealed class RouteTable
{
    private readonly Lock _writeLock = new();
    private volatile FrozenDictionary<string, IStanzaRoute> _routes = FrozenDictionary<string, IStanzaRoute>.Empty;

    /// <summary>Where stanzas for unknown domains go (the s2s manager).</summary>
    public IStanzaRoute? Fallback { get; set; }

    /// <summary>Registers or replaces the route of a domain.</summary>
    public void Register(string domain, IStanzaRoute route)
    {
        lock (_writeLock)
        {
            var copy = new Dictionary<string, IStanzaRoute>(_routes, StringComparer.Ordinal) { [domain] = route };
            _routes = copy.ToFrozenDictionary(StringComparer.Ordinal);
        }
    }

    /// <summary>Removes the route of a domain if it is still <paramref name="route"/>.</summary>
    public void Unregister(string domain, IStanzaRoute route)
    {
        lock (_writeLock)
        {
            if (_routes.TryGetValue(domain, out var current) && ReferenceEquals(current, route))
            {
                var copy = new Dictionary<string, IStanzaRoute>(_routes, StringComparer.Ordinal);
                copy.Remove(domain);
                _routes = copy.ToFrozenDictionary(StringComparer.Ordinal);
            }
        }
    }

    /// <summary>The route of a domain, else the fallback.</summary>
    public IStanzaRoute? Find(string domain) => _routes.TryGetValue(domain, out var route) ? route : Fallback;

    /// <summary>Whether the domain has a registered route (not counting the fallback).</summary>
    public bool IsRegistered(string domain) => _routes.ContainsKey(domain);
}
