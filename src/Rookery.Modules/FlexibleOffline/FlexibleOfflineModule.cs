using System.Globalization;
using Microsoft.Extensions.Logging;
using Rookery.Modules.Disco;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Im;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.FlexibleOffline;

/// <summary>
/// Flexible Offline Message Retrieval (XEP-0013), as ejabberd's <c>mod_offline</c> offers it: over the offline messages
/// the server keeps (XEP-0160), an account's own resource can count them and list their headers (service discovery on
/// the <c>http://jabber.org/protocol/offline</c> node of its bare JID), view or remove some by node, and fetch or purge
/// all of them.
/// </summary>
/// <remarks>
/// Viewing and fetching never remove a message (§2.5): it stays stored until the client removes or purges it. A
/// resource that did any of this is marked on its session (<see cref="IClientSession.FlexibleOffline"/>), so that the
/// server does not flood the account's offline messages at its initial presence, nor at that of another resource while
/// it is connected (§2.2). The mark lasts for the session, moves with it between nodes and is replicated across the
/// cluster; the messages themselves live only in the shared store, so every node sees the same list and node ids. A
/// resource that logs in on another node in the instant before the mark reaches it can still get the flood, which
/// takes each message once (<see cref="IOfflineStore.TakeAsync"/>); the marked resource then finds those nodes gone
/// (item-not-found), never a message delivered twice by the flood. Messages are marked with a XEP-0203 delay rather than
/// the legacy XEP-0091 one §2.4 recommends, which XEP-0203 replaced.
/// </remarks>
[Xep(13, "1.2")]
public sealed partial class FlexibleOfflineModule(
    IOfflineStore store,
    OfflineStorage offline,
    SessionTable sessions,
    ILogger<FlexibleOfflineModule> logger) : IXmppModule
{
    /// <summary>The module's name in <c>DisabledModules</c>.</summary>
    public const string ModuleName = "flexibleoffline";

    /// <summary>The XEP-0013 namespace, which is also the disco node of the offline messages and their form's FORM_TYPE.</summary>
    public const string Namespace = "http://jabber.org/protocol/offline";

    /// <inheritdoc />
    public string Name => ModuleName;

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // §2.1: the feature is announced by the server (its host's disco#info).
        builder.AddFeature(Namespace);
        builder.AddAccountDiscoNode(Namespace, OnNodeAsync);
        // §2.4 and §2.6 are gets (view, fetch), §2.5 and §2.7 sets (remove, purge).
        builder.HandleIq(IqType.Get, IqTarget.Bare, Namespace, "offline", OnGetAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Namespace, "offline", OnSetAsync);
    }

    /// <summary>§2.2 (disco#info: identity, feature and the number of messages) and §2.3 (disco#items: the headers).</summary>
    private async ValueTask OnNodeAsync(IqContext iq, Element query)
    {
        ChooseFlexible(iq);
        var owner = iq.To.Bare;
        if (query.Namespace == DiscoModule.InfoNamespace)
        {
            var count = await store.CountAsync(owner.ToString(), iq.Cancellation).ConfigureAwait(false);
            query.AddChild("identity").SetAttribute("category", "automation").SetAttribute("type", "message-list");
            query.AddChild("feature").SetAttribute("var", Namespace);
            // XEP-0128 extended information: the number of messages (§2.2).
            var form = query.AddChild("x", DiscoModule.DataFormsNamespace).SetAttribute("type", "result");
            form.AddChild("field").SetAttribute("var", "FORM_TYPE").SetAttribute("type", "hidden").AddChild("value").AddText(Namespace);
            form.AddChild("field").SetAttribute("var", "number_of_messages").AddChild("value").AddText(count.ToString(CultureInfo.InvariantCulture));
            return;
        }

        // §2.3: jid is the account, node the message's id, name the sender's full JID as the message had it.
        foreach (var stored in await store.PeekAsync(owner.ToString(), iq.Cancellation).ConfigureAwait(false))
        {
            if (offline.Restore(stored, owner) is not { } message)
            {
                continue;
            }

            var item = query.AddChild("item").SetAttribute("jid", owner.ToString()).SetAttribute("node", OfflineNode.From(stored.Id));
            if (message.GetAttribute("from") is { } from)
            {
                item.SetAttribute("name", from);
            }
        }
    }

    /// <summary>§2.4 (view the messages of some nodes) and §2.6 (fetch all of them).</summary>
    private async ValueTask<IqResult> OnGetAsync(IqContext iq)
    {
        var session = ChooseFlexible(iq);
        var (nodes, fetch, purge) = ReadCommand(iq.Payload, "view");
        if (purge || fetch == (nodes.Count > 0))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A get carries either <fetch/> or items with action='view'");
        }

        return await SendAsync(iq, session, nodes, fetch).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the messages of <paramref name="nodes"/>, or all of them when <paramref name="fetch"/>, to the session, each
    /// marked with its node; removes none of them (§2.5).
    /// </summary>
    private async ValueTask<IqResult> SendAsync(IqContext iq, ILocalClientSession session, List<long> nodes, bool fetch)
    {
        var owner = iq.To.Bare;
        var account = owner.ToString();
        var stored = await store.PeekAsync(account, iq.Cancellation).ConfigureAwait(false);
        IEnumerable<StoredOfflineMessage> chosen = stored;
        if (!fetch)
        {
            var byId = stored.ToDictionary(m => m.Id);
            var picked = new List<StoredOfflineMessage>(nodes.Count);
            foreach (var id in nodes)
            {
                // §2.4: a node that does not exist is item-not-found; nothing is sent then, so that the client can retry.
                picked.Add(byId.TryGetValue(id, out var m) ? m : throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No offline message has that node"));
            }

            chosen = picked;
        }

        var sent = 0;
        foreach (var m in chosen)
        {
            if (offline.Restore(m, owner) is not { } message)
            {
                continue;
            }

            // §2.4: each message names its node. Sent on the session itself, before the result (which follows on the
            // same stream), not routed: it is a copy of stored mail, not a new message to archive or carbon.
            message.RemoveAll("offline", Namespace);
            message.AddChild("offline", Namespace).AddChild("item").SetAttribute("node", OfflineNode.From(m.Id));
            if (!session.Send(message))
            {
                break;
            }

            sent++;
        }

        Log.Viewed(logger, account, sent, fetch);
        return IqResult.Empty;
    }

    /// <summary>§2.5 (remove the messages of some nodes) and §2.7 (purge all of them); a fetch sent as a set is served too.</summary>
    private async ValueTask<IqResult> OnSetAsync(IqContext iq)
    {
        var session = ChooseFlexible(iq);
        var (nodes, fetch, purge) = ReadCommand(iq.Payload, "remove");
        if (fetch && !purge && nodes.Count == 0)
        {
            // COMPAT: slixmpp's xep_0013 plugin sends <fetch/> in a set, where §2.6 has a get; nothing else reads it so.
            return await SendAsync(iq, session, nodes, fetch: true).ConfigureAwait(false);
        }

        if (fetch || purge == (nodes.Count > 0))
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A set carries either <purge/> or items with action='remove'");
        }

        var owner = iq.To.Bare.ToString();
        var stored = await store.PeekAsync(owner, iq.Cancellation).ConfigureAwait(false);
        List<long> ids;
        if (purge)
        {
            ids = stored.Select(m => m.Id).ToList();
        }
        else
        {
            var known = stored.Select(m => m.Id).ToHashSet();
            foreach (var id in nodes)
            {
                // §2.5: every node must exist; nothing is removed otherwise.
                if (!known.Contains(id))
                {
                    throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No offline message has that node");
                }
            }

            ids = [.. nodes];
        }

        // By id, so that a message stored after the peek is not purged unseen. Another resource removing the same ones
        // meanwhile is harmless: removal by id is idempotent.
        await store.RemoveAsync(owner, ids, iq.Cancellation).ConfigureAwait(false);
        Log.Removed(logger, owner, ids.Count, purge);
        return IqResult.Empty;
    }

    /// <summary>
    /// The requesting resource of the account itself, now marked as one that chose flexible retrieval (§2.2, §2.6: no
    /// flood at its initial presence). Anyone else is refused with forbidden (§2.3, §2.4: "a JID other than an
    /// authorized resource of the user").
    /// </summary>
    private ILocalClientSession ChooseFlexible(IqContext iq)
    {
        if (!iq.IsSelf || iq.Session is not ILocalClientSession session)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden, "Only the account's own resources may retrieve its offline messages");
        }

        if (!session.FlexibleOffline)
        {
            session.MarkFlexibleOffline();
            // Replicated (SESSION_UP), so that a resource of the account on another node is not flooded either.
            sessions.Changed(session);
        }

        return session;
    }

    /// <summary>
    /// Reads an &lt;offline/&gt; command: the message ids of its items (each with <paramref name="action"/>, in order,
    /// without repeats) and whether it holds &lt;fetch/&gt; or &lt;purge/&gt;. Malformed items are bad-request; a node
    /// this server never handed out is item-not-found, as for a message already removed.
    /// </summary>
    private static (List<long> Nodes, bool Fetch, bool Purge) ReadCommand(Element payload, string action)
    {
        var nodes = new List<long>();
        bool fetch = false, purge = false;
        foreach (var child in payload.Elements())
        {
            if (child.Namespace != Namespace)
            {
                continue;
            }

            switch (child.Name)
            {
                case "fetch":
                    fetch = true;
                    break;
                case "purge":
                    purge = true;
                    break;
                case "item":
                    if (child.GetAttribute("action") != action || child.GetAttribute("node") is not { } node)
                    {
                        throw new StanzaErrorException(StanzaErrorCondition.BadRequest, $"Each item needs action='{action}' and a node");
                    }

                    if (!OfflineNode.TryParse(node, out var id))
                    {
                        throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No offline message has that node");
                    }

                    if (!nodes.Contains(id))
                    {
                        nodes.Add(id);
                    }

                    break;
            }
        }

        return (nodes, fetch, purge);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5550, Level = LogLevel.Debug, Message = "Sent {Count} offline messages of {Owner} on request (fetch: {Fetch})")]
        public static partial void Viewed(ILogger logger, string owner, int count, bool fetch);

        [LoggerMessage(EventId = 5551, Level = LogLevel.Debug, Message = "Removed {Count} offline messages of {Owner} on request (purge: {Purge})")]
        public static partial void Removed(ILogger logger, string owner, int count, bool purge);

        // Next free EventId: 5552 (range 5550-5559)
    }
}
