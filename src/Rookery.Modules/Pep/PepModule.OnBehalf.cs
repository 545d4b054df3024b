using Microsoft.Extensions.Logging;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Pep;

/// <content>
/// What other modules do with an account's nodes on its behalf: hear of the account's own publications and changes, read
/// items, and publish or retract with the same notifications as the account's own requests. Avatar conversion (XEP-0398
/// §3.2: the server publishes a vCard's photo as the user's avatar) and bookmarks conversion (XEP-0411, XEP-0402 §5.3)
/// use it. What is done on an account's behalf never reaches the handlers, so two conversions cannot echo each other.
/// </content>
public sealed partial class PepModule
{
    /// <summary>No node configuration asked of <see cref="PublishOnBehalfAsync"/>: a missing node gets the defaults.</summary>
    internal static readonly IReadOnlyDictionary<string, List<string>> NoRequirements = new Dictionary<string, List<string>>();

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

    // Registered at start-up only (from other modules' Configure), read on every change.
    private readonly List<PepNodeChangedHandler> _changeHandlers = [];

    /// <summary>
    /// Adds a handler told after each change an account makes to its nodes (never after a change made through
    /// <see cref="PublishOnBehalfAsync"/> or <see cref="RetractOnBehalfAsync"/>, so that a handler that publishes cannot
    /// loop). At start-up only, from Configure.
    /// </summary>
    public void OnNodeChanged(PepNodeChangedHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _changeHandlers.Add(handler);
    }

    /// <summary>The items of an account's node, oldest first, or null when the node does not exist.</summary>
    internal async ValueTask<IReadOnlyList<PubsubItem>?> ItemsOnBehalfAsync(Jid owner, string node, CancellationToken ct)
    {
        if (await store.GetNodeAsync(owner.ToString(), node, ct).ConfigureAwait(false) is null)
        {
            return null;
        }

        var items = await store.GetItemsAsync(owner.ToString(), node, null, ct).ConfigureAwait(false);
        var oldestFirst = new List<PubsubItem>(items.Count);
        for (var i = items.Count - 1; i >= 0; i--)
        {
            oldestFirst.Add(items[i]);
        }

        return oldestFirst;
    }

    /// <summary>
    /// Publishes an item as the account would, notifying its interested resources and contacts. The node is created with
    /// <paramref name="required"/> (node_config fields; <see cref="NoRequirements"/> for the defaults of XEP-0163 §5) when
    /// missing, and an existing node that does not meet them is reconfigured first: the profile that asks for them
    /// (XEP-0402 §3: whitelist access) protects what the item holds.
    /// </summary>
    /// <exception cref="StanzaErrorException">Past this service's limits (nodes, payload size), as for the account's own publish.</exception>
    internal async ValueTask PublishOnBehalfAsync(Jid owner, string node, string id, Element payload, IReadOnlyDictionary<string, List<string>> required, CancellationToken ct)
    {
        var payloadXml = PayloadText(payload);
        NodeConfig config;
        using (await _locks.AcquireAsync(owner, ct).ConfigureAwait(false))
        {
            var existing = await ConfigOfAsync(owner, node, ct).ConfigureAwait(false);
            if (existing is null)
            {
                config = ValidConfig(NodeConfig.Default.With(required));
                await CreateNodeAsync(owner.ToString(), node, config, ct).ConfigureAwait(false);
            }
            else if (existing.UnmetPreconditions(required).Count > 0)
            {
                config = ValidConfig(existing.With(required));
                await store.ConfigureNodeAsync(owner.ToString(), node, config.ToStored(), ct).ConfigureAwait(false);
            }
            else
            {
                config = existing;
            }

            var stored = new PubsubItem(id, owner.ToString(), time.GetUtcNow(), payloadXml);
            if (await store.PublishAsync(owner.ToString(), node, stored, config.EffectiveMaxItems(_options.MaxItems), ct).ConfigureAwait(false) is null)
            {
                // Deleted from elsewhere (another cluster node) between the check and the write.
                throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
            }
        }

        Log.Published(logger, owner, node, id);
        await NotifyAsync(owner, node, config, ItemsEvent(node, ItemElement(id, payload.Clone())), ct).ConfigureAwait(false);
    }

    /// <summary>Retracts an item as the account would, notified as the node's notify_retract says; false when there was none.</summary>
    internal async ValueTask<bool> RetractOnBehalfAsync(Jid owner, string node, string id, CancellationToken ct)
    {
        var config = await ConfigOfAsync(owner, node, ct).ConfigureAwait(false);
        if (config is null || !await store.RetractAsync(owner.ToString(), node, id, ct).ConfigureAwait(false))
        {
            return false;
        }

        if (config.NotifyRetract)
        {
            var retracted = new Element("retract", EventNamespace).SetAttribute("id", id);
            await NotifyAsync(owner, node, config, ItemsEvent(node, retracted), ct).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>
    /// Tells the handlers of a change the account made. The account's request has already succeeded, so a handler that
    /// fails is logged rather than turned into an error for a change that did happen.
    /// </summary>
    private async ValueTask NodeChangedAsync(Jid owner, string node, PepNodeChange change, CancellationToken ct)
    {
        foreach (var handler in _changeHandlers)
        {
            try
            {
                await handler(owner, node, change, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ChangeHandlerFailed(logger, e, owner, node);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5530, Level = LogLevel.Warning, Message = "Following {Owner}'s change to node {Node} failed")]
        public static partial void ChangeHandlerFailed(ILogger logger, Exception e, Jid owner, string node);
    }
}
