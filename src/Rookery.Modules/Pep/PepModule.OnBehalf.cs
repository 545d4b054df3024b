using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;

namespace Rookery.Modules.Pep;

/// <content>
/// What other modules may do with an account's PEP service: learn of its clients' publications, publish on the
/// account's behalf (XEP-0398 §3.2: the server publishes a vCard's photo as the user's avatar) and read items.
/// </content>
public sealed partial class PepModule
{
    // Registered at start-up only (from other modules' Configure), read on every publish.
    private readonly List<PepPublishedHandler> _published = [];

    /// <summary>
    /// Registers a handler run after each item a client publishes to its own account's nodes (never after a publication
    /// made through <see cref="PublishOnBehalfAsync"/>, so that a handler that publishes cannot loop). At start-up only.
    /// </summary>
    public void OnPublished(PepPublishedHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _published.Add(handler);
    }

    /// <summary>
    /// Publishes an item to <paramref name="owner"/>'s node as if the account had (the node is created with the defaults
    /// of XEP-0163 §5 when missing) and notifies it; throws <see cref="Protocol.Errors.StanzaErrorException"/> when the
    /// service refuses it (payload-too-big, too many nodes).
    /// </summary>
    public ValueTask PublishOnBehalfAsync(Jid owner, string node, string itemId, Element payload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentException.ThrowIfNullOrEmpty(node);
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        ArgumentNullException.ThrowIfNull(payload);
        return StoreAndNotifyAsync(owner.Bare, owner.Bare, node, itemId, payload, null, ct);
    }

    /// <summary>
    /// The payload of an item of <paramref name="owner"/>'s node with its id: the one with <paramref name="itemId"/>, or
    /// the last published when that is null; null when the node or the item does not exist or no longer reads back.
    /// </summary>
    public async Task<(string Id, Element Payload)?> GetItemAsync(Jid owner, string node, string? itemId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var account = owner.Bare.ToString();
        var items = itemId is null
            ? await store.GetItemsAsync(account, node, 1, ct).ConfigureAwait(false)
            : await store.GetItemsByIdAsync(account, node, [itemId], ct).ConfigureAwait(false);
        if (items.Count == 0)
        {
            return null;
        }

        try
        {
            return (items[0].Id, XmlDocuments.Parse(items[0].PayloadXml));
        }
        catch (FormatException e)
        {
            Log.UnreadableItem(logger, e, owner.Bare, node, items[0].Id);
            return null;
        }
    }
}
