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
/// Stream management resumption across nodes (XEP-0198 §5, docs/dev/cluster.md "SM across nodes"). The node a client
/// resumes on asks the node its resumption id names (RESUME_REQUEST); that node hands the session over in one
/// RESUME_STATE frame (full JID, h counters, presence, flags, every unacknowledged stanza in order), ends it locally
/// without unavailable presence or offline storage, and forwards what is still routed to it after that frame on the same
/// link; the new node binds the session with a newer stamp, so every node's table moves the JID without a gap.
/// </summary>
internal sealed partial class SessionMigration(
    SessionTable table,
    SessionLifecycle lifecycle,
    SessionReplicator replicator,
    Func<long, PeerConnection?> findPeer,
    TimeSpan requestTimeout,
    TimeSpan ackTimeout,
    TimeProvider time,
    ILogger logger) : IRemoteResumption
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<bool>> _requests = new();
    private readonly ConcurrentDictionary<(long Peer, long Request), Outgoing> _outgoing = new();
    private long _nextRequest;

    /// <inheritdoc />
    /// <remarks>
    /// The node the id names is asked first. A session that already moved once keeps that id (XEP-0198 has no way to
    /// change it on <c>&lt;resumed/&gt;</c>) and waits under it on its current node: so when the named node is dead or
    /// does not have it, the nodes holding a resource of the same account are asked next.
    /// </remarks>
    public async ValueTask<bool> FetchAsync(string token, long nodeId, Jid account, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(account);
        if (await FetchFromAsync(findPeer(nodeId), token, account, ct).ConfigureAwait(false))
        {
            return true;
        }

        var asked = new HashSet<long> { nodeId };
        foreach (var session in table.Sessions(account.Bare))
        {
            if (session is RemoteSession remote && asked.Add(remote.NodeId) &&
                await FetchFromAsync(findPeer(remote.NodeId), token, account, ct).ConfigureAwait(false))
            {
                return true;
            }
        }

        Log.NotFound(logger, account, nodeId);
        return false;
    }

    private async ValueTask<bool> FetchFromAsync(PeerConnection? peer, string token, Jid account, CancellationToken ct)
    {
        if (peer is null || peer.IsGone || (peer.Capabilities & LinkCapabilities.SessionHandover) == 0)
        {
            // A dead (or unknown, or too old) owner cannot hand anything over; what it held is re-routed by the
            // survivors (offline storage), and the client's new login gets it.
            return false;
        }

        var id = Interlocked.Increment(ref _nextRequest);
        var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[id] = answer;
        try
        {
            if (!peer.SendOrdered(() => new PayloadWriter().Int64(id).String(token).String(account.Bare.ToString()).ToFrame(FrameType.ResumeRequest)))
            {
                return false;
            }

            return await answer.Task.WaitAsync(requestTimeout, time, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.RequestTimedOut(logger, account, peer.Name);
            return false;
        }
        finally
        {
            _requests.TryRemove(id, out _);
        }
    }

    /// <summary>RESUME_REQUEST from <paramref name="peer"/>: hands the named session over, or refuses.</summary>
    public async ValueTask OnRequestAsync(PeerConnection peer, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var id = reader.Int64();
        var token = reader.String();
        var accountText = reader.String();
        if (!Jid.TryParse(accountText, out var account) || account.Local is null ||
            lifecycle.FindForHandover(token, account) is not { } session || replicator.StampOf(session) is not { } stamp)
        {
            Refuse(peer, id, StanzaErrorCondition.ItemNotFound);
            return;
        }

        // Stanzas routed to the session from now on are forwarded to the peer; the state frame goes first (one lock).
        var placeholder = new RemoteSession(session.Jid, stamp, peer);
        SessionHandover? state = null;
        var sent = peer.SendOrdered(() =>
        {
            state = lifecycle.HandOver(session, placeholder);
            return state is null ? null : StateFrame(id, stamp, state);
        });
        if (state is null)
        {
            Refuse(peer, id, StanzaErrorCondition.ItemNotFound);
            return;
        }

        if (!sent)
        {
            // The link went away under us: the session ends here after all, as if it had expired.
            await lifecycle.AbandonHandoverAsync(session, session, state.Stanzas).ConfigureAwait(false);
            return;
        }

        placeholder.Update(session.Presence, session.Priority, session.IsInterested, session.CarbonsEnabled, session.FlexibleOffline);
        peer.PutSession(placeholder);
        // Replaces our entry without an unbind: peers keep routing to this node (which forwards) until the new node's
        // SESSION_UP, with a newer stamp, replaces the entry everywhere. Nobody sees the JID go unavailable.
        table.Bind(placeholder);
        // XEP-0198 §5: the resumed stream replaces a stream that was still attached.
        state.PreviousConnection?.CloseStream(StreamErrorCondition.Conflict, "The session was resumed on another node");
        var key = (peer.PeerId, id);
        var timer = time.CreateTimer(_ => _ = AckTimedOutAsync(key), null, ackTimeout, Timeout.InfiniteTimeSpan);
        _outgoing[key] = new Outgoing(session, placeholder, stamp, state.Stanzas, timer);
        Log.HandingOver(logger, session.Jid, peer.Name, state.Stanzas.Count);
    }

    /// <summary>RESUME_STATE from <paramref name="peer"/>: takes the session in and acknowledges it.</summary>
    public async ValueTask OnStateAsync(PeerConnection peer, Frame frame)
    {
        var (id, stamp, state) = ReadState(frame);
        replicator.RaiseStampFloor(stamp);
        await lifecycle.AdoptAsync(state).ConfigureAwait(false);
        peer.SendControl(new PayloadWriter().Int64(id).ToFrame(FrameType.ResumeAck));
        if (_requests.TryGetValue(id, out var answer))
        {
            answer.TrySetResult(true);
        }
    }

    /// <summary>RESUME_REFUSED from <paramref name="peer"/>.</summary>
    public void OnRefused(PeerConnection peer, Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var id = reader.Int64();
        var condition = reader.String();
        Log.Refused(logger, peer.Name, condition);
        if (_requests.TryGetValue(id, out var answer))
        {
            answer.TrySetResult(false);
        }
    }

    /// <summary>RESUME_ACK from <paramref name="peer"/>: the hand-over is complete.</summary>
    public void OnAck(PeerConnection peer, Frame frame)
    {
        var id = new PayloadReader(frame.Payload.Span).Int64();
        if (_outgoing.TryRemove((peer.PeerId, id), out var outgoing))
        {
            outgoing.Timer.Dispose();
        }
    }

    /// <summary>
    /// A peer left or died: hand-overs it never acknowledged are routed again here (messages to another resource or
    /// offline storage), the rule for every stanza a dead node never acknowledged.
    /// </summary>
    public async Task PeerGoneAsync(PeerConnection peer)
    {
        foreach (var key in _outgoing.Keys)
        {
            if (key.Peer == peer.PeerId && _outgoing.TryRemove(key, out var outgoing))
            {
                outgoing.Timer.Dispose();
                await lifecycle.RerouteHandoverAsync(outgoing.Session, outgoing.Stanzas).ConfigureAwait(false);
            }
        }
    }

    private async Task AckTimedOutAsync((long Peer, long Request) key)
    {
        if (!_outgoing.TryRemove(key, out var outgoing))
        {
            return;
        }

        outgoing.Timer.Dispose();
        if (!ReferenceEquals(table.Find(outgoing.Session.Jid), outgoing.Placeholder))
        {
            return; // the peer bound it (its SESSION_UP replaced our entry): only the acknowledgement was lost
        }

        // The state never arrived (the link broke after it was queued): the session ends here after all.
        Log.HandoverLost(logger, outgoing.Session.Jid);
        try
        {
            outgoing.Placeholder.Peer.RemoveSession(outgoing.Placeholder);
            replicator.AnnounceDown(outgoing.Session.Jid, outgoing.Stamp);
            await lifecycle.AbandonHandoverAsync(outgoing.Session, outgoing.Placeholder, outgoing.Stanzas).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.AbandonFailed(logger, e, outgoing.Session.Jid);
        }
    }

    private static void Refuse(PeerConnection peer, long id, StanzaErrorCondition condition) =>
        peer.SendControl(new PayloadWriter().Int64(id).String(condition.ToWireName()).ToFrame(FrameType.ResumeRefused));

    private static Frame StateFrame(long id, long stamp, SessionHandover state)
    {
        var writer = new PayloadWriter()
            .Int64(id)
            .String(state.ResumptionId)
            .String(state.Jid.ToString())
            .Int64(stamp)
            .Int64(state.Handled)
            .Int64(state.Acked)
            .Int32(state.Priority)
            .String(state.Presence is { } p ? ElementWriter.ToXmlString(p) : string.Empty)
            .Int32((state.Interested ? 1 : 0) | (state.CarbonsEnabled ? 2 : 0) | (state.Inactive ? 4 : 0) | (state.FlexibleOffline ? 8 : 0))
            .Int32(state.DirectedPresence.Count);
        foreach (var jid in state.DirectedPresence)
        {
            writer.String(jid.ToString());
        }

        writer.Int32(state.Stanzas.Count);
        foreach (var stanza in state.Stanzas)
        {
            writer.String(ElementWriter.ToXmlString(stanza));
        }

        return writer.ToFrame(FrameType.ResumeState);
    }

    private static (long Id, long Stamp, SessionHandover State) ReadState(Frame frame)
    {
        var reader = new PayloadReader(frame.Payload.Span);
        var id = reader.Int64();
        var token = reader.String();
        var jid = Jid.TryParse(reader.String(), out var parsed) && parsed.Local is not null && !parsed.IsBare
            ? parsed
            : throw new InvalidDataException("RESUME_STATE names no full JID");
        var stamp = reader.Int64();
        var handled = (uint)reader.Int64();
        var acked = (uint)reader.Int64();
        var priority = reader.Int32();
        var presenceXml = reader.String();
        var flags = reader.Int32();
        var directed = new List<Jid>();
        for (var n = Count(reader.Int32()); n > 0; n--)
        {
            if (Jid.TryParse(reader.String(), out var target))
            {
                directed.Add(target);
            }
        }

        var stanzas = new List<Element>();
        for (var n = Count(reader.Int32()); n > 0; n--)
        {
            stanzas.Add(StoredStanza.Parse(reader.String()));
        }

        return (id, stamp, new SessionHandover
        {
            Jid = jid,
            ResumptionId = token,
            Handled = handled,
            Acked = acked,
            Priority = priority,
            Presence = presenceXml.Length == 0 ? null : StoredStanza.Parse(presenceXml),
            Interested = (flags & 1) != 0,
            CarbonsEnabled = (flags & 2) != 0,
            Inactive = (flags & 4) != 0,
            // An older peer never sets this bit: its sessions had not chosen flexible retrieval as far as it can tell.
            FlexibleOffline = (flags & 8) != 0,
            DirectedPresence = directed,
            Stanzas = stanzas,
        });
    }

    private static int Count(int value) => value >= 0 ? value : throw new InvalidDataException("Negative count in RESUME_STATE");

    private sealed record Outgoing(ClientSession Session, RemoteSession Placeholder, long Stamp, IReadOnlyList<Element> Stanzas, ITimer Timer);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "No live node handed over the session of {Account} whose id names node {NodeId}")]
        public static partial void NotFound(ILogger logger, Jid account, long nodeId);

        [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "{Peer} did not answer a request to hand over a session of {Account} in time")]
        public static partial void RequestTimedOut(ILogger logger, Jid account, string peer);

        [LoggerMessage(EventId = 4105, Level = LogLevel.Information, Message = "{Peer} refused to hand over a session ({Condition})")]
        public static partial void Refused(ILogger logger, string peer, string condition);

        [LoggerMessage(EventId = 4106, Level = LogLevel.Information, Message = "Handing {Jid} over to {Peer} with {Count} unacknowledged stanzas")]
        public static partial void HandingOver(ILogger logger, Jid jid, string peer, int count);

        [LoggerMessage(EventId = 4107, Level = LogLevel.Warning, Message = "The hand-over of {Jid} was never acknowledged; ending the session here")]
        public static partial void HandoverLost(ILogger logger, Jid jid);

        [LoggerMessage(EventId = 4108, Level = LogLevel.Error, Message = "Ending the lost hand-over of {Jid} failed")]
        public static partial void AbandonFailed(ILogger logger, Exception e, Jid jid);

        // Next free EventId: 4109 (range 4100-4119)
    }
}
