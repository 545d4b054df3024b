using Rookery.Cluster.Membership;
using Rookery.Cluster.RemoteRoutes;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Cluster.Links;

/// <summary>
/// Everything this node keeps about one live peer across its links: the current link, the stanzas forwarded and not yet
/// acknowledged (in sequence order, re-sent on a new link and re-routed locally if the peer is declared dead), the
/// peer's sessions as replicated to us, and the sequence number of the last stanza it forwarded to us (to drop the
/// duplicates a re-sent batch brings). One lock orders frames: a full sync and the deltas after it never interleave.
/// </summary>
internal sealed class PeerConnection(long peerId, int maxUnacked)
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, PendingStanza> _unacked = [];
    private readonly Dictionary<Jid, RemoteSession> _sessions = [];
    private HashSet<Jid>? _syncing;
    private NodeLink? _link;
    private long _nextSequence;
    private bool _gone;

    /// <summary>The peer's node id.</summary>
    public long PeerId { get; } = peerId;

    /// <summary>The peer's registry row as of the last membership round (null until the first one listed it).</summary>
    public NodeRecord? Record { get; set; }

    /// <summary>The peer's name, for logs and status.</summary>
    public string Name => Record?.Name ?? "node " + PeerId;

    /// <summary>The sequence number of the last stanza from this peer that was handled; used by the link reader only.</summary>
    public long LastSequenceIn { get; set; }

    /// <summary>The optional features the peer announced in its last SYNC_BEGIN.</summary>
    public LinkCapabilities Capabilities { get; set; }

    /// <summary>True while a dial loop runs for this peer.</summary>
    public bool Dialling { get; set; }

    /// <summary>True once the peer left or was declared dead.</summary>
    public bool IsGone
    {
        get
        {
            lock (_gate)
            {
                return _gone;
            }
        }
    }

    /// <summary>The current link, or null while there is none.</summary>
    public NodeLink? Link
    {
        get
        {
            lock (_gate)
            {
                return _link;
            }
        }
    }

    /// <summary>The number of forwarded stanzas not yet acknowledged.</summary>
    public int UnackedCount
    {
        get
        {
            lock (_gate)
            {
                return _unacked.Count;
            }
        }
    }

    /// <summary>
    /// Forwards a stanza to the peer's session <paramref name="target"/>. False when the peer is gone or too many stanzas
    /// wait for acknowledgement: the caller then treats the session as unable to take it (offline storage or bounce).
    /// Without a link the stanza waits for the next one.
    /// </summary>
    public bool SendStanza(Jid target, Element stanza)
    {
        var xml = ElementWriter.ToXmlString(stanza);
        lock (_gate)
        {
            if (_gone || _unacked.Count >= maxUnacked)
            {
                return false;
            }

            var sequence = ++_nextSequence;
            var frame = new PayloadWriter().Int64(sequence).String(target.ToString()).String(xml).ToFrame(FrameType.Stanza);
            _unacked.Add(sequence, new PendingStanza(sequence, target, xml, frame));
            _link?.TryEnqueue(frame);
            return true;
        }
    }

    /// <summary>
    /// Forwards a stanza for a MUC room the peer hosts, in the same acknowledged sequence as session stanzas. False when
    /// the peer is gone or too many stanzas wait for acknowledgement.
    /// </summary>
    public bool SendMucStanza(Jid from, Jid to, Element stanza)
    {
        var xml = ElementWriter.ToXmlString(stanza);
        lock (_gate)
        {
            if (_gone || _unacked.Count >= maxUnacked)
            {
                return false;
            }

            var sequence = ++_nextSequence;
            var frame = new PayloadWriter().Int64(sequence).String(from.ToString()).String(to.ToString()).String(xml).ToFrame(FrameType.MucStanza);
            _unacked.Add(sequence, new PendingStanza(sequence, to, xml, frame));
            _link?.TryEnqueue(frame);
            return true;
        }
    }

    /// <summary>
    /// Forwards a stanza for a remote domain to the peer, which owns a verified outgoing s2s stream for its pair, in the
    /// same acknowledged sequence as session stanzas. False when the peer is gone, does not speak the s2s frames, or too
    /// many stanzas wait for acknowledgement.
    /// </summary>
    public bool SendS2sStanza(Jid from, Jid to, Element stanza)
    {
        if ((Capabilities & LinkCapabilities.S2sRoutes) == 0)
        {
            return false;
        }

        var xml = ElementWriter.ToXmlString(stanza);
        lock (_gate)
        {
            if (_gone || _unacked.Count >= maxUnacked)
            {
                return false;
            }

            var sequence = ++_nextSequence;
            var frame = new PayloadWriter().Int64(sequence).String(from.ToString()).String(to.ToString()).String(xml).ToFrame(FrameType.S2sStanza);
            _unacked.Add(sequence, new PendingStanza(sequence, to, xml, frame));
            _link?.TryEnqueue(frame);
            return true;
        }
    }

    /// <summary>
    /// Forwards a stanza to the peer's component instance <paramref name="instance"/> of <paramref name="domain"/>, in the
    /// same acknowledged sequence as session stanzas (re-sent on the next link, re-routed if the peer dies).
    /// </summary>
    public ComponentForward SendComponentStanza(string domain, string instance, Element stanza)
    {
        var xml = ElementWriter.ToXmlString(stanza);
        lock (_gate)
        {
            if (_gone)
            {
                return ComponentForward.Gone;
            }

            if (_unacked.Count >= maxUnacked)
            {
                return ComponentForward.Full;
            }

            var sequence = ++_nextSequence;
            var frame = new PayloadWriter().Int64(sequence).String(domain).String(instance).String(xml).ToFrame(FrameType.ComponentStanza);
            _unacked.Add(sequence, new PendingStanza(sequence, Jid.Create(null, domain), xml, frame));
            _link?.TryEnqueue(frame);
            return ComponentForward.Queued;
        }
    }

    /// <summary>Forgets an acknowledged stanza.</summary>
    public void Acknowledge(long sequence)
    {
        lock (_gate)
        {
            _unacked.Remove(sequence);
        }
    }

    /// <summary>Queues a control frame on the current link; dropped without one (the next link starts with a full sync).</summary>
    public void SendControl(Frame frame)
    {
        lock (_gate)
        {
            if (!_gone)
            {
                _link?.TryEnqueue(frame);
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="link"/> the current one (aborting an older one) and queues, in this order and with no delta
    /// in between, the full sync of our sessions and every unacknowledged stanza. False when the peer is gone.
    /// </summary>
    public bool Attach(NodeLink link, IEnumerable<Frame> fullSync)
    {
        lock (_gate)
        {
            if (_gone)
            {
                return false;
            }

            var old = _link;
            _link = link;
            old?.Abort();
            link.TryEnqueue(new PayloadWriter().Int32((int)LinkCapabilities.All).ToFrame(FrameType.SyncBegin));
            foreach (var frame in fullSync)
            {
                link.TryEnqueue(frame);
            }

            link.TryEnqueue(Frame.Empty(FrameType.SyncEnd));
            foreach (var pending in _unacked.Values)
            {
                link.TryEnqueue(pending.Frame);
            }

            return true;
        }
    }

    /// <summary>
    /// Builds and queues a frame under this peer's lock, so that no stanza forwarded to the peer meanwhile can go before
    /// it (a session handed over forwards to the peer what it is sent from then on). False, with nothing built, when
    /// there is no link or the peer is gone; also false when <paramref name="build"/> returns null.
    /// </summary>
    public bool SendOrdered(Func<Frame?> build)
    {
        lock (_gate)
        {
            if (_gone || _link is null)
            {
                return false;
            }

            if (build() is not { } frame)
            {
                return false;
            }

            return _link.TryEnqueue(frame);
        }
    }

    /// <summary>Clears the current link if it is <paramref name="link"/>.</summary>
    public void Detach(NodeLink link)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_link, link))
            {
                _link = null;
            }
        }
    }

    /// <summary>Marks the peer gone and hands back what it held: unacknowledged stanzas (in order) and its sessions.</summary>
    public (List<PendingStanza> Unacked, List<RemoteSession> Sessions) Close()
    {
        lock (_gate)
        {
            _gone = true;
            _link?.Abort();
            _link = null;
            var unacked = _unacked.Values.ToList();
            _unacked.Clear();
            var sessions = _sessions.Values.ToList();
            _sessions.Clear();
            return (unacked, sessions);
        }
    }

    /// <summary>The peer's session with this full JID, or null.</summary>
    public RemoteSession? FindSession(Jid jid)
    {
        lock (_gate)
        {
            return _sessions.GetValueOrDefault(jid);
        }
    }

    /// <summary>Records a replicated session (replacing one with the same JID); marks it seen during a full sync.</summary>
    public void PutSession(RemoteSession session)
    {
        lock (_gate)
        {
            _sessions[session.Jid] = session;
            _syncing?.Add(session.Jid);
        }
    }

    /// <summary>Forgets a replicated session if it is still the recorded one.</summary>
    public bool RemoveSession(RemoteSession session)
    {
        lock (_gate)
        {
            return _sessions.TryGetValue(session.Jid, out var current) && ReferenceEquals(current, session) && _sessions.Remove(session.Jid);
        }
    }

    /// <summary>A full sync starts: sessions not seen before its end are gone.</summary>
    public void BeginSync()
    {
        lock (_gate)
        {
            _syncing = [];
        }
    }

    /// <summary>A full sync ended: returns (and forgets) the sessions it did not mention.</summary>
    public List<RemoteSession> EndSync()
    {
        lock (_gate)
        {
            var seen = _syncing ?? [];
            _syncing = null;
            var stale = _sessions.Values.Where(s => !seen.Contains(s.Jid)).ToList();
            foreach (var s in stale)
            {
                _sessions.Remove(s.Jid);
            }

            return stale;
        }
    }
}
