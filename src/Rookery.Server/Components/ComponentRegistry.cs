using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Server.Routing;

namespace Rookery.Server.Components;

/// <summary>
/// Every external component domain this node accepts, with the instances that serve each one, local and remote
/// (seed 000: the routing table records every instance cluster-wide). Local streams add and remove themselves; the
/// cluster mirrors other nodes' instances with <see cref="AddRemote"/> and <see cref="RemoveRemote"/> and announces
/// this node's own from <see cref="LocalInstanceUp"/> and <see cref="LocalInstanceDown"/>.
/// </summary>
public sealed partial class ComponentRegistry
{
    private readonly FrozenDictionary<string, ComponentDomainRoute> _domains;
    private readonly ILogger<ComponentRegistry> _logger;

    /// <summary>Builds one route per configured domain (the options are validated).</summary>
    public ComponentRegistry(IOptions<ComponentsOptions> options, ILogger<ComponentRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        _domains = options.Value.Domains.ToFrozenDictionary(
            kv => Jid.Create(null, kv.Key).Domain,
            kv => new ComponentDomainRoute(Jid.Create(null, kv.Key).Domain, kv.Value),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// This node's name in instance names (<c>node/connection</c>), unique in the cluster; the cluster sets its node id
    /// before the listeners open. Default: host name and process id.
    /// </summary>
    public string NodeName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>A local instance finished its handshake.</summary>
    public event EventHandler<ComponentInstanceEventArgs>? LocalInstanceUp;

    /// <summary>A local instance went away.</summary>
    public event EventHandler<ComponentInstanceEventArgs>? LocalInstanceDown;

    /// <summary>The configured component domains.</summary>
    public IEnumerable<ComponentDomainRoute> Domains => _domains.Values;

    /// <summary>Whether any component domain is configured (the listener opens only then).</summary>
    public bool HasDomains => _domains.Count > 0;

    /// <summary>The route of a configured component domain, or null.</summary>
    public ComponentDomainRoute? Find(string domain) => _domains.GetValueOrDefault(domain);

    /// <summary>Registers every component domain in the route table, so that stanzas to its JIDs reach the balancer.</summary>
    public void RegisterRoutes(RouteTable routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        foreach (var route in _domains.Values)
        {
            routes.Register(route.Domain, route);
        }
    }

    /// <summary>Adds an instance connected to this node; returns its bucket (null: no buckets, or a spare).</summary>
    public int? AddLocal(IComponentInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var route = Require(instance.Domain);
        var bucket = route.Add(instance, claimedBucket: null);
        Log.InstanceUp(_logger, instance.Domain, instance.Name, bucket, route.Instances.Count);
        LocalInstanceUp?.Invoke(this, new ComponentInstanceEventArgs(instance, bucket));
        return bucket;
    }

    /// <summary>Removes an instance of this node that went away; a bucket it owned is orphaned or handed to a spare.</summary>
    public void RemoveLocal(IComponentInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var route = Require(instance.Domain);
        var bucket = route.Remove(instance);
        Log.InstanceDown(_logger, instance.Domain, instance.Name, bucket, route.Instances.Count);
        LocalInstanceDown?.Invoke(this, new ComponentInstanceEventArgs(instance, bucket));
    }

    /// <summary>
    /// Adds an instance connected to another node (the cluster, on COMPONENT_UP or a full sync), or applies a new bucket
    /// its node gave a known spare; returns the bucket it owns here. <paramref name="bucket"/> is the bucket its node gave
    /// it (null when none).
    /// </summary>
    public int? AddRemote(IComponentInstance instance, int? bucket)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var route = Require(instance.Domain);
        // A remote instance without a bucket is a spare there, and stays one here (-1 never matches a bucket).
        var owned = route.Add(instance, route.ComponentNumber > 0 ? bucket ?? -1 : null, out var displaced);
        Log.InstanceUp(_logger, instance.Domain, instance.Name, owned, route.Instances.Count);
        if (displaced is { IsLocal: true } && route.ClaimOrphanedBucket(displaced) is { } moved)
        {
            // Two nodes gave the same free bucket away at once and ours lost (the other name sorts first). Left a spare,
            // it would leave another bucket unowned; it takes the lowest orphaned bucket instead and announces it, and
            // every node applies that claim to the spare it already knows.
            Log.InstanceUp(_logger, displaced.Domain, displaced.Name, moved, route.Instances.Count);
            LocalInstanceUp?.Invoke(this, new ComponentInstanceEventArgs(displaced, moved));
        }

        return owned;
    }

    /// <summary>Removes an instance of another node (COMPONENT_DOWN, or its node died).</summary>
    public void RemoveRemote(IComponentInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        var route = Require(instance.Domain);
        var bucket = route.Remove(instance);
        Log.InstanceDown(_logger, instance.Domain, instance.Name, bucket, route.Instances.Count);
    }

    /// <summary>The instances connected to this node, for a full sync to a peer that joins.</summary>
    public IReadOnlyList<(IComponentInstance Instance, int? Bucket)> LocalInstances()
    {
        var result = new List<(IComponentInstance, int?)>();
        foreach (var route in _domains.Values)
        {
            foreach (var instance in route.Instances)
            {
                if (instance.IsLocal)
                {
                    var bucket = -1;
                    for (var b = 0; b < route.ComponentNumber; b++)
                    {
                        if (ReferenceEquals(route.OwnerOf(b), instance))
                        {
                            bucket = b;
                        }
                    }

                    result.Add((instance, bucket < 0 ? null : bucket));
                }
            }
        }

        return result;
    }

    private ComponentDomainRoute Require(string domain) =>
        _domains.GetValueOrDefault(domain) ?? throw new ArgumentException($"{domain} is not a configured component domain", nameof(domain));

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Component {Domain}: instance {Name} up (bucket {Bucket}); {Count} instance(s)")]
        public static partial void InstanceUp(ILogger logger, string domain, string name, int? bucket, int count);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Component {Domain}: instance {Name} down (bucket {Bucket}); {Count} instance(s)")]
        public static partial void InstanceDown(ILogger logger, string domain, string name, int? bucket, int count);

        // Next free EventId: 1102
    }
}
