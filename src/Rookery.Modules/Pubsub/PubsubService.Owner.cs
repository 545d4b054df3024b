using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <content>
/// The owner's management of a node's subscriptions (XEP-0060 §8.8) and affiliations (§8.9). A modification request is
/// checked whole before anything changes: one bad entry refuses the request and leaves the node as it was.
/// </content>
public sealed partial class PubsubService
{
    private async ValueTask<Outcome> NodeSubscriptionsAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        await RequireOwnerAsync(node, from);
        var result = new Element("pubsub", OwnerNamespace);
        var list = result.AddChild("subscriptions").SetAttribute("node", node);
        foreach (var subscription in await _members.GetSubscriptionsAsync(_service, node))
        {
            list.Add(SubscriptionElement(subscription, OwnerNamespace, withNode: false));
        }

        return result;
    }

    private async ValueTask<Outcome> ModifySubscriptionsAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        await RequireOwnerAsync(node, from);
        var changes = new List<(Jid Jid, bool Subscribed, string? SubId)>();
        foreach (var entry in Entries(request, "subscription"))
        {
            var jid = EntryJid(entry);
            var subId = entry.GetAttribute("subid");
            changes.Add(entry.GetAttribute("subscription") switch
            {
                "subscribed" => (jid, true, subId),
                "none" => (jid, false, subId),
                // §8.8.2: only subscriber requests become pending, and unconfigured is for subscriptions whose options
                // must be set first (§6.1.5), which this service never requires.
                var state => throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Unsupported subscription state '{state}' for {jid}"),
            });
        }

        foreach (var (jid, subscribed, subId) in changes)
        {
            if (subscribed)
            {
                // §8.8.2: 'subscribed' approves a pending subscription (authorize model, §6.1.4), or subscribes a JID
                // that holds none; a JID already subscribed keeps its subscriptions as they are.
                if (!await _members.ApproveAsync(_service, node, jid.ToString()) && (await SubscriptionsOfJidAsync(node, jid)).Count == 0)
                {
                    _ = await _members.SubscribeAsync(_service, new PubsubSubscription(node, jid.ToString(), Guid.NewGuid().ToString("N")))
                        ?? throw PubsubErrors.NoSuchNode();
                }
            }
            else
            {
                // §8.8.2: with a subid, that one of the JID's subscriptions; without, all of them.
                await _members.UnsubscribeAsync(_service, node, jid.ToString(), string.IsNullOrEmpty(subId) ? null : subId);
            }
        }

        return null;
    }

    private async ValueTask<Outcome> NodeAffiliationsAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        await RequireOwnerAsync(node, from);
        var result = new Element("pubsub", OwnerNamespace);
        var list = result.AddChild("affiliations").SetAttribute("node", node);
        foreach (var affiliation in await _members.GetAffiliationsAsync(_service, node))
        {
            list.AddChild("affiliation").SetAttribute("jid", affiliation.Jid).SetAttribute("affiliation", affiliation.Affiliation);
        }

        return result;
    }

    private async ValueTask<Outcome> ModifyAffiliationsAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        await RequireOwnerAsync(node, from);
        var changes = new Dictionary<string, Affiliation>(StringComparer.Ordinal);
        foreach (var entry in Entries(request, "affiliation"))
        {
            // §4.1: affiliations belong to bare JIDs.
            var jid = EntryJid(entry).Bare.ToString();
            changes[jid] = Affiliations.TryParse(entry.GetAttribute("affiliation"), out var affiliation)
                ? affiliation
                : throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"Unknown affiliation '{entry.GetAttribute("affiliation")}' for {jid}");
        }

        var owners = new HashSet<string>(StringComparer.Ordinal);
        foreach (var current in await _members.GetAffiliationsAsync(_service, node))
        {
            if (current.Affiliation == "owner")
            {
                owners.Add(current.Jid);
            }
        }

        foreach (var (jid, affiliation) in changes)
        {
            if (affiliation == Affiliation.Owner)
            {
                owners.Add(jid);
            }
            else
            {
                owners.Remove(jid);
            }
        }

        if (owners.Count == 0)
        {
            // §8.9.2: a node is never left without an owner.
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "A node keeps at least one owner");
        }

        foreach (var (jid, affiliation) in changes)
        {
            var name = affiliation == Affiliation.None ? null : Affiliations.Name(affiliation);
            if (!await _members.SetAffiliationAsync(_service, node, jid, name))
            {
                throw PubsubErrors.NoSuchNode();
            }

            if (affiliation == Affiliation.Outcast)
            {
                // §4.1: an outcast has no subscription.
                foreach (var subscription in await _members.GetSubscriptionsAsync(_service, node))
                {
                    if (subscription.Account == jid)
                    {
                        await _members.UnsubscribeAsync(_service, node, subscription.Jid);
                    }
                }
            }
        }

        return null;
    }

    private static IEnumerable<Element> Entries(Element request, string name)
    {
        foreach (var child in request.Elements())
        {
            if (child.Name == name && child.Namespace == OwnerNamespace)
            {
                yield return child;
            }
        }
    }

    private static Jid EntryJid(Element entry) =>
        Jid.TryParse(entry.GetAttribute("jid"), out var jid)
            ? jid
            : throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"'{entry.GetAttribute("jid")}' is not a JID");
}
