using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Rookery.Cluster.Links;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;
using Rookery.Server.Util;

namespace Rookery.Cluster.RemoteRoutes;

/// <summary>
/// Keeps the cluster-wide session table: sends every change of a local session to every peer (SESSION_UP on bind and
/// on presence, priority or interest changes, SESSION_DOWN on unbind) and applies what peers send, as
/// <see cref="RemoteSession"/>s in the same <see cref="SessionTable"/>. A full JID bound on two nodes keeps the newer
/// session (by bind stamp, then node id) on every node; the older one's node ends it with one <c>conflict</c>.
/// </summary>
internal sealed partial class SessionReplicator(
    SessionTable table,
    SessionLifecycle lifecycle,
    Func<IReadOnlyCollection<PeerConnection>> peers,
    Func<long> ownNodeId,
    TimeProvider time,
    ILogger logger) : ISessionTableObserver
{
    private readonly ConcurrentDictionary<IClientSession, long> _stamps = new(ReferenceEqualityComparer.Instance);
    private long _lastStamp;

    /// <summary>The number of local sessions (for the heartbeat).</summary>
    public int LocalCount => _stamps.Count;

    /// <inheritdoc />
    public void Bound(IClientSession session, IClientSession? replaced)
    {
        if (replaced is ILocalClientSession)
        {
            _stamps.TryRemove(replaced, out _);
        }

        if (session is not ILocalClientSession)
        {
            return;
        }

        var stamp = NewStamp();
        _stamps[session] = stamp;
        Broadcast(Up(session, stamp));
    }

    /// <inheritdoc />
    public void Unbound(IClientSession session)
    {
        if (session is ILocalClientSession && _stamps.TryRemove(session, out var stamp))
        {
            Broadcast(new PayloadWriter().String(session.Jid.ToString()).Int64(stamp).ToFrame(FrameType.SessionDown));
        }
    }

    /// <inheritdoc />
    public void Changed(IClientSession session)
    {
        if (session is ILocalClientSession && _stamps.TryGetValue(session, out var stamp))
        {
            Broadcast(Up(session, stamp));
        }
    }

    /// <summary>SESSION_UP frames for every local session, for the full sync on a new link.</summary>
    public IEnumerable<Frame> Snapshot()
    {
        foreach (var session in table.All())
        {
            if (session is ILocalClientSession && _stamps.TryGetValue(session, out var stamp))
            {
                yield return Up(session, stamp);
            }
        }
    }

    /// <summary>Applies a SESSION_UP from <paramref name="peer"/>.</summary>
    public async ValueTask OnSessionUpAsync(PeerConnection peer, Frame frame)
    {
        var (jid, stamp, priority, interested, presenceXml, flags) = ReadUp(frame);
        var presence = presenceXml.Length == 0 ? null : StoredStanza.Parse(presenceXml);
        var carbons = (flags & UpFlagCarbons) != 0;
        var flexibleOffline = (flags & UpFlagFlexibleOffline) != 0;
        var known = peer.FindSession(jid);
        if (known is not null && known.Stamp == stamp)
        {
            known.Update(presence, priority, interested, carbons, flexibleOffline);
            peer.PutSession(known);
            return;
        }

        var existing = table.Find(jid);
        if (existing is not null && !ReferenceEquals(existing, known) && !IsNewer(stamp, peer.PeerId, existing))
        {
            // Ours (or a third node's) is newer: that session stays, and its node ends this one with <conflict/>.
            return;
        }

        var remote = new RemoteSession(jid, stamp, peer);
        remote.Update(presence, priority, interested, carbons, flexibleOffline);
        peer.PutSession(remote);
        var replaced = table.Bind(remote);
        if (replaced is RemoteSession moved && !ReferenceEquals(moved.Peer, peer))
        {
            // The session moved to this peer (stream management hand-over) or was replaced there: the old node's entry is
            // gone for good, so that its later SESSION_DOWN or death does not announce this live JID as unavailable.
            moved.Peer.RemoveSession(moved);
        }

        if (replaced is ClientSession local)
        {
            // RFC 6120 §7.7.2.2: the newest session with a full JID wins, across nodes as on one node.
            _stamps.TryRemove(local, out _);
            Log.ReplacedByRemote(logger, jid, peer.Name);
            await lifecycle.CloseReplacedAsync(local).ConfigureAwait(false);
        }
    }

    /// <summary>Applies a SESSION_DOWN from <paramref name="peer"/>.</summary>
    public void OnSessionDown(PeerConnection peer, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var jid = ParseJid(reader.String());
        var stamp = reader.Int64();
        if (peer.FindSession(jid) is { } known && known.Stamp == stamp && peer.RemoveSession(known))
        {
            table.Unbind(known);
        }
    }

    /// <summary>The end of a full sync: the peer's sessions it did not list are gone.</summary>
    public void OnSyncEnd(PeerConnection peer)
    {
        foreach (var stale in peer.EndSync())
        {
            table.Unbind(stale);
        }
    }

    /// <summary>Applies a CLOSE_SESSION: ends our session if it is still the one the peer meant.</summary>
    public async ValueTask OnCloseSessionAsync(PeerConnection peer, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var jid = ParseJid(reader.String());
        var stamp = reader.Int64();
        var condition = StreamErrors.Parse(reader.String());
        if (table.Find(jid) is ClientSession local && _stamps.TryGetValue(local, out var own) && own == stamp)
        {
            Log.ClosedByPeer(logger, jid, peer.Name, condition);
            if (condition == StreamErrorCondition.Conflict)
            {
                table.Unbind(local);
                await lifecycle.CloseReplacedAsync(local).ConfigureAwait(false);
            }
            else
            {
                local.Close(condition);
            }
        }
    }

    /// <summary>The bind stamp of a local session, or null when it is not (or no longer) bound here.</summary>
    public long? StampOf(IClientSession session) => _stamps.TryGetValue(session, out var stamp) ? stamp : null;

    /// <summary>Makes every later stamp of this node larger than <paramref name="stamp"/> (a session handed over to us
    /// must win over its old node's entry on every node, whatever the clocks say).</summary>
    public void RaiseStampFloor(long stamp)
    {
        while (true)
        {
            var last = Interlocked.Read(ref _lastStamp);
            if (last >= stamp || Interlocked.CompareExchange(ref _lastStamp, stamp, last) == last)
            {
                return;
            }
        }
    }

    /// <summary>Tells every peer that a session this node had bound with <paramref name="stamp"/> is gone.</summary>
    public void AnnounceDown(Jid jid, long stamp) =>
        Broadcast(new PayloadWriter().String(jid.ToString()).Int64(stamp).ToFrame(FrameType.SessionDown));

    /// <summary>Removes a gone peer's sessions from the table; returns them (for the unavailable presence).</summary>
    public void Drop(IEnumerable<RemoteSession> sessions)
    {
        foreach (var s in sessions)
        {
            table.Unbind(s);
        }
    }

    private bool IsNewer(long stamp, long nodeId, IClientSession existing)
    {
        var (otherStamp, otherNode) = existing switch
        {
            RemoteSession r => (r.Stamp, r.NodeId),
            _ => (_stamps.TryGetValue(existing, out var s) ? s : long.MaxValue, ownNodeId()),
        };
        return stamp > otherStamp || (stamp == otherStamp && nodeId > otherNode);
    }

    private long NewStamp()
    {
        // Microseconds of wall-clock time, made strictly increasing on this node; nodes of one cluster share a clock
        // source closely enough for "the newer login wins", and the node id breaks exact ties.
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        while (true)
        {
            var last = Interlocked.Read(ref _lastStamp);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _lastStamp, next, last) == last)
            {
                return next;
            }
        }
    }

    private void Broadcast(Frame frame)
    {
        foreach (var peer in peers())
        {
            peer.SendControl(frame);
        }
    }

    // Flags appended to SESSION_UP after the fields of the first protocol: an older peer stops reading before them.
    private const int UpFlagCarbons = 1;

    // XEP-0013 §2.2: a resource of the account chose flexible offline retrieval, so no other resource gets the flood.
    private const int UpFlagFlexibleOffline = 2;

    private static Frame Up(IClientSession session, long stamp) =>
        new PayloadWriter()
            .String(session.Jid.ToString())
            .Int64(stamp)
            .Int32(session.Priority)
            .Bool(session.IsInterested)
            .String(session.Presence is { } p ? ElementWriter.ToXmlString(p) : string.Empty)
            .Int32((session.CarbonsEnabled ? UpFlagCarbons : 0) | (session.FlexibleOffline ? UpFlagFlexibleOffline : 0))
            .ToFrame(FrameType.SessionUp);

    private static (Jid Jid, long Stamp, int Priority, bool Interested, string Presence, int Flags) ReadUp(Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var jid = ParseJid(reader.String());
        var stamp = reader.Int64();
        var priority = reader.Int32();
        var interested = reader.Bool();
        var presence = reader.String();
        // An older peer sends no flags: its sessions have carbons off, as it cannot tell.
        var flags = reader.HasMore ? reader.Int32() : 0;
        return (jid, stamp, priority, interested, presence, flags);
    }

    private static Jid ParseJid(string text) =>
        Jid.TryParse(text, out var jid) && jid.Local is not null && !jid.IsBare ? jid : throw new InvalidDataException($"'{text}' is not a full JID");

    private static partial class Log
    {
        [LoggerMessage(EventId = 4030, Level = LogLevel.Information, Message = "{Jid} logged in again on {Peer}: ending the session here with conflict")]
        public static partial void ReplacedByRemote(ILogger logger, Jid jid, string peer);

        [LoggerMessage(EventId = 4031, Level = LogLevel.Information, Message = "{Peer} asked to close {Jid} with {Condition}")]
        public static partial void ClosedByPeer(ILogger logger, Jid jid, string peer, StreamErrorCondition condition);
    }
}
