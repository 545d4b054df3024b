using System.Collections.Concurrent;
using System.Security.Cryptography;
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
    IOptions<ServerOptions> options,
    TimeProvider time,
    ILogger<SessionLifecycle> logger) : IDisposable
{
    private const string CarbonsNs = "urn:xmpp:carbons:2";
    private readonly ConcurrentDictionary<string, ClientSession> _resumable = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ClientSession, ITimer> _waiting = new();

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

    /// <summary>Makes a managed session resumable and returns its id (XEP-0198 §5).</summary>
    public string MakeResumable(ClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var id = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        _resumable[id] = session;
        return id;
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

            var routed = new Stanza(stanza, from, session.Jid);
            switch (stanza.Name)
            {
                // A carbon copy is only a copy: its original reached (or was stored for) the account already.
                case "message" when stanza.GetAttribute("type") != "error" && stanza.ChildInNamespace(CarbonsNs) is null:
                    await router.RouteAsync(routed).ConfigureAwait(false);
                    break;
                case "iq" when stanza.GetAttribute("type") is "get" or "set":
                    await router.BounceAsync(routed, StanzaErrorCondition.RecipientUnavailable).ConfigureAwait(false);
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

        // Next free EventId: 605
    }
}
