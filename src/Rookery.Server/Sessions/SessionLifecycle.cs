using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Im;
using Rookery.Server.Routing;

namespace Rookery.Server.Sessions;

/// <summary>
/// Binds, ends and resumes client sessions. Ending a session unbinds it, broadcasts its unavailable presence and
/// re-routes every stanza the client never acknowledged (stream management): a message goes to another resource or to
/// offline storage, an iq request is answered with an error, so nothing a client was handed is silently lost.
/// Sessions that may be resumed wait, detached, for <see cref="StreamManagementOptions.ResumeTimeoutSeconds"/>.
/// </summary>
public sealed partial class SessionLifecycle(
    SessionTable table,
    PresenceManager presence,
    Router router,
    Auth.AnonymousAccounts anonymous,
    Modules.ModuleRegistry modules,
    IOptions<ServerOptions> options,
    TimeProvider time,
    ILogger<SessionLifecycle> logger) : IDisposable
{
    private const string CarbonsNs = "urn:xmpp:carbons:2";
    private readonly ConcurrentDictionary<string, ClientSession> _resumable = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ClientSession, ITimer> _waiting = new();
    private Action<ClientSession, Element, int>? _whileDetached;

    /// <summary>
    /// What a new session calls for each message queued while it waits for resumption, and for each one left
    /// unacknowledged when its connection drops: the modules' waiting-message hooks (push notifications, XEP-0357); null
    /// when no module listens. One shared delegate for every session.
    /// </summary>
    public Action<ClientSession, Element, int>? WhileDetached =>
        !modules.HasWaitingHooks ? null : _whileDetached ??= OnQueuedWhileDetached;

    private void OnQueuedWhileDetached(ClientSession session, Element message, int hibernation)
    {
        if (message.GetAttribute("from") is not { } fromText || !Jid.TryParse(fromText, out var from))
        {
            return;
        }

        modules.MessageWaiting(new Modules.WaitingMessage(message, from, session.Jid, session, hibernation));
    }

    /// <summary>How long a detached session waits for its client to resume.</summary>
    public TimeSpan ResumeTimeout => TimeSpan.FromSeconds(options.Value.StreamManagement.ResumeTimeoutSeconds);

    /// <summary>
    /// Adds a new session; an existing one with the same full JID ends with <c>conflict</c>, and what its client had
    /// not acknowledged is routed again (to the new session, which now owns the JID).
    /// </summary>
    public async ValueTask BindAsync(ClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var replaced = table.Bind(session);
        if (replaced is ClientSession local)
        {
            await CloseReplacedAsync(local).ConfigureAwait(false);
        }
        else if (replaced is not null)
        {
            // A session of another cluster node: its own node ends it with <conflict/> and re-routes what it holds.
            replaced.Close(StreamErrorCondition.Conflict, "Replaced by a new connection");
        }
        else if (table.Find(session.Jid) != session)
        {
            // Unreachable in practice: Bind always installs the session.
            throw new InvalidOperationException("Binding failed");
        }
    }

    /// <summary>
    /// Ends a session that a newer one with the same full JID already replaced in the table (here or on another cluster
    /// node): <c>conflict</c> to its client, and what the client had not acknowledged is routed again.
    /// </summary>
    public async ValueTask CloseReplacedAsync(ClientSession replaced)
    {
        ArgumentNullException.ThrowIfNull(replaced);
        Forget(replaced);
        var rest = replaced.End();
        replaced.CloseDetached(StreamErrorCondition.Conflict, "Replaced by a new connection");
        await RerouteAsync(replaced, rest).ConfigureAwait(false);
    }

    /// <summary>Issues and checks resumption ids that name the owning node (location-independent, unforgeable).</summary>
    public ResumptionTokens Tokens { get; } = new();

    /// <summary>Fetches sessions from other cluster nodes for resumption; null on a single node.</summary>
    public IRemoteResumption? Remote { get; set; }

    /// <summary>Makes a managed session resumable and returns its id (XEP-0198 §5).</summary>
    public string MakeResumable(ClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var id = Tokens.Create();
        _resumable[id] = session;
        return id;
    }

    /// <summary>
    /// Finds the session a client asks to resume: here, or (in a cluster) on the node its id names, which hands it
    /// over. Null for a forged or unknown id, another account's session, or a dead or refusing owner: the client then
    /// gets <c>item-not-found</c> (XEP-0198 §5).
    /// </summary>
    public async ValueTask<ClientSession?> FindResumableAsync(string id, Jid account, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(account);
        if (!Tokens.TryRead(id, out var node))
        {
            Log.UnknownToken(logger, account);
            return null;
        }

        // A session that already moved here keeps the id that names its first node: look here first.
        if (FindResumable(id, account) is { } local)
        {
            return local;
        }

        // Not here: ask the cluster (the named node, or, for a session that moved on since, the account's other nodes).
        if (Remote is not { } remote || !await remote.FetchAsync(id, node, account, ct).ConfigureAwait(false))
        {
            return null;
        }

        return FindResumable(id, account);
    }

    /// <summary>
    /// The resumable session with this id, if it belongs to <paramref name="account"/>, for another node that asks to take
    /// it over; unlike <see cref="FindResumable"/> its wait for resumption goes on until it is handed over.
    /// </summary>
    public ClientSession? FindForHandover(string id, Jid account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return _resumable.TryGetValue(id, out var session) && session.Jid.Bare == account.Bare ? session : null;
    }

    /// <summary>
    /// Ends a session here because it moves to another node (see <see cref="ClientSession.HandOver"/>): no unavailable
    /// presence, nothing re-routed or stored offline — the state goes with it, and stanzas still routed here follow it.
    /// </summary>
    public SessionHandover? HandOver(ClientSession session, IClientSession successor)
    {
        ArgumentNullException.ThrowIfNull(session);
        var state = session.HandOver(successor);
        if (state is not null)
        {
            Forget(session);
            Log.HandedOver(logger, session.Jid);
        }

        return state;
    }

    /// <summary>
    /// Takes in a session another node handed over: binds it here (the newer bind replaces the old node's entry on every
    /// node, with no unbind in between) and lets it wait, detached, for its client to resume it.
    /// </summary>
    public async ValueTask<ClientSession> AdoptAsync(SessionHandover state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var session = ClientSession.FromHandover(state, options.Value.StreamManagement.MaxUnacked, WhileDetached);
        _resumable[state.ResumptionId] = session;
        var replaced = table.Bind(session);
        if (replaced is ClientSession local)
        {
            await CloseReplacedAsync(local).ConfigureAwait(false);
        }

        var timer = time.CreateTimer(_ => _ = ExpireAsync(session), null, ResumeTimeout, Timeout.InfiniteTimeSpan);
        if (!_waiting.TryAdd(session, timer))
        {
            timer.Dispose();
        }

        Log.TookOver(logger, session.Jid);
        return session;
    }

    /// <summary>Finds a session to resume by its id, for the same account only; stops its wait for resumption.</summary>
    public ClientSession? FindResumable(string id, Jid account)
    {
        ArgumentNullException.ThrowIfNull(account);
        if (!_resumable.TryGetValue(id, out var session) || session.Jid.Bare != account.Bare)
        {
            return null;
        }

        if (_waiting.TryRemove(session, out var timer))
        {
            timer.Dispose();
        }

        return session;
    }

    /// <summary>
    /// Called when a session's connection ended: a resumable session waits for its client, any other one ends now.
    /// </summary>
    public ValueTask ConnectionLostAsync(ClientSession session, IStanzaConnection connection, bool resumable)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.Detach(connection))
        {
            return EndAsync(session);
        }

        if (!resumable)
        {
            return session.IsDetached ? EndAsync(session) : ValueTask.CompletedTask;
        }

        if (session.IsDetached)
        {
            Log.WaitingForResumption(logger, session.Jid, ResumeTimeout.TotalSeconds);
            var timer = time.CreateTimer(_ => _ = ExpireAsync(session), null, ResumeTimeout, Timeout.InfiniteTimeSpan);
            if (!_waiting.TryAdd(session, timer))
            {
                timer.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Ends, after all, a session whose hand-over to another node did not arrive there: <paramref name="bound"/> (the
    /// session itself or the entry that stood for it on the other node) is unbound, the contacts get unavailable
    /// presence, and the stanzas the hand-over carried are routed again as if the session had expired here.
    /// </summary>
    public async ValueTask AbandonHandoverAsync(ClientSession session, IClientSession bound, IReadOnlyList<Element> stanzas)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(bound);
        ArgumentNullException.ThrowIfNull(stanzas);
        if (table.Unbind(bound))
        {
            try
            {
                await presence.SessionClosedAsync(session).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.UnavailableFailed(logger, e, session.Jid);
            }
        }

        await RerouteAsync(session, [.. stanzas]).ConfigureAwait(false);
    }

    /// <summary>Routes again the stanzas a hand-over carried to a node that died before it took them in.</summary>
    public ValueTask RerouteHandoverAsync(ClientSession session, IReadOnlyList<Element> stanzas)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(stanzas);
        return RerouteAsync(session, [.. stanzas]);
    }

    /// <summary>Ends a session: unbinds it, broadcasts unavailable presence, re-routes unacknowledged stanzas.</summary>
    public async ValueTask EndAsync(ClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Forget(session);
        var rest = session.End();
        if (table.Unbind(session))
        {
            try
            {
                await presence.SessionClosedAsync(session).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.UnavailableFailed(logger, e, session.Jid);
            }
        }

        if (session.IsAnonymous)
        {
            // A temporary account ends with its session; deleting it before re-routing makes unacknowledged messages
            // bounce to their senders instead of waiting in an offline queue nobody will ever read.
            try
            {
                await anonymous.DeleteAsync(session.Jid).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.AnonymousDeleteFailed(logger, e, session.Jid);
            }
        }

        await RerouteAsync(session, rest).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var timer in _waiting.Values)
        {
            timer.Dispose();
        }

        _waiting.Clear();
    }

    private async Task ExpireAsync(ClientSession session)
    {
        if (!_waiting.TryRemove(session, out var timer))
        {
            return; // resumed meanwhile
        }

        timer.Dispose();
        Log.ResumptionExpired(logger, session.Jid);
        try
        {
            await EndAsync(session).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.EndFailed(logger, e, session.Jid);
        }
    }

    private void Forget(ClientSession session)
    {
        if (session.ResumptionId is { } id)
        {
            _resumable.TryRemove(new KeyValuePair<string, ClientSession>(id, session));
        }

        if (_waiting.TryRemove(session, out var timer))
        {
            timer.Dispose();
        }
    }

    /// <summary>
    /// XEP-0198 §5 leaves unacknowledged stanzas to the server: messages are routed again to the same address (now
    /// another resource or offline storage, by RFC 6121 §8.5.3.2.1), iq requests get an error, the rest is obsolete.
    /// </summary>
    private async ValueTask RerouteAsync(ClientSession session, Element[] stanzas)
    {
        foreach (var stanza in stanzas)
        {
            if (stanza.GetAttribute("from") is not { } fromText || !Jid.TryParse(fromText, out var from))
            {
                continue;
            }

            switch (stanza.Name)
            {
                // A carbon copy is only a copy: its original reached (or was stored for) the account already.
                case "message" when stanza.GetAttribute("type") != "error" && stanza.ChildInNamespace(CarbonsNs) is null:
                    await router.RouteAsync(new Stanza(stanza, from, RedeliveryTarget.For(stanza, session.Jid))).ConfigureAwait(false);
                    break;
                case "iq" when stanza.GetAttribute("type") is "get" or "set":
                    await router.BounceAsync(new Stanza(stanza, from, session.Jid), StanzaErrorCondition.RecipientUnavailable).ConfigureAwait(false);
                    break;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "{Jid} lost its connection; waiting {Seconds} s for resumption")]
        public static partial void WaitingForResumption(ILogger logger, Jid jid, double seconds);

        [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "{Jid} was not resumed in time; ending the session")]
        public static partial void ResumptionExpired(ILogger logger, Jid jid);

        [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "Broadcasting unavailable presence for {Jid} failed")]
        public static partial void UnavailableFailed(ILogger logger, Exception e, Jid jid);

        [LoggerMessage(EventId = 603, Level = LogLevel.Error, Message = "Ending the session of {Jid} failed")]
        public static partial void EndFailed(ILogger logger, Exception e, Jid jid);

        [LoggerMessage(EventId = 604, Level = LogLevel.Error, Message = "Deleting the temporary account of {Jid} failed")]
        public static partial void AnonymousDeleteFailed(ILogger logger, Exception e, Jid jid);

        [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "A resumption id that this cluster did not issue was presented by {Account}")]
        public static partial void UnknownToken(ILogger logger, Jid account);

        [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "{Jid} was handed over to another node for resumption")]
        public static partial void HandedOver(ILogger logger, Jid jid);

        [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "{Jid} was handed over from another node; waiting for its client to resume")]
        public static partial void TookOver(ILogger logger, Jid jid);

        // Next free EventId: 605 (4103 in the sm-cluster range 4100-4119)
    }
}
