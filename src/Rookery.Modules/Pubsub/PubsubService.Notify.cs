using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
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
    /// had been unsubscribed (§4.5).
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

        foreach (var subscription in subscriptions)
        {
            if (subscription.Pending)
            {
                // §6.1.4: nothing reaches a subscription an owner has not approved.
                continue;
            }

            var affiliation = affiliationOf.GetValueOrDefault(subscription.Account, Affiliation.None);
            var rosterItems = rosterItemsOf?.GetValueOrDefault(subscription.Account);
            if (NodeAccess.RefuseAccess(config, affiliation, rosterItems, approvedSubscriber: true) is null && Jid.TryParse(subscription.Jid, out var to))
            {
                await SendAsync(to, evt.Clone(), config, null);
            }
        }
    }

    /// <summary>§6.1.7: the node's last item to a new subscriber, stamped with its publication time (XEP-0203).</summary>
    private async ValueTask SendLastItemAsync(string node, NodeConfiguration config, Jid subscriber)
    {
        var last = await _nodes.GetItemsAsync(_service, node, 1);
        if (last.Count == 1 && ToElement(node, last[0], config, EventNamespace) is { } item)
        {
            if (!config.DeliverPayloads)
            {
                item.ClearNodes();
            }

            await SendAsync(subscriber, ItemsEvent(node, item), config, last[0].Published);
        }
    }

    /// <summary>One notification from the service, of the node's pubsub#notification_type (headline by default).</summary>
    private ValueTask SendAsync(Jid to, Element evt, NodeConfiguration config, DateTimeOffset? published)
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

        return Router.RouteAsync(message, Domain, to);
    }
}
