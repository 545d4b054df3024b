using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Pep;

/// <content>
/// Notifications (XEP-0163 §4.3): to the owner's available resources and to the available resources of contacts with
/// a presence subscription whose caps ask for <c>node+notify</c> (§4.2 filtered notifications), and the last published
/// item to a resource that shows such interest for the first time (§4.3.4).
/// </content>
public sealed partial class PepModule
{
    private const string DelayNamespace = "urn:xmpp:delay";

    /// <summary><c>&lt;event&gt;&lt;items node='…'&gt;child&lt;/items&gt;&lt;/event&gt;</c> (XEP-0060 §7.1.2.1, §7.2.2.1).</summary>
    private static Element ItemsEvent(string node, Element child)
    {
        var evt = new Element("event", EventNamespace);
        evt.AddChild("items").SetAttribute("node", node).Add(child);
        return evt;
    }

    /// <summary>
    /// Sends an event of the owner's node to every interested resource allowed to see it: the owner's own, then those
    /// of contacts with a 'from' or 'both' subscription (§4.3.1: one notification per resource, to its full JID).
    /// </summary>
    private async ValueTask NotifyAsync(Jid owner, string node, NodeConfig config, Element evt, CancellationToken ct)
    {
        var feature = node + NotifySuffix;
        foreach (var session in sessions.Sessions(owner))
        {
            if (await WantsAsync(session, feature, ct).ConfigureAwait(false))
            {
                await SendAsync(owner, session.Jid, evt.Clone(), null).ConfigureAwait(false);
            }
        }

        if (config.Access == AccessModel.Whitelist)
        {
            return;
        }

        var roster = await rosters.GetAsync(owner.ToString(), ct).ConfigureAwait(false);
        foreach (var item in roster.Items)
        {
            // Contacts with a presence subscription only (§4.1), whatever the access model: open nodes are retrievable
            // by anyone, but PEP sends notifications only to those who see the owner's presence.
            if ((item.Subscription & Subscription.From) == 0 || !Allows(config, item) || !Jid.TryParse(item.Contact, out var contact))
            {
                continue;
            }

            foreach (var session in sessions.Sessions(contact))
            {
                if (await WantsAsync(session, feature, ct).ConfigureAwait(false))
                {
                    await SendAsync(owner, session.Jid, evt.Clone(), null).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Whether an available resource's caps ask for <paramref name="feature"/>; the session table holds the resources of
    /// every cluster node, and a remote one's caps come from its replicated presence (verified by its own node).
    /// </summary>
    private async ValueTask<bool> WantsAsync(IClientSession session, string feature, CancellationToken ct) =>
        session.IsAvailable && await capabilities.FeaturesOfAsync(session, ct).ConfigureAwait(false) is { } features && features.Contains(feature);

    /// <summary>
    /// §4.3.4: a resource whose caps now ask for the notifications of some nodes gets the last item of each such node of
    /// its own account and of every contact whose presence it may see, once per node for the life of the session.
    /// </summary>
    private async ValueTask OnCapsDiscoveredAsync(IClientSession session, IReadOnlySet<string> features, CancellationToken ct)
    {
        List<string>? fresh = null;
        var served = _served.GetOrCreateValue(session);
        lock (served)
        {
            foreach (var feature in features)
            {
                if (feature.Length > NotifySuffix.Length && feature.EndsWith(NotifySuffix, StringComparison.Ordinal) &&
                    served.Add(feature[..^NotifySuffix.Length]))
                {
                    (fresh ??= []).Add(feature[..^NotifySuffix.Length]);
                }
            }
        }

        if (fresh is null)
        {
            return;
        }

        var account = session.Jid.Bare;
        await SendLastItemsAsync(account, session, fresh, null, ct).ConfigureAwait(false);

        // The contacts whose presence the account receives ('to' or 'both' here, 'from' or 'both' in their rosters).
        var roster = await rosters.GetAsync(account.ToString(), ct).ConfigureAwait(false);
        foreach (var item in roster.Items)
        {
            if ((item.Subscription & Subscription.To) == 0 || !Jid.TryParse(item.Contact, out var contact) ||
                contact.Local is null || !hosts.IsLocal(contact.Domain))
            {
                continue;
            }

            // Their roster decides (the access model may need its groups), not ours.
            var entry = await rosters.GetItemAsync(contact.ToString(), account.ToString(), ct).ConfigureAwait(false);
            if (entry is not null && (entry.Subscription & Subscription.From) != 0)
            {
                await SendLastItemsAsync(contact, session, fresh, entry, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends the last item of each wanted node of <paramref name="owner"/> that <paramref name="contact"/> may see (null: the owner's own resource).</summary>
    private async ValueTask SendLastItemsAsync(Jid owner, IClientSession session, List<string> wanted, RosterItem? contact, CancellationToken ct)
    {
        var nodes = await store.GetNodesAsync(owner.ToString(), ct).ConfigureAwait(false);
        foreach (var node in nodes)
        {
            if (!wanted.Contains(node.Name))
            {
                continue;
            }

            var config = NodeConfig.FromStored(node.Config);
            if (!config.SendsLastOnPresence || (contact is not null && !Allows(config, contact)))
            {
                continue;
            }

            var last = await store.GetItemsAsync(owner.ToString(), node.Name, 1, ct).ConfigureAwait(false);
            if (last.Count == 1 && ToElement(owner, node.Name, last[0], EventNamespace) is { } item)
            {
                await SendAsync(owner, session.Jid, ItemsEvent(node.Name, item), last[0].Published).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Sends one notification from the owner's bare JID (§4.3.1) as a headline message, which is neither stored offline
    /// nor archived; a last published item carries its publication time (XEP-0203).
    /// </summary>
    private ValueTask SendAsync(Jid owner, Jid to, Element evt, DateTimeOffset? published)
    {
        var message = new Element("message", Ns.Client)
            .SetAttribute("type", "headline")
            .SetAttribute("id", "pep-" + Random.Shared.NextInt64().ToString("x", CultureInfo.InvariantCulture));
        message.Add(evt);
        if (published is { } stamp)
        {
            message.AddChild("delay", DelayNamespace)
                .SetAttribute("from", owner.ToString())
                .SetAttribute("stamp", stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }

        return router.RouteAsync(message, owner, to);
    }
}
