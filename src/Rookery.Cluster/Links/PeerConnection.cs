using System.Text;
using Rookery.Cluster.Membership;
using Rookery.Cluster.RemoteRoutes;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;

namespace Rookery.Cluster.Links;

/// <summary>
/// Everything this node keeps about one live peer across its links: the current link, the stanzas forwarded and not yet
/// acknowledged (in sequence order, re-sent on a new link and re-routed locally if the peer is declared dead), the
/// peer's sessions as replicated to us, and the sequence number of the last stanza it forwarded to us (to drop the
/// duplicates a re-sent batch brings). One lock orders frames: a full sync and the deltas after it never interleave.
/// Optional frames (<see cref="LinkCapabilities"/>) go only to a peer whose SYNC_BEGIN announced them: until the first
/// SYNC_BEGIN of a peer arrives, a new link carries only our SYNC_BEGIN and session list, and the rest of the sync (our
/// component instances, SYNC_END, the stanzas waiting for acknowledgement) follows once the peer said what it understands.
/// A peer that falls behind acknowledging is a congested destination (<see cref="ICongestible"/>): past a tenth of the
/// unacknowledged limit, the client whose stanza was being forwarded stops reading until the peer is down to half of
/// that, so a flood waits in its sender's socket instead of reaching the limit, where stanzas for online users would be
/// stored offline (issue #4: 117 of 1,088,019 in an overloaded bench run).
/// </summary>
internal sealed class PeerConnection(long peerId, int maxUnacked) : ICongestible
{
    private readonly Lock _gate = new();
    // In sequence order: numbers are taken under the lock in increasing order, and acknowledged in that order (the
    // receiver handles a link's frames one after the other), so a queue is the whole bookkeeping.
    private readonly Queue<PendingStanza> _unacked = new();
    private readonly DrainSignal _drain = new();
    private readonly Dictionary<Jid, RemoteSession> _sessions = [];
    private HashSet<Jid>? _syncing;
    private NodeLink? _link;
    private long _nextSequence;
    private bool _gone;
    // Null until the peer's first SYNC_BEGIN: a node id is one process's life, so what it understands never changes.
    private LinkCapabilities? _capabilities;
    // The current link has carried the whole sync: stanzas go on it as they come (else they wait in _unacked).
    private bool _ready;
    private bool _synced;

    /// <summary>The peer's node id.</summary>
    public long PeerId { get; } = peerId;

    /// <summary>The peer's registry row as of the last membership round (null until the first one listed it).</summary>
    public NodeRecord? Record { get; set; }

    /// <summary>The peer's name, for logs and status.</summary>
    public string Name => Record?.Name ?? "node " + PeerId;

    /// <summary>The sequence number of the last stanza from this peer that was handled; used by the link reader only.</summary>
    public long LastSequenceIn { get; set; }

    /// <summary>The optional features the peer announced in its SYNC_BEGIN (<see cref="LinkCapabilities.None"/> until then).</summary>
    public LinkCapabilities Capabilities
    {
        get
        {
            lock (_gate)
            {
                return _capabilities ?? LinkCapabilities.None;
            }
        }
    }

    /// <summary>
    /// True once a full sync from the peer ended (its SYNC_END arrived): this node's table holds the peer's sessions.
    /// </summary>
    public bool HasSynced
    {
        get
        {
            lock (_gate)
            {
                return _synced;
            }
        }
    }

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
    public bool SendStanza(Jid target, Element stanza) => SendStanza(target, Encoding.UTF8.GetBytes(target.ToString()), stanza);

    /// <summary>
    /// <see cref="SendStanza(Jid, Element)"/> with the target's UTF-8 form ready (<see cref="RemoteSession"/> keeps it):
    /// the stanza is written as UTF-8 straight into the frame's payload, as the received bytes when it was routed
    /// unchanged (only its stamped <c>from</c> written from the tree), with no string in between (issue #4).
    /// </summary>
    public bool SendStanza(Jid target, ReadOnlySpan<byte> targetUtf8, Element stanza)
    {
        // Built outside the lock (only the sequence number is written under it): router threads forwarding to one peer
        // contend for the lock, so it is held for the bookkeeping alone.
        var payload = PayloadWriter.Stanza(targetUtf8, stanza, out var xml);
        NodeLink? link;
        bool congested;
        lock (_gate)
        {
            if (_gone || _unacked.Count >= maxUnacked)
            {
                return false;
            }

            var sequence = ++_nextSequence;
            PayloadWriter.SetSequence(payload, sequence);
            var frame = new Frame(FrameType.Stanza, payload);
            _unacked.Enqueue(new PendingStanza(sequence, target, frame, xml));
            link = EnqueueIfReady(frame);
            congested = _unacked.Count > CongestionLevel;
        }

        // Written by this (the routing) thread when the link's writer is idle, outside the lock that orders the frames.
        link?.Flush();
        NoteIfCongested(congested);
        return true;
    }

    /// <summary>
    /// Forwards a stanza for a MUC room the peer hosts, in the same acknowledged sequence as session stanzas. False when
    /// the peer is gone, announced no <see cref="LinkCapabilities.Muc"/> (an older node would end the link on the frame),
    /// or too many stanzas wait for acknowledgement.
    /// </summary>
    public bool SendMucStanza(Jid from, Jid to, Element stanza)
    {
        var xml = ElementWriter.ToXmlString(stanza);
        var payload = PayloadWriter.Sequenced(from.ToString(), to.ToString(), xml);
        NodeLink? link;
        bool congested;
        lock (_gate)
        {
            if (_gone || _unacked.Count >= maxUnacked || Lacks(LinkCapabilities.Muc))
            {
                return false;
            }

            var sequence = ++_nextSequence;
            PayloadWriter.SetSequence(payload, sequence);
            var frame = new Frame(FrameType.MucStanza, payload);
            _unacked.Enqueue(PendingStanza.XmlAtEnd(sequence, to, frame, xml));
            link = EnqueueIfReady(frame);
            congested = _unacked.Count > CongestionLevel;
        }

        link?.Flush();
        NoteIfCongested(congested);
        return true;
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
        NodeLink? link;
        bool congested;
        lock (_gate)
        {
            if (_gone || _unacked.Count >= maxUnacked)
            {
                return false;
            }

            var sequence = ++_nextSequence;
            var frame = new PayloadWriter().Int64(sequence).String(from.ToString()).String(to.ToString()).String(xml).ToFrame(FrameType.S2sStanza);
            _unacked.Enqueue(PendingStanza.XmlAtEnd(sequence, to, frame, xml));
            link = EnqueueIfReady(frame);
            congested = _unacked.Count > CongestionLevel;
        }

        link?.Flush();
        NoteIfCongested(congested);
        return true;
    }

    /// <summary>
    /// Forwards a stanza to the peer's component instance <paramref name="instance"/> of <paramref name="domain"/>, in the
    /// same acknowledged sequence as session stanzas (re-sent on the next link, re-routed if the peer dies).
    /// </summary>
    public ComponentForward SendComponentStanza(string domain, string instance, Element stanza)
    {
        var xml = ElementWriter.ToXmlString(stanza);
        var payload = PayloadWriter.Sequenced(domain, instance, xml);
        NodeLink? link;
        bool congested;
        lock (_gate)
        {
            if (_gone || Lacks(LinkCapabilities.Components))
            {
                return ComponentForward.Gone;
            }

            if (_unacked.Count >= maxUnacked)
            {
                return ComponentForward.Full;
            }

            var sequence = ++_nextSequence;
            PayloadWriter.SetSequence(payload, sequence);
            var frame = new Frame(FrameType.ComponentStanza, payload);
            _unacked.Enqueue(PendingStanza.XmlAtEnd(sequence, Jid.Create(null, domain), frame, xml));
            link = EnqueueIfReady(frame);
            congested = _unacked.Count > CongestionLevel;
        }

        link?.Flush();
        NoteIfCongested(congested);
        return ComponentForward.Queued;
    }

    /// <summary>
    /// Forgets the stanza with this sequence number and every earlier one. Acknowledgements arrive in sequence order
    /// (the receiver handles frames in order and acknowledges each before the next), so an ACK also covers what came
    /// before it: a peer with <see cref="LinkCapabilities.CumulativeAck"/> sends only the last ACK of a burst.
    /// </summary>
    public void Acknowledge(long sequence)
    {
        bool drained;
        lock (_gate)
        {
            while (_unacked.TryPeek(out var first) && first.Sequence <= sequence)
            {
                _unacked.Dequeue();
            }

            drained = _unacked.Count <= CongestionLevel / 2;
        }

        if (drained)
        {
            _drain.Release();
        }
    }

    /// <inheritdoc />
    public int Backlog
    {
        get
        {
            lock (_gate)
            {
                return _unacked.Count;
            }
        }
    }

    /// <inheritdoc />
    public Task DrainedAsync()
    {
        var drained = _drain.WaitAsync();
        // Acknowledged (or gone) between the sender's note and now: nothing would release the waiter.
        lock (_gate)
        {
            if (!_gone && _unacked.Count > CongestionLevel / 2)
            {
                return drained;
            }
        }

        _drain.Release();
        return drained;
    }

    /// <inheritdoc />
    public void MarkStuck() => _drain.MarkStuck();

    // A tenth of the limit: far enough below it that a sender paused here stops before any stanza is refused.
    private int CongestionLevel => Math.Max(1, maxUnacked / 10);

    private void NoteIfCongested(bool congested)
    {
        if (congested && !_drain.IsStuck)
        {
            Backpressure.Note(this);
        }
    }

    /// <summary>
    /// Queues a control frame on the current link; dropped without one (the next link starts with a full sync), and
    /// dropped when it is an optional frame the peer has not announced (a component announcement before the peer's
    /// SYNC_BEGIN is carried by the rest of the sync instead).
    /// </summary>
    public void SendControl(Frame frame)
    {
        NodeLink? link = null;
        lock (_gate)
        {
            if (!_gone && Takes(frame.Type) && _link is { } current && current.TryEnqueueHeld(frame))
            {
                link = current;
            }
        }

        link?.Flush();
    }

    /// <summary>
    /// Makes <paramref name="link"/> the current one (aborting an older one) and queues, in this order and with no delta
    /// in between, our SYNC_BEGIN, the full sync of our sessions, then (at once when the peer's capabilities are known,
    /// else when its SYNC_BEGIN arrives, <see cref="OnSyncBegin"/>) our component instances, SYNC_END and every
    /// unacknowledged stanza. False when the peer is gone.
    /// </summary>
    public bool Attach(NodeLink link, IEnumerable<Frame> sessions, Func<IEnumerable<Frame>> components)
    {
        ArgumentNullException.ThrowIfNull(components);
        lock (_gate)
        {
            if (_gone)
            {
                return false;
            }

            var old = _link;
            _link = link;
            _ready = false;
            old?.Abort();
            // What we understand, then (LinkCapabilities.DelayedAck) how many stanzas we keep unacknowledged at most, so
            // that the peer's delayed ACKs never make us refuse one; an older peer reads the first field only.
            link.TryEnqueueHeld(new PayloadWriter().Int32((int)LinkCapabilities.All).Int32(maxUnacked).ToFrame(FrameType.SyncBegin));
            foreach (var frame in sessions)
            {
                link.TryEnqueueHeld(frame);
            }

            if (_capabilities is not null)
            {
                FinishSync(link, components);
            }
        }

        // The whole sync is written in bursts, outside the lock (a full sync may be many frames).
        link.Flush();
        return true;
    }

    /// <summary>
    /// The peer's SYNC_BEGIN arrived on <paramref name="link"/> with what it understands: the sync of ours that waited for
    /// it is completed. Returns the waiting stanzas the peer cannot take (they are no longer this peer's to deliver: the
    /// caller routes them again, now knowing the peer has no such route).
    /// </summary>
    public List<PendingStanza> OnSyncBegin(NodeLink link, LinkCapabilities capabilities, Func<IEnumerable<Frame>> components)
    {
        var refused = new List<PendingStanza>();
        lock (_gate)
        {
            _capabilities = capabilities;
            foreach (var pending in _unacked)
            {
                if (!Takes(pending.Frame.Type))
                {
                    refused.Add(pending);
                }
            }

            if (refused.Count > 0)
            {
                var kept = _unacked.Where(p => Takes(p.Frame.Type)).ToList();
                _unacked.Clear();
                foreach (var pending in kept)
                {
                    _unacked.Enqueue(pending);
                }
            }

            if (!_gone && ReferenceEquals(_link, link) && !_ready)
            {
                FinishSync(link, components);
            }
        }

        link.Flush();
        return refused;
    }

    /// <summary>
    /// Builds and queues a frame under this peer's lock, so that no stanza forwarded to the peer meanwhile can go before
    /// it (a session handed over forwards to the peer what it is sent from then on). False, with nothing built, when
    /// there is no link or the peer is gone; also false when <paramref name="build"/> returns null.
    /// </summary>
    public bool SendOrdered(Func<Frame?> build)
    {
        NodeLink link;
        lock (_gate)
        {
            if (_gone || _link is null || !_ready)
            {
                return false;
            }

            if (build() is not { } frame)
            {
                return false;
            }

            link = _link;
            if (!link.TryEnqueueHeld(frame))
            {
                return false;
            }
        }

        link.Flush();
        return true;
    }

    /// <summary>Clears the current link if it is <paramref name="link"/>.</summary>
    public void Detach(NodeLink link)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_link, link))
            {
                _link = null;
                _ready = false;
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
            _ready = false;
            var unacked = _unacked.ToList();
            _unacked.Clear();
            var sessions = _sessions.Values.ToList();
            _sessions.Clear();
            _drain.Release(); // the senders waiting for this peer read on: what they send now is routed as for a dead peer
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
            _synced = true;
            var stale = _sessions.Values.Where(s => !seen.Contains(s.Jid)).ToList();
            foreach (var s in stale)
            {
                _sessions.Remove(s.Jid);
            }

            return stale;
        }
    }

    /// <summary>Whether the peer can take a frame of this type: optional frames only once it announced them.</summary>
    private bool Takes(FrameType type) => type switch
    {
        FrameType.ComponentUp or FrameType.ComponentDown or FrameType.ComponentStanza => Has(LinkCapabilities.Components),
        FrameType.MucStanza => Has(LinkCapabilities.Muc),
        FrameType.AccountChange => Has(LinkCapabilities.AccountChanges),
        FrameType.S2sRoutes or FrameType.S2sRouteUp or FrameType.S2sRouteDown or FrameType.S2sStanza => Has(LinkCapabilities.S2sRoutes),
        FrameType.ResumeRequest or FrameType.ResumeState or FrameType.ResumeRefused or FrameType.ResumeAck => Has(LinkCapabilities.SessionHandover),
        _ => true,
    };

    private bool Has(LinkCapabilities capability) => _capabilities is { } known && (known & capability) != 0;

    /// <summary>
    /// True when the peer is known not to understand <paramref name="capability"/>. While its capabilities are unknown
    /// (before its first SYNC_BEGIN) a stanza may wait: <see cref="OnSyncBegin"/> hands it back if the peer cannot take it.
    /// </summary>
    private bool Lacks(LinkCapabilities capability) => _capabilities is { } known && (known & capability) == 0;

    /// <summary>Queues a stanza frame on a ready link, held: the caller flushes the returned link once out of the lock.</summary>
    private NodeLink? EnqueueIfReady(Frame frame) => _ready && _link is { } link && link.TryEnqueueHeld(frame) ? link : null;

    /// <summary>
    /// The part of the sync that depends on what the peer understands, then the waiting stanzas; the link is ready. The
    /// frames are held: the caller flushes the link once out of the lock.
    /// </summary>
    private void FinishSync(NodeLink link, Func<IEnumerable<Frame>> components)
    {
        if (Has(LinkCapabilities.Components))
        {
            foreach (var frame in components())
            {
                link.TryEnqueueHeld(frame);
            }
        }

        link.TryEnqueueHeld(Frame.Empty(FrameType.SyncEnd));
        foreach (var pending in _unacked)
        {
            link.TryEnqueueHeld(pending.Frame);
        }

        _ready = true;
    }
}
