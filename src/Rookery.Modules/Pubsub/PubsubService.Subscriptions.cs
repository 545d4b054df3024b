using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <content>
/// Subscribing (XEP-0060 §6.1), with options (§6.3.7), and unsubscribing (§6.2), and an entity's own subscriptions
/// (§5.6) and affiliations (§5.7). A JID may subscribe to a node several times (multi-subscribe, §6.1.6): every
/// subscribe request adds a subscription with its own id and options, and a request about one of them names it by its
/// subid when the JID holds several. A bare JID and each full JID are distinct subscribers. On a node of the authorize
/// access model the subscription of an unaffiliated entity is pending until an owner approves it, by answering the
/// approval form the owners are sent (§8.6, <c>.Authorization.cs</c>) or through the subscriptions list (§8.8.2).
/// </content>
public sealed partial class PubsubService
{
    private async ValueTask<Outcome> SubscribeAsync(Jid from, Element subscribe, Element? optionsElement)
    {
        var node = NodeOf(subscribe);
        var jid = SubscriberJid(subscribe);
        if (jid.Bare != from.Bare)
        {
            // §6.1.3: only the requester's own bare JID or one of its full JIDs may be subscribed.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-jid", "The JID to subscribe is not the requester's");
        }

        // §6.3.7: options submitted with the subscription are checked before anything is stored.
        var options = SubscriptionOptions.Default;
        if (ReadForm(optionsElement, SubscriptionOptions.FormType) is { } form)
        {
            options = RequireHonourable(jid, options.With(form));
        }

        var config = await ConfigOfAsync(node);
        var held = await SubscriptionsOfJidAsync(node, jid);
        if (held.Exists(s => s.Pending))
        {
            // §6.1.3.7.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.NotAuthorized, "pending-subscription");
        }

        if (held.Count >= _options.MaxSubscriptionsPerJid)
        {
            // A bound on what a client that subscribes at every login piles up. Checked before the write, so requests racing
            // on several cluster nodes can pass it together by a few; the bound is against growth, not an exact quota.
            throw new StanzaErrorException(
                StanzaErrorCondition.PolicyViolation, $"A JID may hold at most {_options.MaxSubscriptionsPerJid} subscriptions to one node here");
        }

        // §6.1.4: on an authorize node, an unaffiliated entity's subscription waits for an owner's approval (§8.8.2);
        // affiliates pass every access model (§4.1) and are subscribed at once, as is a JID an owner approved before
        // (its further subscriptions, §6.1.6, differ only in their options).
        var needsApproval = config.Access == AccessModel.Authorize && held.Count == 0 && await AffiliationOfAsync(node, jid) == Affiliation.None;
        if (!needsApproval)
        {
            await RequireAccessAsync(node, config, jid);
        }

        // §6.1.6: a further request is a further subscription, with its own id, as multi-subscribe is announced.
        var subscription = await _members.SubscribeAsync(
                _service, new PubsubSubscription(node, jid.ToString(), Guid.NewGuid().ToString("N"), needsApproval, options.ToStored()))
            ?? throw PubsubErrors.NoSuchNode();

        var result = new Element("pubsub", Namespace);
        result.Add(SubscriptionElement(subscription, Namespace, withNode: true));
        if (optionsElement is not null)
        {
            // §6.3.7: the reply repeats the options the subscription now has.
            result.Add(OptionsElement(subscription, options, "result"));
        }

        if (subscription.Pending)
        {
            // §8.6: the owners are asked to approve it, after the subscriber has its pending result.
            return new Outcome(result, () => RequestApprovalAsync(node, subscription));
        }

        // §6.1.7: the last published item follows the result (on the same route, so it arrives after it), once approved,
        // as the new subscription's options allow.
        return config.SendsLastOnSubscribe
            ? new Outcome(result, () => SendLastItemAsync(node, config, subscription, severalHeld: held.Count > 0))
            : result;
    }

    private async ValueTask<Outcome> UnsubscribeAsync(Jid from, Element unsubscribe)
    {
        var node = NodeOf(unsubscribe);
        var jid = SubscriberJid(unsubscribe);
        if (jid.Bare != from.Bare)
        {
            // §6.2.3.3: another entity's subscription.
            throw PubsubErrors.Forbidden("The subscription is not the requester's");
        }

        await RequireNodeAsync(node);
        var subscription = await TheSubscriptionAsync(node, jid, unsubscribe.GetAttribute("subid"));
        if (!await _members.UnsubscribeAsync(_service, node, jid.ToString(), subscription.SubId))
        {
            // Removed meanwhile, by another request or an owner through another cluster node.
            throw NotSubscribed();
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

    /// <summary>The subscriptions of exactly this JID (bare or full) to the node.</summary>
    private async ValueTask<List<PubsubSubscription>> SubscriptionsOfJidAsync(string node, Jid jid)
    {
        var text = jid.ToString();
        var held = new List<PubsubSubscription>();
        foreach (var subscription in await _members.GetSubscriptionsAsync(_service, node))
        {
            if (subscription.Jid == text)
            {
                held.Add(subscription);
            }
        }

        return held;
    }

    /// <summary>
    /// The JID's subscription a request is about (§6.2.3, §6.3.4): its only one, or the one its subid names, which it
    /// must name when the JID holds several.
    /// </summary>
    private async ValueTask<PubsubSubscription> TheSubscriptionAsync(string node, Jid jid, string? subId)
    {
        var held = await SubscriptionsOfJidAsync(node, jid);
        if (held.Count == 0)
        {
            // §6.2.3.2, §6.3.4.2: no such subscriber.
            throw NotSubscribed();
        }

        if (string.IsNullOrEmpty(subId))
        {
            // §6.2.3.1, §6.3.4.3: subscription id required.
            return held.Count == 1 ? held[0] : throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "subid-required");
        }

        // §6.2.3.5, §6.3.4.4: invalid subscription id.
        return held.Find(s => s.SubId == subId) ?? throw PubsubErrors.WithCondition(StanzaErrorCondition.NotAcceptable, "invalid-subid");
    }

    private static StanzaErrorException NotSubscribed() => PubsubErrors.WithCondition(StanzaErrorCondition.UnexpectedRequest, "not-subscribed");

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
