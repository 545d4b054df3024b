using Rookery.Protocol.Errors;
using Rookery.Server.Routing;

namespace Rookery.Server.Components;

/// <summary>
/// The route of one component domain: picks one of the domain's instances for each stanza by the configured balancing
/// (seed 000, ejabberd's <c>domain_balancing</c>) and hands the stanza to it. When no instance can take it, the stanza
/// is answered with <c>service-unavailable</c> by the router, never dropped.
/// </summary>
public sealed class ComponentDomainRoute : IStanzaRoute
{
    // A stanza whose chosen instance turns out to be closing is offered again; each retry removes that instance.
    private const int MaxAttempts = 8;

    private readonly Lock _gate = new();
    private volatile ComponentInstanceSet _set;

    /// <summary>Creates the route of <paramref name="domain"/> with validated settings.</summary>
    public ComponentDomainRoute(string domain, ComponentDomainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Domain = domain;
        Secret = options.Secret;
        Balancing = options.ParsedBalancing ?? ComponentBalancing.Random;
        ComponentNumber = options.ComponentNumber;
        Failover = options.ParsedFailover ?? ComponentFailover.Bounce;
        ConnectTo = options.ConnectAddresses;
        _set = ComponentNumber > 0 ? new ComponentInstanceSet([], new IComponentInstance?[ComponentNumber]) : ComponentInstanceSet.Empty;
    }

    /// <summary>The component domain.</summary>
    public string Domain { get; }

    /// <summary>The XEP-0114 shared secret.</summary>
    internal string Secret { get; }

    /// <summary>How stanzas are spread over the instances.</summary>
    public ComponentBalancing Balancing { get; }

    /// <summary>The number of fixed buckets, or 0.</summary>
    public int ComponentNumber { get; }

    /// <summary>What a failed instance's bucket does.</summary>
    public ComponentFailover Failover { get; }

    /// <summary>Connect mode: the component listeners this node dials (empty in accept mode).</summary>
    public IReadOnlyList<ComponentAddress> ConnectTo { get; }

    /// <summary>The connected instances, local and remote, ordered by name.</summary>
    public IReadOnlyList<IComponentInstance> Instances => _set.All;

    /// <summary>The instance that owns <paramref name="bucket"/>, or null when the bucket is orphaned or out of range.</summary>
    public IComponentInstance? OwnerOf(int bucket)
    {
        var owners = _set.Owners;
        return bucket >= 0 && bucket < owners.Length ? owners[bucket] : null;
    }

    /// <summary>The bucket of a key JID under this domain's settings (-1 without fixed buckets); the same on every node.</summary>
    public int BucketOfKey(string key) => ComponentNumber > 0 ? (int)(StableHash.Of(key) % (ulong)ComponentNumber) : -1;

    /// <inheritdoc />
    public ValueTask RouteAsync(Stanza stanza)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var target = Pick(_set, stanza);
            if (target is null)
            {
                break;
            }

            if (target.Send(stanza.Element))
            {
                return ValueTask.CompletedTask;
            }

            // The instance is going away (its stream ends, or its node's link is down): forget it now so that the next
            // pick chooses another one, or the stanza bounces, rather than waiting for the disconnect to be processed.
            Remove(target);
        }

        throw new StanzaErrorException(StanzaErrorCondition.ServiceUnavailable, $"No instance of {Domain} can take this stanza now");
    }

    /// <summary>Adds an instance; returns the bucket it owns, or null (no buckets, or a spare).</summary>
    /// <param name="instance">The instance.</param>
    /// <param name="claimedBucket">
    /// For an instance announced by another node: the bucket that node gave it. A bucket already owned by another live
    /// instance stays with the instance whose name sorts first, so that nodes that heard of both in different orders
    /// still agree. Null for a new local instance, which takes the lowest orphaned bucket or becomes a spare.
    /// </param>
    internal int? Add(IComponentInstance instance, int? claimedBucket) => Add(instance, claimedBucket, out _);

    /// <summary>
    /// Adds an instance, or applies a new bucket claim of a known spare (its node moved it after losing a claim race);
    /// <paramref name="displaced"/> is the instance that held the claimed bucket and lost it, if any.
    /// </summary>
    internal int? Add(IComponentInstance instance, int? claimedBucket, out IComponentInstance? displaced)
    {
        displaced = null;
        lock (_gate)
        {
            var set = _set;
            var known = Array.IndexOf(set.All, instance) >= 0;
            if (known)
            {
                var existing = set.BucketOf(instance);
                if (existing >= 0 || claimedBucket is not >= 0)
                {
                    return existing < 0 ? null : existing;
                }
            }

            var owners = (IComponentInstance?[])set.Owners.Clone();
            int? bucket = null;
            if (owners.Length > 0)
            {
                if (claimedBucket is { } claim && claim >= 0 && claim < owners.Length)
                {
                    var holder = owners[claim];
                    if (holder is null || string.CompareOrdinal(instance.Name, holder.Name) < 0)
                    {
                        owners[claim] = instance;
                        bucket = claim;
                        displaced = holder;
                    }
                }
                else if (claimedBucket is null)
                {
                    var free = Array.IndexOf(owners, null);
                    if (free >= 0)
                    {
                        owners[free] = instance;
                        bucket = free;
                    }
                }
            }

            // A copy even when the instance is known: the set sorts the array it is given, and snapshots never change.
            _set = new ComponentInstanceSet(known ? [.. set.All] : [.. set.All, instance], owners);
            return bucket;
        }
    }

    /// <summary>
    /// Gives a spare the lowest orphaned bucket; null when it owns a bucket already, is not an instance of this domain,
    /// or no bucket is orphaned.
    /// </summary>
    internal int? ClaimOrphanedBucket(IComponentInstance instance)
    {
        lock (_gate)
        {
            var set = _set;
            var free = Array.IndexOf(set.Owners, null);
            if (free < 0 || Array.IndexOf(set.All, instance) < 0 || set.BucketOf(instance) >= 0)
            {
                return null;
            }

            var owners = (IComponentInstance?[])set.Owners.Clone();
            owners[free] = instance;
            _set = new ComponentInstanceSet([.. set.All], owners);
            return free;
        }
    }

    /// <summary>Removes an instance; returns the bucket it owned (now orphaned or handed to a spare), or null.</summary>
    internal int? Remove(IComponentInstance instance)
    {
        lock (_gate)
        {
            var set = _set;
            var index = Array.IndexOf(set.All, instance);
            if (index < 0)
            {
                return null;
            }

            var all = new IComponentInstance[set.All.Length - 1];
            Array.Copy(set.All, 0, all, 0, index);
            Array.Copy(set.All, index + 1, all, index, all.Length - index);
            var owners = (IComponentInstance?[])set.Owners.Clone();
            var bucket = Array.IndexOf(owners, instance);
            if (bucket >= 0)
            {
                // Only this bucket changes hands: the other buckets never move (seed 000, balancing buckets).
                owners[bucket] = Failover == ComponentFailover.Spare ? FirstSpare(all, owners) : null;
            }

            _set = new ComponentInstanceSet(all, owners);
            return bucket >= 0 ? bucket : null;
        }
    }

    /// <summary>The spare (an instance owning no bucket) whose name sorts first, so every node picks the same one.</summary>
    private static IComponentInstance? FirstSpare(IComponentInstance[] all, IComponentInstance?[] owners)
    {
        IComponentInstance? best = null;
        foreach (var candidate in all)
        {
            if (Array.IndexOf(owners, candidate) < 0 && (best is null || string.CompareOrdinal(candidate.Name, best.Name) < 0))
            {
                best = candidate;
            }
        }

        return best;
    }

    private IComponentInstance? Pick(ComponentInstanceSet set, Stanza stanza)
    {
        if (Balancing == ComponentBalancing.Random)
        {
            // ejabberd's default: a local instance when there is one (random among them), else a random remote one.
            var pool = set.Local.Length > 0 ? set.Local : set.All;
            return pool.Length switch
            {
                0 => null,
                1 => pool[0],
                _ => pool[Random.Shared.Next(pool.Length)],
            };
        }

        var key = StableHash.Of(Balancing switch
        {
            ComponentBalancing.Destination => stanza.To.ToString(),
            ComponentBalancing.Source => stanza.From.ToString(),
            ComponentBalancing.BareDestination => stanza.To.Bare.ToString(),
            _ => stanza.From.Bare.ToString(),
        });

        if (set.Owners.Length > 0)
        {
            // Fixed buckets: an orphaned bucket answers service-unavailable rather than spilling onto other instances.
            return set.Owners[(int)(key % (ulong)set.Owners.Length)];
        }

        // Rendezvous hashing: the same key picks the same instance while the set is unchanged, and losing an
        // instance moves only the keys it had.
        IComponentInstance? best = null;
        var bestScore = 0UL;
        for (var i = 0; i < set.All.Length; i++)
        {
            var score = StableHash.Mix(key, set.NameHashes[i]);
            if (best is null || score > bestScore)
            {
                best = set.All[i];
                bestScore = score;
            }
        }

        return best;
    }
}
