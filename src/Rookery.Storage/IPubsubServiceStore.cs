namespace Rookery.Storage;

/// <summary>
/// Affiliations and subscriptions of the nodes of generic publish-subscribe services (XEP-0060 on <c>pubsub.&lt;host&gt;</c>).
/// The nodes and their items live in <see cref="IPubsubStore"/> with the service's JID as owner; deleting a node there
/// deletes its affiliations and subscriptions too. Shared by every node of a cluster.
/// </summary>
public interface IPubsubServiceStore
{
    /// <summary>
    /// Creates a node of <paramref name="service"/> with its configuration and <paramref name="owner"/> (a bare JID) as its
    /// owner, in one transaction; returns false, changing nothing, when the node exists already.
    /// </summary>
    Task<bool> CreateNodeAsync(string service, string node, IReadOnlyDictionary<string, string> config, string owner, CancellationToken ct = default);

    /// <summary>The affiliations of one node, ordered ordinally by JID; empty when none or when the node does not exist.</summary>
    Task<IReadOnlyList<PubsubAffiliation>> GetAffiliationsAsync(string service, string node, CancellationToken ct = default);

    /// <summary>The affiliations of one entity (a bare JID) across the service's nodes, ordered ordinally by node.</summary>
    Task<IReadOnlyList<PubsubAffiliation>> GetAffiliationsOfAsync(string service, string jid, CancellationToken ct = default);

    /// <summary>
    /// Sets an entity's affiliation with a node, replacing the one it had; null removes it. Returns false, changing
    /// nothing, when the node does not exist.
    /// </summary>
    Task<bool> SetAffiliationAsync(string service, string node, string jid, string? affiliation, CancellationToken ct = default);

    /// <summary>The subscriptions to one node, ordered ordinally by JID then subscription id.</summary>
    Task<IReadOnlyList<PubsubSubscription>> GetSubscriptionsAsync(string service, string node, CancellationToken ct = default);

    /// <summary>
    /// The subscriptions of one account across the service's nodes: those of its bare JID and of any of its full JIDs,
    /// ordered ordinally by node, then JID.
    /// </summary>
    Task<IReadOnlyList<PubsubSubscription>> GetSubscriptionsOfAsync(string service, string bareJid, CancellationToken ct = default);

    /// <summary>
    /// Adds a subscription, pending or not, with its options. A JID may hold several subscriptions to one node (XEP-0060
    /// §6.1.6), each with its own id; the caller decides whether a request adds one. Null, storing nothing, when the node
    /// does not exist.
    /// </summary>
    Task<PubsubSubscription?> SubscribeAsync(string service, PubsubSubscription subscription, CancellationToken ct = default);

    /// <summary>Turns a JID's pending subscriptions to a node into approved ones; returns false when it had no pending one.</summary>
    Task<bool> ApproveAsync(string service, string node, string jid, CancellationToken ct = default);

    /// <summary>
    /// Replaces the options of the subscription <paramref name="subId"/> to a node (null or empty: the defaults); returns
    /// false when the node has no such subscription.
    /// </summary>
    Task<bool> SetOptionsAsync(string service, string node, string subId, IReadOnlyDictionary<string, string>? options, CancellationToken ct = default);

    /// <summary>
    /// Removes a JID's subscription <paramref name="subId"/> to a node, or all its subscriptions to it when
    /// <paramref name="subId"/> is null; returns false when nothing was removed.
    /// </summary>
    Task<bool> UnsubscribeAsync(string service, string node, string jid, string? subId = null, CancellationToken ct = default);
}
