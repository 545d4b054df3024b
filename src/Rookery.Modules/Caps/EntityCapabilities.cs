using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Rookery.Modules.Disco;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Caps;

/// <summary>
/// Entity capabilities (XEP-0115) of the resources connected to this node: the caps element each available resource
/// last broadcast (and, through <see cref="FeaturesOfAsync"/>, those of resources on other cluster nodes), and the features behind each verified hash, learnt with one disco#info query per unknown hash and
/// cached by hash for every resource that announces it (§6.2). PEP asks it which resources want <c>node+notify</c>.
/// </summary>
/// <remarks>
/// A hash is cached only when the answer hashes to it (§5.4), so that one client cannot teach the server wrong features
/// for others. Verified hashes are kept in memory and in the <see cref="ICapsStore"/>, so a restarted node, and every
/// other node on the same database, knows them without asking a client again; a store that fails is logged and the
/// client is asked, as without a store.
/// </remarks>
public sealed partial class EntityCapabilities(Router router, ICapsStore store, TimeProvider time, ILogger<EntityCapabilities> logger)
{
    /// <summary>The XEP-0115 namespace.</summary>
    public const string Namespace = "http://jabber.org/protocol/caps";

    /// <summary>How long an unanswered disco#info query blocks asking the same hash again.</summary>
    public static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);

    // Verified hashes are few (one per client version in use); past this many the cache starts over rather than grow
    // without bound, and a hash is simply asked again.
    private const int MaxKnown = 10_000;

    private readonly ConcurrentDictionary<string, FrozenSet<string>> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Query> _queries = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<IClientSession, Caps> _sessions = new();
    private readonly List<CapsDiscoveredHandler> _handlers = [];

    /// <summary>Adds a handler told whenever a resource's features become known (call at start-up only).</summary>
    public void OnDiscovered(CapsDiscoveredHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlers)
        {
            _handlers.Add(handler);
        }
    }

    /// <summary>
    /// The features of any resource in the session table: for one bound here, those of the verified hash its current
    /// presence announced; for one bound on another cluster node (whose node verified and stored its hash), those of the
    /// caps element of its replicated presence, looked up among the hashes verified here or in the store. Null when the
    /// resource announced none or the hash is not verified (yet).
    /// </summary>
    public async ValueTask<IReadOnlySet<string>?> FeaturesOfAsync(IClientSession session, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (_sessions.TryGetValue(session, out var caps))
        {
            return _known.GetValueOrDefault(caps.Key);
        }

        if (session.Presence?.Child("c", Namespace) is not { } c || c.GetAttribute("hash") is not { } algorithm ||
            c.GetAttribute("ver") is not { } ver || !CapsHash.IsSupported(algorithm))
        {
            return null;
        }

        var key = Key(algorithm, ver);
        if (_known.TryGetValue(key, out var features))
        {
            return features;
        }

        return await LoadAsync(algorithm, ver, ct).ConfigureAwait(false) is { } stored ? Remember(key, stored) : null;
    }

    /// <summary>The features behind a hash, or null when the hash is not verified (for tests and diagnostics).</summary>
    public IReadOnlySet<string>? FeaturesOf(string algorithm, string ver) =>
        _known.TryGetValue(Key(algorithm, ver), out var features) ? features : null;

    /// <summary>
    /// Records the caps a local resource broadcast with its available presence and, when the hash is new, asks the
    /// resource for its features (§6.2); when they are known already, tells the handlers at once. Unavailable presence
    /// forgets the resource's caps.
    /// </summary>
    internal async ValueTask PresenceAsync(IClientSession session, Element presence, CancellationToken ct)
    {
        if (presence.GetAttribute("type") is not null)
        {
            _sessions.Remove(session);
            return;
        }

        var c = presence.Child("c", Namespace);
        var algorithm = c?.GetAttribute("hash");
        var ver = c?.GetAttribute("ver");
        var node = c?.GetAttribute("node");
        if (c is null || algorithm is null || ver is null || node is null || !CapsHash.IsSupported(algorithm))
        {
            // §4: a presence without caps keeps the resource's earlier ones; legacy caps (no 'hash') are not verifiable
            // and §8.4 says not to cache them, so such a resource is treated as announcing nothing.
            if (c is not null)
            {
                _sessions.Remove(session);
            }

            return;
        }

        var key = Key(algorithm, ver);
        _sessions.AddOrUpdate(session, new Caps(key));
        if (_known.TryGetValue(key, out var features))
        {
            await TellAsync(session, features, ct).ConfigureAwait(false);
            return;
        }

        if (await LoadAsync(algorithm, ver, ct).ConfigureAwait(false) is { } stored)
        {
            // Verified before, here or on another node (§5.4 caching shared through the database).
            Remember(key, stored);
            await TellAsync(session, stored, ct).ConfigureAwait(false);
            return;
        }

        var created = new Query(NewId(), algorithm, ver, time.GetTimestamp(), [session]);
        var query = _queries.AddOrUpdate(
            key,
            _ => created,
            (_, existing) =>
            {
                if (time.GetElapsedTime(existing.StartedAt) < QueryTimeout)
                {
                    lock (existing.Waiters)
                    {
                        existing.Waiters.Add(session);
                    }

                    return existing;
                }

                return created;
            });
        if (!ReferenceEquals(query, created))
        {
            // Asked already: this resource waits for the same answer.
            return;
        }

        // §6.2: ask the announcing entity itself, from the account's bare JID (the answer comes back to the account,
        // where the inbound hook picks it up by id).
        var iq = new Element("iq", Ns.Client).SetAttribute("type", "get").SetAttribute("id", query.Id);
        iq.AddChild("query", DiscoModule.InfoNamespace).SetAttribute("node", node + "#" + ver);
        Log.Querying(logger, session.Jid, algorithm, ver);
        await router.RouteAsync(iq, session.Jid.Bare, session.Jid).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes the answer to one of this service's disco#info queries: verifies it, caches the hash and tells the handlers
    /// about every resource waiting for it. Returns false for any other stanza.
    /// </summary>
    internal async ValueTask<bool> TryCompleteAsync(Stanza stanza, CancellationToken ct)
    {
        var id = stanza.Element.GetAttribute("id");
        if (stanza.Type is not ("result" or "error") || id is null || !id.StartsWith(IdPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        Query? query = null;
        foreach (var (pending, q) in _queries)
        {
            if (q.Id == id && _queries.TryRemove(new KeyValuePair<string, Query>(pending, q)))
            {
                query = q;
                break;
            }
        }

        if (query is null)
        {
            // An answer to a query that timed out or was never sent: nobody waits for it.
            return true;
        }

        var answer = stanza.Element.Child("query", DiscoModule.InfoNamespace);
        if (stanza.Type == "error" || answer is null)
        {
            Log.QueryFailed(logger, stanza.From, query.Ver);
            return true;
        }

        // §5.4: only an answer that hashes to the announced value is cached and used.
        if (CapsHash.Compute(answer, query.Algorithm) != query.Ver)
        {
            Log.HashMismatch(logger, stanza.From, query.Algorithm, query.Ver);
            return true;
        }

        var features = new HashSet<string>(StringComparer.Ordinal);
        foreach (var feature in answer.Elements())
        {
            if (feature.Name == "feature" && feature.Namespace == DiscoModule.InfoNamespace && feature.GetAttribute("var") is { } name)
            {
                features.Add(name);
            }
        }

        var key = Key(query.Algorithm, query.Ver);
        var frozen = Remember(key, features.ToFrozenSet(StringComparer.Ordinal));
        try
        {
            await store.PutAsync(query.Algorithm, query.Ver, frozen, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Only the sharing is lost: this node keeps the hash in memory, and others ask a client themselves.
            Log.StoreFailed(logger, e, query.Algorithm, query.Ver);
        }
        IClientSession[] waiters;
        lock (query.Waiters)
        {
            waiters = [.. query.Waiters];
        }

        foreach (var session in waiters)
        {
            // Only a resource still available and still announcing this hash.
            if (session.IsAvailable && _sessions.TryGetValue(session, out var caps) && caps.Key == key)
            {
                await TellAsync(session, frozen, ct).ConfigureAwait(false);
            }
        }

        return true;
    }

    private FrozenSet<string> Remember(string key, FrozenSet<string> features)
    {
        if (_known.Count >= MaxKnown)
        {
            _known.Clear();
        }

        _known[key] = features;
        return features;
    }

    /// <summary>The features of a hash verified earlier (by any node), or null when the store has none or cannot be read.</summary>
    private async ValueTask<FrozenSet<string>?> LoadAsync(string algorithm, string ver, CancellationToken ct)
    {
        try
        {
            return await store.GetAsync(algorithm, ver, ct).ConfigureAwait(false) is { } stored
                ? stored.ToFrozenSet(StringComparer.Ordinal)
                : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.StoreFailed(logger, e, algorithm, ver);
            return null;
        }
    }

    private async ValueTask TellAsync(IClientSession session, IReadOnlySet<string> features, CancellationToken ct)
    {
        CapsDiscoveredHandler[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        foreach (var handler in handlers)
        {
            try
            {
                await handler(session, features, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.HandlerFailed(logger, e, session.Jid);
            }
        }
    }

    private const string IdPrefix = "caps-";

    private static string NewId() => IdPrefix + Random.Shared.NextInt64().ToString("x", CultureInfo.InvariantCulture);

    private static string Key(string algorithm, string ver) => algorithm + " " + ver;

    /// <summary>The verified-hash key a resource announced.</summary>
    private sealed record Caps(string Key);

    /// <summary>A disco#info query in flight and the resources waiting for its answer.</summary>
    private sealed record Query(string Id, string Algorithm, string Ver, long StartedAt, HashSet<IClientSession> Waiters);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1150, Level = LogLevel.Debug, Message = "Asking {Jid} for the features of caps {Algorithm} {Ver}")]
        public static partial void Querying(ILogger logger, Jid jid, string algorithm, string ver);

        [LoggerMessage(EventId = 1151, Level = LogLevel.Debug, Message = "Caps query to {Jid} for {Ver} failed")]
        public static partial void QueryFailed(ILogger logger, Jid jid, string ver);

        [LoggerMessage(EventId = 1152, Level = LogLevel.Information, Message = "Features from {Jid} do not hash to the announced caps {Algorithm} {Ver}; not used")]
        public static partial void HashMismatch(ILogger logger, Jid jid, string algorithm, string ver);

        [LoggerMessage(EventId = 1153, Level = LogLevel.Error, Message = "A caps handler failed for {Jid}")]
        public static partial void HandlerFailed(ILogger logger, Exception e, Jid jid);

        [LoggerMessage(EventId = 1160, Level = LogLevel.Warning, Message = "The caps store failed for {Algorithm} {Ver}; using memory and client queries only")]
        public static partial void StoreFailed(ILogger logger, Exception e, string algorithm, string ver);

        // Next free EventId: 1154 (1160-1169 are the links branch's; next there: 1161)
    }
}
