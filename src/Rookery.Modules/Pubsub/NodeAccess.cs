using Rookery.Protocol.Errors;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <summary>
/// Who may do what with a node: the privileges of each affiliation (XEP-0060 §4.1) under the node's access model
/// (§4.5) and publish model (§16.4), with the error each refusal answers with.
/// </summary>
public static class NodeAccess
{
    /// <summary>
    /// The error refusing <paramref name="affiliation"/> a subscription to the node or its items (§6.1.3, §6.5.9), or
    /// null when allowed. Notifications go only to subscribers who would be allowed to subscribe now.
    /// </summary>
    /// <param name="config">The node's configuration.</param>
    /// <param name="affiliation">The entity's affiliation with the node.</param>
    /// <param name="ownersRosterItems">
    /// The entity's items in the rosters of the node's owners (at most one per owner), which the presence and roster
    /// access models decide on; not looked at under the other models.
    /// </param>
    /// <param name="approvedSubscriber">Whether the entity holds a subscription an owner approved, which the authorize model decides on.</param>
    public static StanzaErrorException? RefuseAccess(
        NodeConfiguration config, Affiliation affiliation, IReadOnlyList<RosterItem>? ownersRosterItems = null, bool approvedSubscriber = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        return affiliation switch
        {
            // §6.1.3 and §6.5.9 ("blocked"): outcasts are forbidden; §4.1: publish-only affiliates neither subscribe
            // nor retrieve.
            Affiliation.Outcast or Affiliation.PublishOnly => new StanzaErrorException(StanzaErrorCondition.Forbidden),
            // Members, publishers and owners pass every access model (§4.1); the models below judge the unaffiliated.
            not Affiliation.None => null,
            // §6.1.3.4 and §6.5.9: not on the whitelist.
            _ when config.Access == AccessModel.Whitelist => PubsubErrors.WithCondition(StanzaErrorCondition.NotAllowed, "closed-node"),
            // §6.1.3.2 and §6.5.9: not subscribed to an owner's presence, which is 'from' or 'both' in the owner's
            // roster (RFC 6121 §2.1.2.5).
            _ when config.Access == AccessModel.Presence && !Any(ownersRosterItems, i => (i.Subscription & Subscription.From) != 0) =>
                PubsubErrors.WithCondition(StanzaErrorCondition.NotAuthorized, "presence-subscription-required"),
            // §6.1.3.3 and §6.5.9: in none of the allowed groups of an owner's roster (§4.5: being in the group is
            // what counts, whatever the presence subscription).
            _ when config.Access == AccessModel.Roster && !Any(ownersRosterItems, i => InAllowedGroup(config, i)) =>
                PubsubErrors.WithCondition(StanzaErrorCondition.NotAuthorized, "not-in-roster-group"),
            // §6.5.9: only approved subscribers see the items of an authorize node. Subscribing is how access is asked
            // for, so the subscribe use case does not ask this (§6.1.4).
            _ when config.Access == AccessModel.Authorize && !approvedSubscriber =>
                PubsubErrors.WithCondition(StanzaErrorCondition.NotAuthorized, "not-subscribed"),
            _ => null,
        };
    }

    private static bool Any(IReadOnlyList<RosterItem>? items, Func<RosterItem, bool> allows)
    {
        foreach (var item in items ?? [])
        {
            if (allows(item))
            {
                return true;
            }
        }

        return false;
    }

    private static bool InAllowedGroup(NodeConfiguration config, RosterItem item)
    {
        foreach (var group in item.Groups)
        {
            if (config.RosterGroupsAllowed.Contains(group, StringComparer.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether an entity may publish to the node (§7.1.3: else forbidden).</summary>
    public static bool MayPublish(NodeConfiguration config, Affiliation affiliation, bool subscribed)
    {
        ArgumentNullException.ThrowIfNull(config);
        return affiliation switch
        {
            Affiliation.Owner or Affiliation.Publisher or Affiliation.PublishOnly => true,
            Affiliation.Outcast => false,
            _ => config.Publish == PublishModel.Open || (config.Publish == PublishModel.Subscribers && subscribed),
        };
    }

    /// <summary>
    /// Whether an entity may retract an item (§7.2.3: else forbidden): owners and publishers any item, whoever
    /// published an item (a publish-only affiliate, or anyone on an open node) that item, outcasts none.
    /// </summary>
    public static bool MayRetract(Affiliation affiliation, bool ownItem) => affiliation switch
    {
        Affiliation.Owner or Affiliation.Publisher => true,
        Affiliation.Outcast => false,
        _ => ownItem,
    };
}
