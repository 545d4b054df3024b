using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <content>
/// Event notifications (XEP-0060 §7.1.2, §7.2.2, §8.2.5, §8.4.2, §8.5.2) and the last published item on
/// subscription (§6.1.7): one message from the service to each subscribed JID, handed to the router, which delivers
/// it on this node, through the node that holds the session in a cluster, or over a server-to-server stream.
/// </content>
public sealed partial class PubsubService
{
    private const string DelayNamespace = "urn:xmpp:delay";
    private const string ShimNamespace = "http://jabber.org/protocol/shim";

    /// <summary><c>&lt;event&gt;&lt;items node='…'&gt;child&lt;/items&gt;&lt;/event&gt;</c>.</summary>
    private static Element ItemsEvent(string node, Element child)
    {
        var evt = new Element("event", EventNamespace);
        evt.AddChild("items").SetAttribute("node", node).Add(child);
        return evt;
    }

    /// <summary>Sends an event of the node to its current subscribers.</summary>
    private async ValueTask NotifySubscribersAsync(string node, NodeConfiguration config, Element evt)
    {
        var subscriptions = await _members.GetSubscriptionsAsync(_service, node);
        if (subscriptions.Count == 0)
        {
            return;
        }

        await NotifyAsync(subscriptions, await _members.GetAffiliationsAsync(_service, node), config, evt);
    }

    /// <summary>
    /// Sends an event to each subscription whose subscriber may still access the node: an affiliation changed since it
    /// subscribed (say, taken off a whitelist), or under the presence and roster models an owner's roster changed (the
    /// presence subscription cancelled, the contact moved out of the allowed groups), ends its notifications, as if it
    /// had been unsubscribed (§4.5). Each subscription's options (§6.3) then decide whether and where it delivers.
    /// </summary>
    private async ValueTask NotifyAsync(IReadOnlyList<PubsubSubscription> subscriptions, IReadOnlyList<PubsubAffiliation> affiliations, NodeConfiguration config, Element evt)
    {
        var affiliationOf = new Dictionary<string, Affiliation>(StringComparer.Ordinal);
        foreach (var affiliation in affiliations)
        {
            if (Affiliations.TryParse(affiliation.Affiliation, out var known))
            {
                affiliationOf[affiliation.Jid] = known;
            }
        }

        // One read of each owner's roster for the whole notification, not one per subscriber.
        Dictionary<string, List<RosterItem>>? rosterItemsOf = null;
        if (config.Access is AccessModel.Presence or AccessModel.Roster)
        {
            rosterItemsOf = new Dictionary<string, List<RosterItem>>(StringComparer.Ordinal);
            foreach (var owner in OwnersIn(affiliations))
            {
                foreach (var item in (await _rosters.GetAsync(owner)).Items)
                {
                    if (!rosterItemsOf.TryGetValue(item.Contact, out var items))
                    {
                        rosterItemsOf[item.Contact] = items = [];
                    }

                    items.Add(item);
                }
            }
        }

        // The subscriptions of one JID are notified together (§6.1.6): one message, whose SubID headers name those that
        // generated it when the JID holds several, rather than one copy per subscription.
        var byJid = new Dictionary<string, List<PubsubSubscription>>(StringComparer.Ordinal);
        foreach (var subscription in subscriptions)
        {
            if (!byJid.TryGetValue(subscription.Jid, out var held))
            {
                byJid[subscription.Jid] = held = [];
            }

            held.Add(subscription);
        }

        foreach (var (jid, held) in byJid)
        {
            if (!Jid.TryParse(jid, out var to))
            {
                continue;
            }

            var delivering = new List<(string SubId, SubscriptionOptions Options)>();
            foreach (var subscription in held)
            {
                // §6.1.4: nothing reaches a subscription an owner has not approved.
                if (subscription.Pending)
                {
                    continue;
                }

                var affiliation = affiliationOf.GetValueOrDefault(subscription.Account, Affiliation.None);
                var rosterItems = rosterItemsOf?.GetValueOrDefault(subscription.Account);
                if (NodeAccess.RefuseAccess(config, affiliation, rosterItems, approvedSubscriber: true) is null)
                {
                    delivering.Add((subscription.SubId, SubscriptionOptions.FromStored(subscription.Options)));
                }
            }

            await DeliverAsync(to, delivering, held.Count > 1, evt, config, null);
        }
    }

    /// <summary>§6.1.7: the node's last item to a new subscription, stamped with its publication time (XEP-0203).</summary>
    private async ValueTask SendLastItemAsync(string node, NodeConfiguration config, PubsubSubscription subscription, bool severalHeld)
    {
        var last = await _nodes.GetItemsAsync(_service, node, 1);
        if (last.Count == 1 && ToElement(node, last[0], config, EventNamespace) is { } item && Jid.TryParse(subscription.Jid, out var to))
        {
            if (!config.DeliverPayloads)
            {
                item.ClearNodes();
            }

            await DeliverAsync(to, [(subscription.SubId, SubscriptionOptions.FromStored(subscription.Options))], severalHeld, ItemsEvent(node, item), config, last[0].Published);
        }
    }

    /// <summary>
    /// Sends an event to a subscribed JID as the options of its subscriptions allow (§6.3): none whose
    /// <c>pubsub#deliver</c> is false, and under <c>pubsub#show-values</c> only to its resources (a full JID's own, or a
    /// bare JID's available ones, on any cluster node) whose presence has one of the shows. A subscription without a
    /// presence condition has the event go to the subscribed JID itself, as ever.
    /// </summary>
    private async ValueTask DeliverAsync(Jid to, List<(string SubId, SubscriptionOptions Options)> subscriptions, bool withSubIds, Element evt, NodeConfiguration config, DateTimeOffset? published)
    {
        List<string>? unconditional = null;
        Dictionary<Jid, List<string>>? byResource = null;
        foreach (var (subId, options) in subscriptions)
        {
            if (!options.Deliver)
            {
                continue;
            }

            if (options.ShowValues is null)
            {
                (unconditional ??= []).Add(subId);
                continue;
            }

            foreach (var resource in ResourcesShowing(to, options))
            {
                byResource ??= [];
                if (!byResource.TryGetValue(resource, out var ids))
                {
                    byResource[resource] = ids = [];
                }

                ids.Add(subId);
            }
        }

        if (unconditional is not null)
        {
            // The JID gets it anyway: one message, naming every subscription that would have sent it.
            if (byResource is not null)
            {
                foreach (var ids in byResource.Values)
                {
                    unconditional.AddRange(ids.Where(id => !unconditional.Contains(id, StringComparer.Ordinal)));
                }
            }

            await SendAsync(to, evt.Clone(), config, published, withSubIds ? unconditional : null);
            return;
        }

        foreach (var (resource, ids) in byResource ?? [])
        {
            await SendAsync(resource, evt.Clone(), config, published, withSubIds ? ids : null);
        }
    }

    /// <summary>The available resources of a subscribed JID (itself when full) whose presence the options accept.</summary>
    private IEnumerable<Jid> ResourcesShowing(Jid subscriber, SubscriptionOptions options)
    {
        IClientSession[] sessions = subscriber.IsBare
            ? _sessions.Sessions(subscriber)
            : _sessions.Find(subscriber) is { } one ? [one] : [];
        foreach (var session in sessions)
        {
            if (session.IsAvailable && session.Presence is { } presence && options.AcceptsShow(presence.ChildText("show", presence.Namespace)))
            {
                yield return session.Jid;
            }
        }
    }

    /// <summary>One notification from the service, of the node's pubsub#notification_type (headline by default).</summary>
    private ValueTask SendAsync(Jid to, Element evt, NodeConfiguration config, DateTimeOffset? published, IReadOnlyList<string>? subIds)
    {
        var message = new Element("message", Ns.Client)
            .SetAttribute("type", config.NotificationType)
            .SetAttribute("id", "pubsub-" + Random.Shared.NextInt64().ToString("x", CultureInfo.InvariantCulture));
        message.Add(evt);
        if (published is { } stamp)
        {
            message.AddChild("delay", DelayNamespace)
                .SetAttribute("from", _service)
                .SetAttribute("stamp", stamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }

        if (subIds is not null)
        {
            // §6.1.6, §7.1.2: the subscriptions that generated the notification, as SHIM headers (XEP-0131).
            var headers = message.AddChild("headers", ShimNamespace);
            foreach (var subId in subIds)
            {
                headers.AddChild("header").SetAttribute("name", "SubID").AddText(subId);
            }
        }

        return Router.RouteAsync(message, Domain, to);
    }
}
