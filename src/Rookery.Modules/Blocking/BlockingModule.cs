using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Hosts;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Modules.Blocking;

/// <summary>
/// Blocking Command (XEP-0191): a user keeps a list of JIDs whose stanzas never reach the user and to which the user's
/// stanzas are never routed. The lists are read with the block list request and changed with block and unblock
/// commands, which are pushed to every resource that read the list; stanza hooks enforce them in both directions.
/// Each list in use is cached in memory and replaced on every change, so enforcement reads no storage per stanza.
/// </summary>
/// <remarks>
/// A block item may carry a XEP-0377 report (spam or abuse, with text and the stanza IDs of archived messages): the JID
/// is blocked as usual and the report goes to the operator's log, on the node that handled the command.
/// The cache is per node. A change made through another node of a cluster arrives as an <see cref="AccountChanges"/>
/// topic: the entry is dropped and the account's interested resources here get the push, so a block takes effect on
/// every node at once. A change it cannot see (the account deleted from the command line) takes effect when the entry
/// is next read from storage: when a resource of the account requests the list, or at the latest
/// <see cref="CacheLifetime"/> after the entry was loaded.
/// </remarks>
[Xep(191, "1.3")]
[Xep(377, "0.4.1", XepStatus.Partial, Note = "Reports are written to the log (EventId 5680) for the operator, not stored or forwarded; the report-origin and third-party opt-ins are logged but never acted upon")]
public sealed partial class BlockingModule(
    IBlockListStore store,
    IRosterStore rosters,
    SessionTable sessions,
    HostRegistry hosts,
    Router router,
    AccountChanges changes,
    TimeProvider time,
    IOptions<BlockingOptions> options,
    ILogger<BlockingModule> logger) : IXmppModule, IDisposable
{
    /// <summary>The XEP-0191 namespace.</summary>
    public const string Namespace = "urn:xmpp:blocking";

    /// <summary>The namespace of the <c>&lt;blocked/&gt;</c> application error condition.</summary>
    public const string ErrorsNamespace = "urn:xmpp:blocking:errors";

    /// <summary>
    /// The priority of the blocking hooks: above every module that stores, copies or answers a stanza (archiving,
    /// carbons), so that a blocked stanza is stopped before any of them sees it.
    /// </summary>
    public const int HookPriority = 1000;

    /// <summary>How long a cached list is used before it is read from storage again.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(5);

    // Lists are cached for every account a stanza was checked for; past this many the cache starts over rather than
    // grow without bound (an entry is reloaded from storage the next time it is needed).
    private const int MaxCachedLists = 100_000;

    private static readonly object Marker = new();

    private readonly int _maxItems = options.Value.MaxItems;
    private readonly ConcurrentDictionary<Jid, (BlockList List, long LoadedAt)> _lists = new();
    private readonly StripedLock _locks = new();

    // Counts the changes other nodes announced: a read from storage that overlapped one may have returned the list
    // before that change, so it is used but not kept in the cache.
    private long _remoteChanges;

    // Resources that requested the block list and therefore get pushes (XEP-0191 §3.3); weak, so an ended session
    // leaves nothing behind.
    private readonly ConditionalWeakTable<IClientSession, object> _interested = new();

    /// <inheritdoc />
    public string Name => "blocking";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddFeature(Namespace);
        builder.AddFeature(BlockReport.Namespace);
        builder.HandleIq(IqType.Get, IqTarget.Bare, Namespace, "blocklist", GetAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "block", BlockAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "unblock", UnblockAsync);
        builder.Hook(HookPoint.Inbound, HookPriority, OnInboundAsync);
        builder.Hook(HookPoint.Outbound, HookPriority, OnOutboundAsync);
        changes.Subscribe(Name, OnChangedElsewhere);
    }

    /// <inheritdoc />
    public void Dispose() => _locks.Dispose();

    private async ValueTask<IqResult> GetAsync(IqContext iq)
    {
        // §3.2: the request has no 'to'; only the user's own resources may read the list.
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        // Marked before reading, so that a change made meanwhile is in the answer, in a push, or in both.
        if (iq.Session is { } session)
        {
            _interested.AddOrUpdate(session, Marker);
        }

        // Read from storage, not the cache: clients ask once per session, and an account deleted and created again
        // must never be shown (or keep) the old account's list.
        var owner = iq.From.Bare;
        BlockList list;
        using (await _locks.AcquireAsync(owner, iq.Cancellation).ConfigureAwait(false))
        {
            list = await ReadAsync(owner, iq.Cancellation).ConfigureAwait(false);
        }

        return IqResult.With(Payload("blocklist", list.Items));
    }

    private async ValueTask<IqResult> BlockAsync(IqContext iq)
    {
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        var jids = ParseItems(iq.Payload);
        // §3.3: a block with no item is a bad request.
        if (jids.Count == 0)
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A block command needs at least one item");
        }

        // XEP-0377: reports ride on the items; a bad one refuses the whole command before anything is blocked.
        var reports = BlockReport.ParseAll(iq.Payload);

        var owner = iq.From.Bare;
        BlockList before;
        BlockList after;
        using (await _locks.AcquireAsync(owner, iq.Cancellation).ConfigureAwait(false))
        {
            before = await ReadAsync(owner, iq.Cancellation).ConfigureAwait(false);
            var count = before.Items.Count;
            foreach (var jid in jids)
            {
                if (!before.Contains(jid))
                {
                    count++;
                }
            }

            if (count > _maxItems)
            {
                throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"A block list holds at most {_maxItems} JIDs");
            }

            await store.AddAsync(owner.ToString(), Texts(jids), iq.Cancellation).ConfigureAwait(false);
            after = await ReadAsync(owner, iq.Cancellation).ConfigureAwait(false);
            // Pushed and published under the lock, so that concurrent commands are pushed in the order they were stored.
            Push(owner, Payload("block", jids));
            changes.Publish(Name, owner, Detail("block", jids));
        }

        // Outside the lock: routing runs other accounts' hooks, which may need a lock of the same stripe.
        await AnnounceBlockAsync(iq.Session as ILocalClientSession, owner, before, after, iq.Cancellation).ConfigureAwait(false);
        // Logged once the block is stored: a report is only accepted together with its block (XEP-0377 §6).
        foreach (var report in reports)
        {
            LogReport(iq.From, report);
        }

        return IqResult.Empty;
    }

    private async ValueTask<IqResult> UnblockAsync(IqContext iq)
    {
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        var jids = ParseItems(iq.Payload);
        var owner = iq.From.Bare;
        BlockList before;
        BlockList after;
        using (await _locks.AcquireAsync(owner, iq.Cancellation).ConfigureAwait(false))
        {
            before = await ReadAsync(owner, iq.Cancellation).ConfigureAwait(false);
            // §3.5: an unblock with no item unblocks everything.
            if (jids.Count == 0)
            {
                await store.ClearAsync(owner.ToString(), iq.Cancellation).ConfigureAwait(false);
            }
            else
            {
                await store.RemoveAsync(owner.ToString(), Texts(jids), iq.Cancellation).ConfigureAwait(false);
            }

            after = await ReadAsync(owner, iq.Cancellation).ConfigureAwait(false);
            Push(owner, Payload("unblock", jids));
            changes.Publish(Name, owner, Detail("unblock", jids));
        }

        await AnnounceUnblockAsync(owner, before, after, iq.Cancellation).ConfigureAwait(false);
        return IqResult.Empty;
    }

    /// <summary>The distinct JIDs of the <c>&lt;item/&gt;</c> children, prepared; an unusable one fails the whole command.</summary>
    private static List<Jid> ParseItems(Element payload)
    {
        var jids = new List<Jid>();
        foreach (var child in payload.Elements())
        {
            if (child.Name != "item" || child.Namespace != Namespace)
            {
                continue;
            }

            var text = child.GetAttribute("jid")
                ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "An item needs a 'jid' attribute");
            if (!Jid.TryParse(text, out var jid))
            {
                throw new StanzaErrorException(StanzaErrorCondition.JidMalformed, $"'{text}' is not a valid JID");
            }

            if (!jids.Contains(jid))
            {
                jids.Add(jid);
            }
        }

        return jids;
    }

    private static string[] Texts(List<Jid> jids)
    {
        var texts = new string[jids.Count];
        for (var i = 0; i < texts.Length; i++)
        {
            texts[i] = jids[i].ToString();
        }

        return texts;
    }

    private static Element Payload(string name, IEnumerable<Jid> jids)
    {
        var payload = new Element(name, Namespace);
        foreach (var jid in jids)
        {
            payload.AddChild("item").SetAttribute("jid", jid.ToString());
        }

        return payload;
    }

    /// <summary>What another node needs to push a command to its own resources: the command's name, then one JID per line.</summary>
    private static string Detail(string command, List<Jid> jids) =>
        jids.Count == 0 ? command : command + "\n" + string.Join('\n', Texts(jids));

    /// <summary>
    /// Another node changed an account's list (or, with no account, a link came up after changes may have been missed):
    /// the cached copy goes, and this node's resources of the account that requested the list get the push.
    /// </summary>
    private void OnChangedElsewhere(Jid? owner, string detail)
    {
        Interlocked.Increment(ref _remoteChanges);
        if (owner is null)
        {
            _lists.Clear();
            return;
        }

        _lists.TryRemove(owner, out _);
        var lines = detail.Split('\n');
        if (lines[0] is not ("block" or "unblock"))
        {
            return;
        }

        var jids = new List<Jid>(lines.Length - 1);
        foreach (var line in lines.AsSpan(1))
        {
            if (Jid.TryParse(line, out var jid))
            {
                jids.Add(jid);
            }
        }

        Push(owner, Payload(lines[0], jids));
    }

    /// <summary>
    /// Sends a block or unblock push (§3.3, §3.4, §3.5) to every resource of the account that requested the list; in a
    /// cluster each node pushes to its own resources (their interest is recorded only there), so this node's part is the
    /// local ones and the other nodes do theirs when the change reaches them.
    /// </summary>
    private void Push(Jid owner, Element payload)
    {
        var from = owner.ToString();
        foreach (var session in sessions.Sessions(owner))
        {
            if (!_interested.TryGetValue(session, out _))
            {
                continue;
            }

            var iq = new Element("iq", Ns.Client)
                .SetAttribute("type", "set")
                .SetAttribute("id", "push" + Random.Shared.NextInt64().ToString("x", CultureInfo.InvariantCulture))
                .SetAttribute("from", from)
                .SetAttribute("to", session.Jid.ToString());
            iq.Add(payload.Clone());
            session.Send(iq);
        }
    }

    /// <summary>The block list of an account: from the cache, else read from storage and cached.</summary>
    private ValueTask<BlockList> ListAsync(Jid owner, CancellationToken ct) =>
        TryGetCached(owner, out var list) ? ValueTask.FromResult(list) : new ValueTask<BlockList>(LoadAsync(owner, ct));

    private async Task<BlockList> LoadAsync(Jid owner, CancellationToken ct)
    {
        // Under the owner's lock, like every change, so a read that raced a change can never cache the older list.
        using (await _locks.AcquireAsync(owner, ct).ConfigureAwait(false))
        {
            return TryGetCached(owner, out var list) ? list : await ReadAsync(owner, ct).ConfigureAwait(false);
        }
    }

    private bool TryGetCached(Jid owner, out BlockList list)
    {
        if (_lists.TryGetValue(owner, out var entry) && time.GetElapsedTime(entry.LoadedAt) < CacheLifetime)
        {
            list = entry.List;
            return true;
        }

        list = BlockList.Empty;
        return false;
    }

    /// <summary>Reads the stored list and caches it. The caller holds the owner's lock.</summary>
    private async Task<BlockList> ReadAsync(Jid owner, CancellationToken ct)
    {
        var changesBefore = Interlocked.Read(ref _remoteChanges);
        var stored = await store.GetAsync(owner.ToString(), ct).ConfigureAwait(false);
        var list = BlockList.Empty;
        if (stored.Count > 0)
        {
            var items = new List<Jid>(stored.Count);
            foreach (var text in stored)
            {
                // Only prepared JIDs are ever stored; anything else cannot match and is left out.
                if (Jid.TryParse(text, out var jid))
                {
                    items.Add(jid);
                }
            }

            list = new BlockList(items);
        }

        if (_lists.Count >= MaxCachedLists)
        {
            _lists.Clear();
        }

        _lists[owner] = (list, time.GetTimestamp());
        // Checked after caching: a change announced from here on removes the entry itself (it counts, then removes).
        if (Interlocked.Read(ref _remoteChanges) != changesBefore)
        {
            _lists.TryRemove(owner, out _);
        }

        return list;
    }
}
