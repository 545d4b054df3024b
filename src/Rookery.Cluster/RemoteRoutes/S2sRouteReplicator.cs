using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Rookery.Cluster.Links;
using Rookery.Protocol.Addressing;
using Rookery.Server.Routing;
using Rookery.Server.Util;

namespace Rookery.Cluster.RemoteRoutes;

/// <summary>
/// Keeps the s2s route table cluster-wide (seed 000: "all nodes exchange ... s2s connections"): which node owns a
/// verified outgoing stream for each (local domain, remote domain) pair. Announces this node's streams to every peer
/// that speaks the frames (S2S_ROUTE_UP/DOWN, the full S2S_ROUTES list after the peer's SYNC_BEGIN), mirrors what peers
/// announce, purges a dead peer's routes, and forwards a stanza in one hop to the owner of its pair's stream.
/// </summary>
internal sealed partial class S2sRouteReplicator : IS2sRouteDirectory
{
    private readonly S2SManager _manager;
    private readonly Func<IReadOnlyCollection<PeerConnection>> _peers;
    private readonly Func<long, PeerConnection?> _peer;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string Local, string Remote), long> _owners = new();
    private readonly ConcurrentDictionary<long, HashSet<(string Local, string Remote)>> _byPeer = new();

    public S2sRouteReplicator(S2SManager manager, Func<IReadOnlyCollection<PeerConnection>> peers, Func<long, PeerConnection?> peer, ILogger logger)
    {
        _manager = manager;
        _peers = peers;
        _peer = peer;
        _logger = logger;
        manager.LocalRouteUp += (_, e) => Broadcast(Pair(FrameType.S2sRouteUp, e.Local, e.Remote));
        manager.LocalRouteDown += (_, e) => Broadcast(Pair(FrameType.S2sRouteDown, e.Local, e.Remote));
        manager.ClusterRoutes = this;
    }

    /// <summary>The node that owns a verified stream for the pair, as announced to this node; null when none.</summary>
    public long? OwnerOf(string local, string remote) => _owners.TryGetValue((local, remote), out var owner) ? owner : null;

    /// <inheritdoc />
    public bool TryForward(Stanza stanza)
    {
        if (!_owners.TryGetValue((stanza.From.Domain, stanza.To.Domain), out var owner) || _peer(owner) is not { IsGone: false } peer)
        {
            return false;
        }

        return peer.SendS2sStanza(stanza.From, stanza.To, stanza.Element);
    }

    /// <summary>A peer's SYNC_BEGIN arrived: if it speaks the s2s frames, it gets this node's full list of routes.</summary>
    public void OnSyncBegin(PeerConnection peer)
    {
        if ((peer.Capabilities & LinkCapabilities.S2sRoutes) == 0)
        {
            return;
        }

        var routes = _manager.LocalRoutes();
        var writer = new PayloadWriter().Int32(routes.Count);
        foreach (var (local, remote) in routes)
        {
            writer.String(local).String(remote);
        }

        peer.SendControl(writer.ToFrame(FrameType.S2sRoutes));
    }

    /// <summary>Applies S2S_ROUTES: the peer's routes are exactly the listed ones.</summary>
    public void OnFull(PeerConnection peer, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var count = reader.Int32();
        var listed = new HashSet<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            listed.Add((reader.String(), reader.String()));
        }

        var routes = _byPeer.GetOrAdd(peer.PeerId, _ => []);
        lock (routes)
        {
            foreach (var stale in routes.Where(r => !listed.Contains(r)).ToList())
            {
                routes.Remove(stale);
                _owners.TryRemove(new KeyValuePair<(string, string), long>(stale, peer.PeerId));
            }

            foreach (var route in listed)
            {
                routes.Add(route);
                _owners[route] = peer.PeerId;
            }
        }

        Log.FullSync(_logger, peer.Name, listed.Count);
    }

    /// <summary>Applies S2S_ROUTE_UP or S2S_ROUTE_DOWN.</summary>
    public void OnDelta(PeerConnection peer, Frame frame, bool up)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var route = (reader.String(), reader.String());
        var routes = _byPeer.GetOrAdd(peer.PeerId, _ => []);
        lock (routes)
        {
            if (up)
            {
                routes.Add(route);
                _owners[route] = peer.PeerId;
            }
            else
            {
                routes.Remove(route);
                _owners.TryRemove(new KeyValuePair<(string, string), long>(route, peer.PeerId));
            }
        }

        Log.Delta(_logger, peer.Name, route.Item1, route.Item2, up);
    }

    /// <summary>A peer left or died: its routes go, before its unacknowledged s2s stanzas are routed again from here.</summary>
    public void Drop(long peerId)
    {
        if (!_byPeer.TryRemove(peerId, out var routes))
        {
            return;
        }

        lock (routes)
        {
            foreach (var route in routes)
            {
                _owners.TryRemove(new KeyValuePair<(string, string), long>(route, peerId));
            }

            Log.Purged(_logger, peerId, routes.Count);
        }
    }

    /// <summary>A forwarded s2s stanza: sent over this node's own stream for its pair (opened if need be), never forwarded again.</summary>
    public ValueTask DeliverAsync(string fromText, string toText, string xml)
    {
        if (!Jid.TryParse(fromText, out var from) || !Jid.TryParse(toText, out var to))
        {
            return ValueTask.CompletedTask;
        }

        return _manager.RouteHereAsync(new Stanza(StoredStanza.Parse(xml), from, to));
    }

    private void Broadcast(Frame frame)
    {
        foreach (var peer in _peers())
        {
            // Only peers that announced the capability: an older node would end the link on an unknown frame type.
            if ((peer.Capabilities & LinkCapabilities.S2sRoutes) != 0)
            {
                peer.SendControl(frame);
            }
        }
    }

    private static Frame Pair(FrameType type, string local, string remote) =>
        new PayloadWriter().String(local).String(remote).ToFrame(type);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4640, Level = LogLevel.Debug, Message = "S2S routes of {Peer}: full list of {Count}")]
        public static partial void FullSync(ILogger logger, string peer, int count);

        [LoggerMessage(EventId = 4641, Level = LogLevel.Information, Message = "S2S route {Local} -> {Remote} on {Peer}: up={Up}")]
        public static partial void Delta(ILogger logger, string peer, string local, string remote, bool up);

        [LoggerMessage(EventId = 4642, Level = LogLevel.Information, Message = "S2S routes of node {NodeId} purged ({Count})")]
        public static partial void Purged(ILogger logger, long nodeId, int count);
    }
}
