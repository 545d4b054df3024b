using Microsoft.Extensions.Logging;
using Rookery.Cluster.Links;
using Rookery.Cluster.Muc;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.Server.Util;

namespace Rookery.Cluster;

/// <content>
/// MUC rooms on the cluster (issue #7, docs/dev/muc.md): stanzas for a room go over the link to the room's host as
/// <see cref="FrameType.MucStanza"/> frames, acknowledged like session stanzas; when a peer is gone its rooms are taken
/// over first, then the stanzas it never acknowledged are routed again, to the rooms' new hosts.
/// </content>
public sealed partial class ClusterNode
{
    private static readonly TimeSpan PeerSyncPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>The MUC room directory of this node, once the MUC service started (null without one).</summary>
    internal ClusterMucDirectory? MucRooms { get; set; }

    /// <summary>Whether <paramref name="nodeId"/> is this node or a peer with which this node is in touch.</summary>
    internal bool IsLiveNode(long nodeId) =>
        nodeId == NodeId || (_peers.TryGetValue(nodeId, out var peer) && !peer.IsGone);

    /// <summary>
    /// Waits until this node has joined and has had a full session sync from every peer the registry lists as live (or
    /// that peer is gone), at most <see cref="ClusterOptions.MaxTaskTime"/>. A room rebuilt before that would take an
    /// occupant on a peer not heard from yet for gone: the room's stanzas to it find no session here, bounce, and the
    /// room removes the occupant (XEP-0045 §7.9 handling of errors from occupants).
    /// </summary>
    internal async Task WaitForPeerSyncAsync(CancellationToken ct)
    {
        var deadline = _time.GetUtcNow() + _options.MaxTaskTime;
        var logged = false;
        while (true)
        {
            List<string> waiting = _joined.Task.IsCompleted ? UnsyncedPeers() : ["(this node's registration)"];
            if (waiting.Count == 0)
            {
                if (logged)
                {
                    MucLog.PeersSynced(_logger);
                }

                return;
            }

            if (_time.GetUtcNow() >= deadline)
            {
                MucLog.PeerSyncTimedOut(_logger, waiting, _options.MaxTaskTime.TotalMilliseconds);
                return;
            }

            if (!logged)
            {
                MucLog.WaitingForPeerSync(_logger, waiting);
                logged = true;
            }

            await Task.Delay(PeerSyncPoll, _time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The names of the live peers (per the last registry round) whose full sync has not arrived yet.</summary>
    private List<string> UnsyncedPeers()
    {
        var waiting = new List<string>();
        foreach (var record in _membership.Peers)
        {
            if (!_peers.TryGetValue(record.NodeId, out var peer) || (!peer.IsGone && !peer.HasSynced))
            {
                waiting.Add(record.Name);
            }
        }

        return waiting;
    }

    /// <summary>Whether the registry says <paramref name="nodeId"/> is dead or left (or has no row): its rooms may be taken.</summary>
    internal async Task<bool> IsNodeGoneAsync(long nodeId, CancellationToken ct)
    {
        var nodes = await _registry.ListAsync(TimeSpan.Zero, ct).ConfigureAwait(false);
        foreach (var node in nodes)
        {
            if (node.NodeId == nodeId)
            {
                return !node.IsLive;
            }
        }

        return true;
    }

    /// <summary>The node a client session is bound on: its owner for a replicated session, else this node.</summary>
    internal long NodeOfSession(Jid jid) =>
        _table.Find(jid) is RemoteRoutes.RemoteSession remote ? remote.NodeId : NodeId;

    /// <summary>Forwards a stanza for a room to the peer hosting it; false when that peer is not (or no longer) known.</summary>
    internal bool ForwardMucStanza(long nodeId, Element stanza, Jid from, Jid to) =>
        _peers.TryGetValue(nodeId, out var peer) && peer.SendMucStanza(from, to, stanza);

    /// <summary>
    /// A forwarded room stanza: routed here through the router (the MUC route handles it if this node hosts the room,
    /// or forwards it on), then acknowledged. A sequence number seen before is only acknowledged again.
    /// </summary>
    private async ValueTask OnMucStanzaAsync(PeerConnection peer, NodeLink link, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var sequence = reader.Int64();
        var fromText = reader.String();
        var toText = reader.String();
        var xml = reader.String();
        if (sequence > peer.LastSequenceIn)
        {
            if (Jid.TryParse(fromText, out var from) && Jid.TryParse(toText, out var to))
            {
                await _router.RouteAsync(new Stanza(StoredStanza.Parse(xml), from, to)).ConfigureAwait(false);
            }

            peer.LastSequenceIn = sequence;
        }

        link.QueueAck(sequence);
    }

    /// <summary>
    /// Off the membership loop (a takeover reads storage and may wait for another survivor): takes over the gone peer's
    /// rooms, removes its occupants from the rooms hosted here, then routes its unacknowledged room stanzas again, in order.
    /// </summary>
    private void StartMucTakeover(long peerId, List<PendingStanza> unacked)
    {
        var directory = MucRooms;
        var pending = unacked.FindAll(p => p.Frame.Type == FrameType.MucStanza);
        if (directory is null && pending.Count == 0)
        {
            return;
        }

        _ = Task.Run(
            async () =>
            {
                try
                {
                    if (directory is not null)
                    {
                        await directory.PeerLostAsync(peerId, _stopping.Token).ConfigureAwait(false);
                    }

                    foreach (var p in pending)
                    {
                        if (SequencedStanzaFrame.Read(p.Frame) is { } stanza)
                        {
                            await _router.RouteAsync(stanza).ConfigureAwait(false);
                        }
                    }
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                }
                catch (Exception e)
                {
                    MucLog.TakeoverFailed(_logger, e, peerId);
                }
            },
            CancellationToken.None);
    }

    private static partial class MucLog
    {
        [LoggerMessage(EventId = 4530, Level = LogLevel.Error, Message = "Taking over the MUC rooms of node {NodeId} failed")]
        public static partial void TakeoverFailed(ILogger logger, Exception e, long nodeId);

        [LoggerMessage(EventId = 4552, Level = LogLevel.Information, Message = "Rebuilding MUC rooms waits for the session sync of {Peers}")]
        public static partial void WaitingForPeerSync(ILogger logger, List<string> peers);

        [LoggerMessage(EventId = 4553, Level = LogLevel.Information, Message = "Every live peer's sessions are known: rebuilding MUC rooms")]
        public static partial void PeersSynced(ILogger logger);

        [LoggerMessage(EventId = 4554, Level = LogLevel.Warning, Message = "No session sync from {Peers} within {Milliseconds} ms: rebuilding MUC rooms without it")]
        public static partial void PeerSyncTimedOut(ILogger logger, List<string> peers, double milliseconds);
    }
}
