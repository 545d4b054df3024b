using System.Text;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Storage;

namespace Rookery.Modules.Pep;

/// <content>Publishing (XEP-0060 §7.1) with auto-create and publish options, node creation (§8.1), retraction (§7.2).</content>
public sealed partial class PepModule
{
    private async ValueTask<IqResult> PublishAsync(IqContext iq, Element publish)
    {
        // XEP-0163 §2.2: only the account publishes to its own nodes.
        RequireOwner(iq);
        var node = NodeOf(publish);
        var item = SingleItem(publish);
        var payload = SinglePayload(item);
        var id = item.GetAttribute("id");
        if (string.IsNullOrEmpty(id))
        {
            // §7.1.2: the service generates an id for an item published without one.
            id = Guid.NewGuid().ToString("N");
        }

        var options = NodeConfig.ReadForm(iq.Payload.Child("publish-options", Namespace), NodeConfig.PublishOptionsFormType);
        var owner = iq.From.Bare;
        await StoreAndNotifyAsync(owner, iq.From, node, id, payload, options, iq.Cancellation).ConfigureAwait(false);
        // After the item is stored and notified: what a handler does (a conversion) follows the publication.
        await NodeChangedAsync(owner, node, PepNodeChange.Published(id, payload), iq.Cancellation).ConfigureAwait(false);
        var result = new Element("pubsub", Namespace);
        result.AddChild("publish").SetAttribute("node", node).AddChild("item").SetAttribute("id", id);
        return IqResult.With(result);
    }

    /// <summary>
    /// Stores an item under the owner's lock, creating the node (with the publish options, if any) when it does not exist,
    /// then notifies it; the errors of XEP-0060 §7.1.3 are thrown as stanza errors.
    /// </summary>
    private async ValueTask StoreAndNotifyAsync(
        Jid owner, Jid publisher, string node, string id, Element payload, Dictionary<string, List<string>>? options, CancellationToken ct)
    {
        var payloadXml = PayloadText(payload);
        NodeConfig config;
        using (await _locks.AcquireAsync(owner, ct).ConfigureAwait(false))
        {
            var existing = await ConfigOfAsync(owner, node, ct).ConfigureAwait(false);
            if (existing is null)
            {
                // §7.1.5 and XEP-0163 §3: publishing to a node that does not exist creates it, configured with the
                // publish options when there are any.
                config = options is null ? NodeConfig.Default : ValidConfig(NodeConfig.Default.With(options));
                await CreateNodeAsync(owner.ToString(), node, config, ct).ConfigureAwait(false);
            }
            else
            {
                config = existing;
                // §7.1.5: an existing node must already match every publish option, else the publish fails.
                if (options is not null && existing.UnmetPreconditions(options) is { Count: > 0 } unmet)
                {
                    throw PubsubError(StanzaErrorCondition.Conflict, "precondition-not-met", "Node configuration does not match: " + string.Join(", ", unmet));
                }
            }

            var stored = new PubsubItem(id, publisher.ToString(), time.GetUtcNow(), payloadXml);
            if (await store.PublishAsync(owner.ToString(), node, stored, config.EffectiveMaxItems(_options.MaxItems), ct).ConfigureAwait(false) is null)
            {
                // The node was deleted from elsewhere (another node of a cluster) between the check and the write.
                throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
            }
        }

        Log.Published(logger, owner, node, id);
        await NotifyAsync(owner, node, config, ItemsEvent(node, ItemElement(id, payload.Clone())), ct).ConfigureAwait(false);
    }

    private async ValueTask<IqResult> CreateAsync(IqContext iq, Element create)
    {
        RequireOwner(iq);
        // §8.1.2: instant nodes (no name) are not offered by PEP, where a node is named by its namespace.
        var node = create.GetAttribute("node");
        if (string.IsNullOrEmpty(node))
        {
            throw PubsubError(StanzaErrorCondition.NotAcceptable, "nodeid-required");
        }

        var form = NodeConfig.ReadForm(iq.Payload.Child("configure", Namespace), NodeConfig.FormType);
        var config = form is null ? NodeConfig.Default : ValidConfig(NodeConfig.Default.With(form));
        var owner = iq.From.Bare;
        using (await _locks.AcquireAsync(owner, iq.Cancellation).ConfigureAwait(false))
        {
            await CreateNodeAsync(owner.ToString(), node, config, iq.Cancellation).ConfigureAwait(false);
        }

        return IqResult.Empty;
    }

    /// <summary>Creates a node under the owner's lock; conflict when it exists (§8.1.3), not-acceptable past the node limit.</summary>
    private async ValueTask CreateNodeAsync(string owner, string node, NodeConfig config, CancellationToken ct)
    {
        var nodes = await store.GetNodesAsync(owner, ct).ConfigureAwait(false);
        if (nodes.Count >= _options.MaxNodes)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"An account may have at most {_options.MaxNodes} nodes");
        }

        if (!await store.CreateNodeAsync(owner, node, config.ToStored(), ct).ConfigureAwait(false))
        {
            throw new StanzaErrorException(StanzaErrorCondition.Conflict, "The node exists");
        }
    }

    private async ValueTask<IqResult> RetractAsync(IqContext iq, Element retract)
    {
        RequireOwner(iq);
        var node = NodeOf(retract);
        var item = retract.Child("item", Namespace);
        var id = item?.GetAttribute("id");
        if (string.IsNullOrEmpty(id))
        {
            // §7.2.3.3 and §7.2.3.4: the item and its id are required.
            throw PubsubError(StanzaErrorCondition.BadRequest, "item-required");
        }

        var owner = iq.From.Bare;
        var config = await ConfigOfAsync(owner, node, iq.Cancellation).ConfigureAwait(false)
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        if (!await store.RetractAsync(owner.ToString(), node, id, iq.Cancellation).ConfigureAwait(false))
        {
            // §7.2.3.5: the item does not exist.
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        }

        // §7.2.2.1: notify when asked to (notify='true'), else as the node's pubsub#notify_retract says.
        var notify = retract.GetAttribute("notify") switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => config.NotifyRetract,
        };
        if (notify)
        {
            var retracted = new Element("retract", EventNamespace).SetAttribute("id", id);
            await NotifyAsync(owner, node, config, ItemsEvent(node, retracted), iq.Cancellation).ConfigureAwait(false);
        }

        await NodeChangedAsync(owner, node, PepNodeChange.Retracted(id), iq.Cancellation).ConfigureAwait(false);
        return IqResult.Empty;
    }

    /// <summary>A configuration within this service's limits; a larger max_items is not-acceptable.</summary>
    private NodeConfig ValidConfig(NodeConfig config) =>
        config.MaxItems > _options.MaxItems
            ? throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"pubsub#max_items is at most {_options.MaxItems} here")
            : config;

    /// <summary>§7.1.3.6: a publish carries exactly one item.</summary>
    private static Element SingleItem(Element publish)
    {
        Element? item = null;
        foreach (var child in publish.Elements())
        {
            if (child.Name != "item" || child.Namespace != Namespace)
            {
                continue;
            }

            if (item is not null)
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A publish carries one item");
            }

            item = child;
        }

        return item ?? throw PubsubError(StanzaErrorCondition.BadRequest, "item-required");
    }

    /// <summary>§7.1.3.7 and §7.1.3.8: items of persistent nodes carry exactly one payload element.</summary>
    private static Element SinglePayload(Element item)
    {
        Element? payload = null;
        foreach (var child in item.Elements())
        {
            if (payload is not null)
            {
                throw PubsubError(StanzaErrorCondition.BadRequest, "invalid-payload", "An item carries one payload element");
            }

            payload = child;
        }

        return payload ?? throw PubsubError(StanzaErrorCondition.BadRequest, "payload-required");
    }

    /// <summary>The payload as stored text; §7.1.3.4: beyond the size limit it is not-acceptable with payload-too-big.</summary>
    private string PayloadText(Element payload)
    {
        // Checked to read back as the same element (not-acceptable otherwise) before the size limit applies.
        var xml = XmlDocuments.Serialize(payload, int.MaxValue);
        return Encoding.UTF8.GetByteCount(xml) > _options.MaxPayloadBytes
            ? throw PubsubError(StanzaErrorCondition.NotAcceptable, "payload-too-big", $"An item payload is at most {_options.MaxPayloadBytes} bytes")
            : xml;
    }
}
