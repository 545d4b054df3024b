using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <content>
/// Subscribing (XEP-0060 §6.1) and unsubscribing (§6.2), and an entity's own subscriptions (§5.6) and affiliations
/// (§5.7). A JID holds at most one subscription to a node (multi-subscribe, §6.1.6, is not implemented), so
/// notifications never need SubID headers; a bare JID and each full JID are distinct subscribers. On a node of the
/// authorize access model the subscription of an unaffiliated entity is pending until an owner approves it (§8.8.2).
/// </content>
public sealed partial class PubsubService
{
    private async ValueTask<Outcome> SubscribeAsync(Jid from, Element subscribe, Element? options)
    {
        var node = NodeOf(subscribe);
        var jid = SubscriberJid(subscribe);
        if (jid.Bare != from.Bare)
        {
            // §6.1.3: only the requester's own bare JID or one of its full JIDs may be subscribed.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-jid", "The JID to subscribe is not the requester's");
        }

        if (options?.Child("x", DataForms.DataForm.Namespace) is not null)
        {
            // §6.3: subscription options are not implemented.
            throw PubsubErrors.Unsupported("subscription-options");
        }

        var config = await ConfigOfAsync(node);
        // §6.1.4: on an authorize node, an unaffiliated entity's subscription waits for an owner's approval (§8.8.2);
        // affiliates pass every access model (§4.1) and are subscribed at once.
        var needsApproval = config.Access == AccessModel.Authorize && await AffiliationOfAsync(node, jid) == Affiliation.None;
        if (!needsApproval)
        {
            await RequireAccessAsync(node, config, jid);
        }

        if (await SubscriptionOfAsync(node, jid) is { Pending: true })
        {
            // §6.1.3.7.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.NotAuthorized, "pending-subscription");
        }

        var subscription = await _members.SubscribeAsync(_service, new PubsubSubscription(node, jid.ToString(), Guid.NewGuid().ToString("N"), needsApproval))
            ?? throw PubsubErrors.NoSuchNode();

        var result = new Element("pubsub", Namespace);
        result.Add(SubscriptionElement(subscription, Namespace, withNode: true));
        // §6.1.7: the last published item follows the result (on the same route, so it arrives after it), once approved.
        return config.SendsLastOnSubscribe && !subscription.Pending ? new Outcome(result, () => SendLastItemAsync(node, config, jid)) : result;
    }

    private async ValueTask<Outcome> UnsubscribeAsync(Jid from, Element unsubscribe)
    {
        var node = NodeOf(unsubscribe);
        var jid = SubscriberJid(unsubscribe);
        if (jid.Bare != from.Bare)
        {
            // §6.2.3: another entity's subscription.
            throw PubsubErrors.Forbidden("The subscription is not the requester's");
        }

        await RequireNodeAsync(node);
        var subscription = await SubscriptionOfAsync(node, jid);
        if (subscription is null)
        {
            // §6.2.3.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.UnexpectedRequest, "not-subscribed");
        }

        if (unsubscribe.GetAttribute("subid") is { } subId && subId != subscription.SubId)
        {
            // §6.2.3.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.NotAcceptable, "invalid-subid");
        }

        if (!await _members.UnsubscribeAsync(_service, node, jid.ToString()))
        {
            throw PubsubErrors.WithCondition(StanzaErrorCondition.UnexpectedRequest, "not-subscribed");
        }

        return null;
    }

    /// <summary>§5.6: the requester's subscriptions (its bare JID's and its resources'), across nodes or to one node.</summary>
    private async ValueTask<Outcome> OwnSubscriptionsAsync(Jid from, Element request)
    {
        var only = request.GetAttribute("node");
        var result = new Element("pubsub", Namespace);
        var list = result.AddChild("subscriptions");
        if (only is not null)
        {
            await RequireNodeAsync(only);
            list.SetAttribute("node", only);
        }

        foreach (var subscription in await _members.GetSubscriptionsOfAsync(_service, from.Bare.ToString()))
        {
            if (only is null || subscription.Node == only)
            {
                list.Add(SubscriptionElement(subscription, Namespace, withNode: true));
            }
        }

        return result;
    }

    /// <summary>§5.7: the requester's affiliations, across nodes or with one node.</summary>
    private async ValueTask<Outcome> OwnAffiliationsAsync(Jid from, Element request)
    {
        var only = request.GetAttribute("node");
        var result = new Element("pubsub", Namespace);
        var list = result.AddChild("affiliations");
        if (only is not null)
        {
            await RequireNodeAsync(only);
            list.SetAttribute("node", only);
        }

        foreach (var affiliation in await _members.GetAffiliationsOfAsync(_service, from.Bare.ToString()))
        {
            if (only is null || affiliation.Node == only)
            {
                list.AddChild("affiliation").SetAttribute("node", affiliation.Node).SetAttribute("affiliation", affiliation.Affiliation);
            }
        }

        return result;
    }

    /// <summary>The jid attribute of a subscribe or unsubscribe request; §6.1.3: missing or malformed is invalid-jid.</summary>
    private static Jid SubscriberJid(Element request) =>
        Jid.TryParse(request.GetAttribute("jid"), out var jid)
            ? jid
            : throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-jid", "The request needs the JID to (un)subscribe");

    private async ValueTask<PubsubSubscription?> SubscriptionOfAsync(string node, Jid jid)
    {
        var text = jid.ToString();
        foreach (var subscription in await _members.GetSubscriptionsAsync(_service, node))
        {
            if (subscription.Jid == text)
            {
                return subscription;
            }
        }

        return null;
    }

    /// <summary>Whether the entity's bare JID or one of its full JIDs holds an approved subscription to the node.</summary>
    private async ValueTask<bool> IsSubscribedAsync(string node, Jid who)
    {
        var account = who.Bare.ToString();
        foreach (var subscription in await _members.GetSubscriptionsAsync(_service, node))
        {
            if (subscription.Account == account && !subscription.Pending)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="subId"/> names one of the entity's subscriptions to the node.</summary>
    private async ValueTask<bool> HoldsSubscriptionAsync(string node, Jid who, string subId)
    {
        var account = who.Bare.ToString();
        foreach (var subscription in await _members.GetSubscriptionsAsync(_service, node))
        {
            if (subscription.Account == account && subscription.SubId == subId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A subscription element (§5.6, §6.1.2, §8.8.1) in the given namespace.</summary>
    private static Element SubscriptionElement(PubsubSubscription subscription, string ns, bool withNode)
    {
        var element = new Element("subscription", ns);
        if (withNode)
        {
            element.SetAttribute("node", subscription.Node);
        }

        return element.SetAttribute("jid", subscription.Jid)
            .SetAttribute("subscription", subscription.Pending ? "pending" : "subscribed")
            .SetAttribute("subid", subscription.SubId);
    }
}
