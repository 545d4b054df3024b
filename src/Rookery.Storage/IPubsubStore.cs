namespace Rookery.Storage;

/// <summary>
/// Publish-subscribe nodes and their items: per owner a set of nodes, each with its configuration and its items in
/// publication order. The owner is an account's bare JID for personal eventing (XEP-0163), or a service's JID such as
/// <c>pubsub.example.com</c> for a generic service (XEP-0060), whose affiliations and subscriptions are in
/// <see cref="IPubsubServiceStore"/>.
/// </summary>
public interface IPubsubStore
{
    /// <summary>The owner's nodes, ordered ordinally by name; empty when none.</summary>
    Task<IReadOnlyList<PubsubNode>> GetNodesAsync(string owner, CancellationToken ct = default);

    /// <summary>One node of the owner, or null when it does not exist.</summary>
    Task<PubsubNode?> GetNodeAsync(string owner, string node, CancellationToken ct = default);

    /// <summary>Creates a node with a configuration; returns false (and changes nothing) when it exists already.</summary>
    Task<bool> CreateNodeAsync(string owner, string node, IReadOnlyDictionary<string, string> config, CancellationToken ct = default);

    /// <summary>Replaces a node's configuration; returns false when the node does not exist.</summary>
    Task<bool> ConfigureNodeAsync(string owner, string node, IReadOnlyDictionary<string, string> config, CancellationToken ct = default);

    /// <summary>Deletes a node with all its items; returns false when it did not exist.</summary>
    Task<bool> DeleteNodeAsync(string owner, string node, CancellationToken ct = default);

    /// <summary>
    /// Stores an item as the node's newest, replacing an item with the same id, then deletes the oldest items beyond
    /// <paramref name="maxItems"/> (null keeps every item), in one transaction. Returns the ids of the items deleted by
    /// that trimming, or null (storing nothing) when the node does not exist.
    /// </summary>
    Task<IReadOnlyList<string>?> PublishAsync(string owner, string node, PubsubItem item, int? maxItems, CancellationToken ct = default);

    /// <summary>The node's items, newest first, at most <paramref name="max"/> of them (null for all).</summary>
    Task<IReadOnlyList<PubsubItem>> GetItemsAsync(string owner, string node, int? max, CancellationToken ct = default);

    /// <summary>The node's items with the given ids that exist, newest first.</summary>
    Task<IReadOnlyList<PubsubItem>> GetItemsByIdAsync(string owner, string node, IReadOnlyCollection<string> ids, CancellationToken ct = default);

    /// <summary>Deletes one item; returns false when the node has no item with that id.</summary>
    Task<bool> RetractAsync(string owner, string node, string itemId, CancellationToken ct = default);

    /// <summary>Deletes the oldest items beyond <paramref name="maxItems"/>; returns the ids deleted.</summary>
    Task<IReadOnlyList<string>> TrimAsync(string owner, string node, int maxItems, CancellationToken ct = default);
}
