using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Rookery.Cluster.Links;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Components;
using Rookery.Server.Routing;
using Rookery.Server.Util;

namespace Rookery.Cluster.RemoteRoutes;

/// <summary>
/// Keeps the component instance table cluster-wide (seed 000: "all nodes exchange ... registered services"): announces
/// every local instance to every peer (COMPONENT_UP with the bucket it owns, COMPONENT_DOWN when it goes), sends the full
/// list inside every new link's sync, and mirrors what peers announce as <see cref="RemoteComponent"/>s in the
/// <see cref="ComponentRegistry"/>. Forwarded stanzas arriving for a local instance are delivered to it, or routed again
/// from here when it is gone, so nothing is lost between the pick on one node and the instance on another.
/// </summary>
internal sealed partial class ComponentReplicator
{
    private readonly ComponentRegistry _registry;
    private readonly Router _router;
    private readonly Func<IReadOnlyCollection<PeerConnection>> _peers;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<long, PeerComponents> _byPeer = new();

    public ComponentReplicator(ComponentRegistry registry, Router router, Func<IReadOnlyCollection<PeerConnection>> peers, ILogger logger)
    {
        _registry = registry;
        _router = router;
        _peers = peers;
        _logger = logger;
        registry.LocalInstanceUp += (_, e) => Broadcast(Up(e.Instance, e.Bucket));
        registry.LocalInstanceDown += (_, e) => Broadcast(Down(e.Instance));
    }

    /// <summary>COMPONENT_UP frames for every local instance, for the full sync on a new link.</summary>
    public IEnumerable<Frame> Snapshot()
    {
        foreach (var (instance, bucket) in _registry.LocalInstances())
        {
            yield return Up(instance, bucket);
        }
    }

    /// <summary>Applies a COMPONENT_UP from <paramref name="peer"/>.</summary>
    public void OnUp(PeerConnection peer, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var domain = reader.String();
        var name = reader.String();
        var bucket = reader.Int32();
        if ((peer.Capabilities & LinkCapabilities.Components) == 0)
        {
            // Its SYNC_BEGIN did not announce component frames: stanzas for the instance would be frames it cannot take
            // (LinkCapabilities), so the instance is not routed to through it.
            Log.NotAnnounced(_logger, domain, name, peer.Name);
            return;
        }

        if (_registry.Find(domain) is null)
        {
            // A domain this node does not serve (configurations differ during a rolling change): nothing to route to.
            Log.UnknownDomain(_logger, domain, name, peer.Name);
            return;
        }

        var components = _byPeer.GetOrAdd(peer.PeerId, _ => new PeerComponents());
        RemoteComponent? instance;
        var known = false;
        lock (components)
        {
            components.Syncing?.Add(name);
            if (components.Instances.TryGetValue(name, out instance))
            {
                known = true;
            }
            else
            {
                instance = new RemoteComponent(domain, name, peer, Overflow);
                components.Instances[name] = instance;
            }
        }

        // A known instance announced again with a bucket moved there after losing a claim race (ComponentRegistry.AddRemote).
        if (!known || bucket >= 0)
        {
            var owned = _registry.AddRemote(instance, bucket < 0 ? null : bucket);
            Log.RemoteUp(_logger, domain, name, peer.Name, owned);
        }
    }

    /// <summary>Applies a COMPONENT_DOWN from <paramref name="peer"/>.</summary>
    public void OnDown(PeerConnection peer, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        _ = reader.String();
        var name = reader.String();
        if (!_byPeer.TryGetValue(peer.PeerId, out var components))
        {
            return;
        }

        RemoteComponent? removed;
        lock (components)
        {
            if (components.Instances.Remove(name, out removed))
            {
                components.Syncing?.Remove(name);
            }
        }

        if (removed is not null)
        {
            _registry.RemoveRemote(removed);
        }
    }

    /// <summary>A full sync from <paramref name="peer"/> starts: its instances not listed before the end are gone.</summary>
    public void OnSyncBegin(PeerConnection peer)
    {
        var components = _byPeer.GetOrAdd(peer.PeerId, _ => new PeerComponents());
        lock (components)
        {
            components.Syncing = [];
        }
    }

    /// <summary>The end of a full sync: the peer's instances it did not list went away while the link was down.</summary>
    public void OnSyncEnd(PeerConnection peer)
    {
        if (!_byPeer.TryGetValue(peer.PeerId, out var components))
        {
            return;
        }

        List<RemoteComponent> stale;
        lock (components)
        {
            var seen = components.Syncing ?? [];
            components.Syncing = null;
            stale = [.. components.Instances.Values.Where(c => !seen.Contains(c.Name))];
            foreach (var c in stale)
            {
                components.Instances.Remove(c.Name);
            }
        }

        foreach (var c in stale)
        {
            _registry.RemoveRemote(c);
        }
    }

    /// <summary>
    /// A peer left or died: its instances leave the table on this node, before its unacknowledged stanzas are routed
    /// again, so those stanzas re-balance onto the remaining instances (or bounce, for a fixed bucket).
    /// </summary>
    public void Drop(long peerId)
    {
        if (!_byPeer.TryRemove(peerId, out var components))
        {
            return;
        }

        List<RemoteComponent> gone;
        lock (components)
        {
            gone = [.. components.Instances.Values];
            components.Instances.Clear();
        }

        foreach (var c in gone)
        {
            _registry.RemoveRemote(c);
        }
    }

    /// <summary>
    /// Delivers a forwarded stanza to the local instance it names; when that instance is gone (or cannot take it), the
    /// stanza is routed again from here: another instance, or the domain's error.
    /// </summary>
    public async ValueTask DeliverAsync(string domain, string instance, string xml)
    {
        var element = StoredStanza.Parse(xml);
        if (_registry.Find(domain) is { } route)
        {
            // A plain loop over the snapshot: this runs per forwarded stanza (STYLE: no per-stanza closures on the hot path).
            var instances = route.Instances;
            for (var i = 0; i < instances.Count; i++)
            {
                var candidate = instances[i];
                if (candidate.IsLocal && string.Equals(candidate.Name, instance, StringComparison.Ordinal))
                {
                    if (candidate.Send(element))
                    {
                        return;
                    }

                    break;
                }
            }
        }

        await RouteAgainAsync(element).ConfigureAwait(false);
    }

    /// <summary>Routes a component stanza again by its addresses (every kind: the route re-balances or bounces it).</summary>
    public ValueTask RouteAgainAsync(Element element)
    {
        if (element.GetAttribute("from") is not { } fromText || !Jid.TryParse(fromText, out var from) ||
            element.GetAttribute("to") is not { } toText || !Jid.TryParse(toText, out var to))
        {
            return ValueTask.CompletedTask;
        }

        return _router.RouteAsync(new Stanza(element, from, to));
    }

    private void Overflow(Element stanza)
    {
        if (Jid.TryParse(stanza.GetAttribute("from"), out var from) && Jid.TryParse(stanza.GetAttribute("to"), out var to))
        {
            Log.Overflow(_logger, to);
            var stanzaToBounce = new Stanza(stanza, from, to);
            // Send must not block the caller's routing; the bounce (which never throws) runs on its own.
            _ = Task.Run(async () => await _router.BounceAsync(stanzaToBounce, StanzaErrorCondition.ResourceConstraint, "The component's node is not keeping up").ConfigureAwait(false));
        }
    }

    private void Broadcast(Frame frame)
    {
        foreach (var peer in _peers())
        {
            peer.SendControl(frame);
        }
    }

    private static Frame Up(IComponentInstance instance, int? bucket) =>
        new PayloadWriter().String(instance.Domain).String(instance.Name).Int32(bucket ?? -1).ToFrame(FrameType.ComponentUp);

    private static Frame Down(IComponentInstance instance) =>
        new PayloadWriter().String(instance.Domain).String(instance.Name).ToFrame(FrameType.ComponentDown);

    /// <summary>One peer's instances by name, and the names seen during a running full sync.</summary>
    private sealed class PeerComponents
    {
        public Dictionary<string, RemoteComponent> Instances { get; } = new(StringComparer.Ordinal);

        public HashSet<string>? Syncing { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4080, Level = LogLevel.Information, Message = "Component {Domain}: instance {Name} on {Peer} up (bucket here {Bucket})")]
        public static partial void RemoteUp(ILogger logger, string domain, string name, string peer, int? bucket);

        [LoggerMessage(EventId = 4081, Level = LogLevel.Warning, Message = "{Peer} announced instance {Name} of {Domain}, which is not a component domain here: ignored")]
        public static partial void UnknownDomain(ILogger logger, string domain, string name, string peer);

        [LoggerMessage(EventId = 4082, Level = LogLevel.Warning, Message = "A stanza to {To} was refused: the component's node has too many unacknowledged stanzas")]
        public static partial void Overflow(ILogger logger, Jid to);

        [LoggerMessage(EventId = 4551, Level = LogLevel.Warning, Message = "{Peer} announced instance {Name} of {Domain} without announcing component frames on its link: ignored")]
        public static partial void NotAnnounced(ILogger logger, string domain, string name, string peer);
    }
}
