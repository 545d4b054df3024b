using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Storage;

namespace Rookery.Modules.Pep;

/// <content>Access models (XEP-0060 §4.5, §6.5.9 for the errors; XEP-0163 §5 for the default).</content>
public sealed partial class PepModule
{
    /// <summary>
    /// Whether the owner's roster entry for a contact (null when none) lets that contact retrieve the node's items and
    /// receive its notifications. The owner itself is always allowed and never asks this.
    /// </summary>
    internal static bool Allows(NodeConfig config, RosterItem? contact) => config.Access switch
    {
        AccessModel.Open => true,
        // A presence subscription means the contact may see the owner's presence: 'from' or 'both' (RFC 6121 §2.1.2.5).
        AccessModel.Presence => contact is not null && (contact.Subscription & Subscription.From) != 0,
        AccessModel.Roster => contact is not null && (contact.Subscription & Subscription.From) != 0 && InAllowedGroup(config, contact),
        _ => false,
    };

    /// <summary>Throws the error of §6.5.9 when <paramref name="requester"/> may not retrieve the node's items.</summary>
    private async ValueTask RequireAccessAsync(Jid owner, Jid requester, NodeConfig config, CancellationToken ct)
    {
        if (requester.Bare == owner || config.Access == AccessModel.Open)
        {
            return;
        }

        var item = config.Access == AccessModel.Whitelist
            ? null
            : await rosters.GetItemAsync(owner.ToString(), requester.Bare.ToString(), ct).ConfigureAwait(false);
        if (Allows(config, item))
        {
            return;
        }

        throw config.Access switch
        {
            // §6.5.9.6, §6.5.9.7 and §6.5.9.8.
            AccessModel.Presence => PubsubError(StanzaErrorCondition.NotAuthorized, "presence-subscription-required"),
            AccessModel.Roster => PubsubError(StanzaErrorCondition.NotAuthorized, "not-in-roster-group"),
            _ => PubsubError(StanzaErrorCondition.NotAllowed, "closed-node"),
        };
    }

    private static bool InAllowedGroup(NodeConfig config, RosterItem contact)
    {
        foreach (var group in contact.Groups)
        {
            if (config.RosterGroupsAllowed.Contains(group, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// XEP-0163 §6.1 and XEP-0060 §5.2: the account's nodes that the requester may retrieve, as disco#items entries.
    /// </summary>
    private async ValueTask<IReadOnlyList<Element>> ListNodesAsync(Jid account, Jid requester, CancellationToken ct)
    {
        var nodes = await store.GetNodesAsync(account.ToString(), ct).ConfigureAwait(false);
        var items = new List<Element>(nodes.Count);
        if (nodes.Count == 0)
        {
            return items;
        }

        var self = requester.Bare == account;
        var contact = self ? null : await rosters.GetItemAsync(account.ToString(), requester.Bare.ToString(), ct).ConfigureAwait(false);
        foreach (var node in nodes)
        {
            if (self || Allows(NodeConfig.FromStored(node.Config), contact))
            {
                items.Add(new Element("item", Disco.DiscoModule.ItemsNamespace).SetAttribute("jid", account.ToString()).SetAttribute("node", node.Name));
            }
        }

        return items;
    }

    /// <summary>
    /// Answers disco#info (§5.3: a leaf node of a pubsub service) and disco#items (§5.5: the ids of its items) for a
    /// node of the account. A node the account does not have, or one the requester may not retrieve, is item-not-found,
    /// as in the account's list of nodes (<see cref="ListNodesAsync"/>), which does not show it either.
    /// </summary>
    private async ValueTask DescribeNodeAsync(IqContext iq, Element query)
    {
        var owner = iq.To.Bare;
        var node = query.GetAttribute("node")!;
        var config = await ConfigOfAsync(owner, node, iq.Cancellation).ConfigureAwait(false)
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        var contact = iq.IsSelf ? null : await rosters.GetItemAsync(owner.ToString(), iq.From.Bare.ToString(), iq.Cancellation).ConfigureAwait(false);
        if (!iq.IsSelf && !Allows(config, contact))
        {
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        }

        if (query.Namespace == Disco.DiscoModule.InfoNamespace)
        {
            query.AddChild("identity").SetAttribute("category", "pubsub").SetAttribute("type", "leaf");
            query.AddChild("feature").SetAttribute("var", Namespace);
            return;
        }

        var items = await store.GetItemsAsync(owner.ToString(), node, null, iq.Cancellation).ConfigureAwait(false);
        foreach (var item in items)
        {
            // §5.5: the item's id as the name, the service's JID as the jid.
            query.AddChild("item").SetAttribute("jid", owner.ToString()).SetAttribute("name", item.Id);
        }
    }
}
