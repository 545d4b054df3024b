using Rookery.Protocol.Errors;

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
    public static StanzaErrorException? RefuseAccess(NodeConfiguration config, Affiliation affiliation)
    {
        ArgumentNullException.ThrowIfNull(config);
        return affiliation switch
        {
            // §6.1.3 and §6.5.9 ("blocked"): outcasts are forbidden; §4.1: publish-only affiliates neither subscribe
            // nor retrieve.
            Affiliation.Outcast or Affiliation.PublishOnly => new StanzaErrorException(StanzaErrorCondition.Forbidden),
            // §6.1.3 and §6.5.9: not on the whitelist.
            Affiliation.None when config.Access == AccessModel.Whitelist =>
                PubsubErrors.WithCondition(StanzaErrorCondition.NotAllowed, "closed-node"),
            _ => null,
        };
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
