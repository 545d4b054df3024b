using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;

namespace Rookery.Server.Sessions;

/// <summary>
/// A bound resource of a client on this node. It is kept apart from the connection so that stream management
/// (XEP-0198) can move it to a new connection: while it is detached ("hibernating") stanzas for it wait in its
/// unacknowledged queue, and they are re-sent when the client resumes or re-routed when it does not.
/// </summary>
public sealed class ClientSession : ILocalClientSession
{
    private readonly Lock _gate = new();
    private readonly int _maxUnacked;
    private IStanzaConnection? _connection;
    private IStanzaConnection? _lastConnection;
    private Queue<Element>? _unacked;
    private uint _acked;
    private bool _ackRequested;
    private bool _ended;
    private bool _inactive;
    private List<Element>? _held;
    private volatile Element? _presence;
    private volatile int _priority;
    private volatile bool _interested;
    private volatile bool _carbons;
    private volatile bool _flexibleOffline;
    private IClientSession? _movedTo;
    private int _hibernation;

    /// <summary>Creates the session of a newly bound resource on its first connection.</summary>
    public ClientSession(Jid jid, IStanzaConnection connection, int maxUnacked)
    {
        Jid = jid;
        _connection = connection;
        _maxUnacked = maxUnacked;
    }

    private ClientSession(SessionHandover state, int maxUnacked)
    {
        Jid = state.Jid;
        _maxUnacked = maxUnacked;
        _unacked = new Queue<Element>(state.Stanzas);
        _acked = state.Acked;
        Handled = state.Handled;
        ResumptionId = state.ResumptionId;
        _presence = state.Presence;
        _priority = state.Priority;
        _interested = state.Interested;
        _carbons = state.CarbonsEnabled;
        _flexibleOffline = state.FlexibleOffline;
        _inactive = state.Inactive;
        // Created detached: its wait for resumption goes on here.
        _hibernation = 1;
        foreach (var jid in state.DirectedPresence)
        {
            DirectedPresence.Add(jid);
        }
    }

    /// <summary>
    /// Recreates, detached, a session handed over by another cluster node: it waits for its client to resume it here
    /// with the same id (XEP-0198 §5), keeping the unacknowledged stanzas it brought and what arrives meanwhile.
    /// </summary>
    public static ClientSession FromHandover(SessionHandover state, int maxUnacked, Action<ClientSession, Element, int>? whileDetached = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new ClientSession(state, maxUnacked) { WhileDetached = whileDetached };
    }

    /// <inheritdoc />
    public Jid Jid { get; }

    /// <summary>True for the session of a temporary SASL ANONYMOUS account, which is deleted when the session ends.</summary>
    public bool IsAnonymous { get; init; }

    /// <summary>
    /// Told of each message queued while the session waits for resumption, and when its connection drops of each message
    /// still unacknowledged, with the number of that wait (push notifications, XEP-0357); called outside the session's
    /// lock. Null when nobody listens.
    /// </summary>
    public Action<ClientSession, Element, int>? WhileDetached { get; init; }

    /// <inheritdoc />
    public int Priority => _priority;

    /// <inheritdoc />
    public bool IsAvailable => _presence is not null;

    /// <inheritdoc />
    public Element? Presence => _presence;

    /// <inheritdoc />
    public bool IsInterested => _interested;

    /// <inheritdoc />
    public HashSet<Jid> DirectedPresence { get; } = [];

    /// <inheritdoc />
    public bool CarbonsEnabled => _carbons;

    /// <inheritdoc />
    public void SetCarbonsEnabled(bool enabled) => _carbons = enabled;

    /// <inheritdoc />
    public bool FlexibleOffline => _flexibleOffline;

    /// <inheritdoc />
    public void MarkFlexibleOffline() => _flexibleOffline = true;

    /// <summary>True once the client enabled stream management: every stanza sent is kept until acknowledged.</summary>
    public bool IsManaged => _unacked is not null;

    /// <summary>The resumption id handed out in <c>&lt;enabled/&gt;</c>, or null when the session cannot be resumed.</summary>
    public string? ResumptionId { get; private set; }

    /// <summary>Stanzas received from the client and handled since stream management was enabled (XEP-0198 'h').</summary>
    public uint Handled { get; private set; }

    /// <summary>True while no connection is attached (waiting for resumption).</summary>
    public bool IsDetached
    {
        get
        {
            lock (_gate)
            {
                return _connection is null && !_ended;
            }
        }
    }

    /// <inheritdoc />
    public void SetPresence(Element? presence, int priority)
    {
        _priority = priority;
        _presence = presence;
    }

    /// <inheritdoc />
    public void MarkInterested() => _interested = true;

    /// <inheritdoc />
    public bool Send(Element stanza)
    {
        ArgumentNullException.ThrowIfNull(stanza);
        IStanzaConnection? connection;
        Element[]? flush = null;
        bool managed;
        IClientSession? movedTo;
        var hibernation = 0;
        lock (_gate)
        {
            movedTo = _movedTo;
            if (_ended && movedTo is null)
            {
                return false;
            }

            if (movedTo is null && _inactive && ClientStateIndication.CanWait(stanza))
            {
                Hold(stanza);
                return true;
            }

            // An important stanza goes out after what was held, so that the client sees events in order.
            if (_held is { Count: > 0 })
            {
                flush = [.. _held];
                _held.Clear();
            }

            managed = _unacked is not null;
            if (movedTo is null && managed && !TryKeep(stanza, flush))
            {
                return false;
            }

            connection = _connection;
            hibernation = managed && connection is null && movedTo is null && WhileDetached is not null && stanza.Name == "message" ? _hibernation : 0;
        }

        if (movedTo is not null)
        {
            // Handed over to another node: what was routed here from a stale view of the table follows the session
            // (outside our lock: the successor takes the link's lock, which the hand-over holds while taking ours).
            return movedTo.Send(stanza);
        }

        if (flush is not null)
        {
            foreach (var held in flush)
            {
                connection?.Write(held);
            }
        }

        if (managed)
        {
            // The stanza is kept until acknowledged: written now if connected, re-sent on resumption, re-routed otherwise.
            connection?.Write(stanza);
            if (hibernation != 0)
            {
                WhileDetached!(this, stanza, hibernation);
            }

            return true;
        }

        return connection?.Write(stanza) ?? false;
    }

    /// <summary>
    /// Client state indication (XEP-0352): while inactive, presence updates and chat states wait (the newest per
    /// sender) instead of waking the device; becoming active, or any important stanza, sends them first.
    /// </summary>
    public void SetInactive(bool inactive)
    {
        Element[]? flush = null;
        IStanzaConnection? connection;
        lock (_gate)
        {
            _inactive = inactive;
            if (inactive || _held is not { Count: > 0 })
            {
                return;
            }

            flush = [.. _held];
            _held.Clear();
            if (_unacked is not null && !TryKeep(null, flush))
            {
                return;
            }

            connection = _connection;
        }

        foreach (var held in flush)
        {
            connection?.Write(held);
        }
    }

    /// <summary>True while the client said it is inactive (XEP-0352).</summary>
    public bool IsInactive
    {
        get
        {
            lock (_gate)
            {
                return _inactive;
            }
        }
    }

    private void Hold(Element stanza)
    {
        _held ??= [];
        var from = stanza.GetAttribute("from");
        for (var i = 0; i < _held.Count; i++)
        {
            // Only the newest update of each sender matters once the client looks again.
            if (_held[i].Name == stanza.Name && _held[i].GetAttribute("from") == from)
            {
                _held.RemoveAt(i);
                break;
            }
        }

        _held.Add(stanza);
    }

    /// <summary>Adds stanzas about to be written to the unacknowledged queue; false when the queue is full.</summary>
    private bool TryKeep(Element? stanza, Element[]? before)
    {
        var adding = (before?.Length ?? 0) + (stanza is null ? 0 : 1);
        if (_unacked!.Count + adding > _maxUnacked)
        {
            // The client neither reads nor acknowledges; keeping more would only grow memory without bound.
            _connection?.CloseStream(StreamErrorCondition.ResourceConstraint, "Too many unacknowledged stanzas");
            return false;
        }

        if (before is not null)
        {
            foreach (var held in before)
            {
                _unacked.Enqueue(held);
            }
        }

        if (stanza is not null)
        {
            _unacked.Enqueue(stanza);
        }

        return true;
    }

    /// <inheritdoc />
    public void Close(StreamErrorCondition condition, string? text = null)
    {
        IStanzaConnection? connection;
        lock (_gate)
        {
            connection = _connection;
        }

        connection?.CloseStream(condition, text);
    }

    /// <summary>Closes the connection a session had when it was ended from elsewhere (replaced by a newer login).</summary>
    internal void CloseDetached(StreamErrorCondition condition, string text) => _lastConnection?.CloseStream(condition, text);

    /// <summary>Starts counting and keeping stanzas (XEP-0198 §3); <paramref name="resumptionId"/> makes it resumable.</summary>
    public void EnableManagement(string? resumptionId)
    {
        lock (_gate)
        {
            _unacked ??= new Queue<Element>();
            ResumptionId = resumptionId;
        }
    }

    /// <summary>Counts one handled inbound stanza.</summary>
    public void CountHandled() => Handled++;

    /// <summary>
    /// Applies the client's acknowledgement <paramref name="h"/> (XEP-0198 §4): drops the stanzas it covers. Returns
    /// false when h acknowledges more than was sent, which the XEP treats as an undefined-condition stream error.
    /// </summary>
    public bool Acknowledge(uint h)
    {
        lock (_gate)
        {
            _ackRequested = false;
            if (_unacked is null)
            {
                return true;
            }

            // Counters wrap at 2^32 (XEP-0198 §5): compare by distance, not by value.
            var newlyAcked = unchecked(h - _acked);
            if (newlyAcked > (uint)_unacked.Count)
            {
                return false;
            }

            for (var i = 0u; i < newlyAcked; i++)
            {
                _unacked.Dequeue();
            }

            _acked = h;
            return true;
        }
    }

    /// <summary>True (once per burst) when the writer should ask the client for an acknowledgement.</summary>
    public bool TakeAckRequest()
    {
        lock (_gate)
        {
            if (_unacked is not { Count: > 0 } || _ackRequested || _connection is null)
            {
                return false;
            }

            _ackRequested = true;
            return true;
        }
    }

    /// <summary>
    /// Detaches the connection when it is lost. Returns true when the session now waits for resumption, false when it
    /// must end (not resumable, or already ended).
    /// </summary>
    public bool Detach(IStanzaConnection connection)
    {
        List<Element>? unacked = null;
        bool waits;
        int hibernation;
        lock (_gate)
        {
            if (!ReferenceEquals(_connection, connection))
            {
                // Already moved to another connection by a resumption: nothing to do for the old one.
                return true;
            }

            _connection = null;
            _ackRequested = false;
            hibernation = ++_hibernation;
            waits = ResumptionId is not null && !_ended;
            if (waits && WhileDetached is not null && _unacked is { Count: > 0 })
            {
                // Written to a connection that was already dead, never acknowledged: they wait now like the ones that
                // will be queued from here on.
                foreach (var stanza in _unacked)
                {
                    if (stanza.Name == "message")
                    {
                        (unacked ??= []).Add(stanza);
                    }
                }
            }
        }

        if (unacked is not null)
        {
            foreach (var message in unacked)
            {
                WhileDetached!(this, message, hibernation);
            }
        }

        return waits;
    }

    /// <summary>
    /// Attaches a new connection after a successful resumption (XEP-0198 §5): applies the client's h, writes
    /// <paramref name="resumed"/> and then every stanza the client has not acknowledged, in order, all under the
    /// session's lock so that no stanza routed meanwhile can overtake them. Returns the previous connection (to be
    /// closed), or false when the session can no longer be resumed. <paramref name="then"/>, when given, is written
    /// right after <paramref name="resumed"/>: the stream features that follow a SASL2 &lt;success/&gt; (XEP-0388).
    /// </summary>
    public bool TryAttach(IStanzaConnection connection, uint h, Element resumed, out IStanzaConnection? previous, Element? then = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        lock (_gate)
        {
            previous = null;
            if (_ended || _unacked is null)
            {
                return false;
            }

            var newlyAcked = unchecked(h - _acked);
            if (newlyAcked > (uint)_unacked.Count)
            {
                return false;
            }

            for (var i = 0u; i < newlyAcked; i++)
            {
                _unacked.Dequeue();
            }

            _acked = h;
            previous = _connection;
            _connection = connection;
            _ackRequested = false;
            connection.Write(resumed);
            if (then is not null)
            {
                connection.Write(then);
            }

            foreach (var stanza in _unacked)
            {
                connection.Write(stanza);
            }

            return true;
        }
    }

    /// <summary>
    /// Ends the session here because it moves to another cluster node: captures its state, detaches its connection
    /// (returned in the state, to be closed: XEP-0198 §5, the resumed stream replaces the old one) and from now on
    /// forwards every stanza it is sent to <paramref name="successor"/>. Null when it can no longer be handed over.
    /// </summary>
    public SessionHandover? HandOver(IClientSession successor)
    {
        ArgumentNullException.ThrowIfNull(successor);
        lock (_gate)
        {
            if (_ended || _unacked is null || ResumptionId is null)
            {
                return null;
            }

            _ended = true;
            _movedTo = successor;
            var previous = _connection;
            _lastConnection = previous;
            _connection = null;
            var stanzas = new List<Element>(_unacked.Count + (_held?.Count ?? 0));
            stanzas.AddRange(_unacked);
            if (_held is not null)
            {
                // Held back by CSI, never written: the client gets them after the unacknowledged ones, as it would here.
                stanzas.AddRange(_held);
                _held.Clear();
            }

            _unacked.Clear();
            return new SessionHandover
            {
                Jid = Jid,
                ResumptionId = ResumptionId,
                Handled = Handled,
                Acked = _acked,
                Priority = _priority,
                Presence = _presence,
                Interested = _interested,
                CarbonsEnabled = _carbons,
                FlexibleOffline = _flexibleOffline,
                Inactive = _inactive,
                DirectedPresence = [.. DirectedPresence],
                Stanzas = stanzas,
                PreviousConnection = previous,
            };
        }
    }

    /// <summary>Marks the session ended and hands back what the client never acknowledged, for re-routing.</summary>
    public Element[] End()
    {
        lock (_gate)
        {
            _ended = true;
            _lastConnection = _connection;
            _connection = null;
            var rest = _unacked?.ToArray() ?? [];
            _unacked?.Clear();
            return rest;
        }
    }
}
