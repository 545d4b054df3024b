using System.Globalization;
using System.Text;
using Rookery.Modules.DataForms;
using Rookery.Modules.Mam;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <content>Publishing (XEP-0060 §7.1) with publish options, retracting (§7.2) and retrieving items (§6.5).</content>
public sealed partial class PubsubService
{
    private async ValueTask<Outcome> PublishAsync(Jid from, Element publish, Element? publishOptions)
    {
        var node = NodeOf(publish);
        var config = await ConfigOfAsync(node);
        var affiliation = await AffiliationOfAsync(node, from);
        var subscribed = config.Publish == PublishModel.Subscribers && await IsSubscribedAsync(node, from);
        if (!NodeAccess.MayPublish(config, affiliation, subscribed))
        {
            // §7.1.3.
            throw PubsubErrors.Forbidden("Not allowed to publish to this node");
        }

        // §7.1.5: publish options are preconditions on the node's configuration; this service does not auto-create.
        if (ReadForm(publishOptions, NodeConfiguration.PublishOptionsFormType) is { } options &&
            config.UnmetPreconditions(options) is { Count: > 0 } unmet)
        {
            throw PubsubErrors.WithCondition(StanzaErrorCondition.Conflict, "precondition-not-met", "Node configuration does not match: " + string.Join(", ", unmet));
        }

        var item = SingleItem(publish, config);
        var payload = item is null ? null : PayloadOf(item, config);
        var id = item?.GetAttribute("id");
        if (string.IsNullOrEmpty(id))
        {
            // §7.1.2: the service generates an id for an item published without one.
            id = Guid.NewGuid().ToString("N");
        }

        if (config.PersistItems)
        {
            // An item of a persistent notification-only node may come without payload: it is stored as empty text.
            var stored = new PubsubItem(id, from.ToString(), _time.GetUtcNow(), payload?.Xml ?? string.Empty);
            if (await _nodes.PublishAsync(_service, node, stored, config.EffectiveMaxItems(_options.MaxItems)) is null)
            {
                // Deleted (from another cluster node perhaps) since it was read.
                throw PubsubErrors.NoSuchNode();
            }
        }

        Log.Published(_logger, from, node, _service, id);
        if (config.DeliverNotifications)
        {
            var notified = ItemElement(id, config.DeliverPayloads ? payload?.Element.Clone() : null, config, from, EventNamespace);
            await NotifySubscribersAsync(node, config, ItemsEvent(node, notified));
        }

        // §7.1.2: the result names the item, the id the service chose included.
        var result = new Element("pubsub", Namespace);
        result.AddChild("publish").SetAttribute("node", node).AddChild("item").SetAttribute("id", id);
        return result;
    }

    private async ValueTask<Outcome> RetractAsync(Jid from, Element retract)
    {
        var node = NodeOf(retract);
        var id = retract.Child("item", Namespace)?.GetAttribute("id");
        if (string.IsNullOrEmpty(id))
        {
            // §7.2.3 and §7.2.3: the item and its id are required.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "item-required");
        }

        var config = await ConfigOfAsync(node);
        if (!config.PersistItems)
        {
            // §7.2.3: a transient node keeps no item to retract.
            throw PubsubErrors.Unsupported("persistent-items");
        }

        var affiliation = await AffiliationOfAsync(node, from);
        var existing = await _nodes.GetItemsByIdAsync(_service, node, [id]);
        var ownItem = existing.Count == 1 && Jid.TryParse(existing[0].Publisher, out var publisher) && publisher.Bare == from.Bare;
        if (!NodeAccess.MayRetract(affiliation, ownItem))
        {
            // §7.2.3.
            throw PubsubErrors.Forbidden("Not allowed to retract this item");
        }

        if (existing.Count == 0 || !await _nodes.RetractAsync(_service, node, id))
        {
            // §7.2.3.
            throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound, "No such item");
        }

        // §7.2.2: notify="true" asks for a notification; otherwise the node's pubsub#notify_retract decides.
        var notify = retract.GetAttribute("notify") switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => config.NotifyRetract,
        };
        if (notify)
        {
            await NotifySubscribersAsync(node, config, ItemsEvent(node, new Element("retract", EventNamespace).SetAttribute("id", id)));
        }

        return null;
    }

    private async ValueTask<Outcome> RetrieveItemsAsync(Jid from, Element request, Element? rsmRequest)
    {
        var rsm = ResultSet.Parse(rsmRequest);
        var node = NodeOf(request);
        var config = await ConfigOfAsync(node);
        await RequireAccessAsync(node, config, from);
        if (request.GetAttribute("subid") is { } subId && !await HoldsSubscriptionAsync(node, from, subId))
        {
            // §6.5.9: a subid that is not one of the requester's subscriptions to the node.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.NotAcceptable, "invalid-subid");
        }

        if (!config.PersistItems)
        {
            // §6.5.9: a transient node keeps no items.
            throw PubsubErrors.Unsupported("persistent-items");
        }

        var ids = new List<string>();
        foreach (var child in request.Elements())
        {
            if (child.Name == "item" && child.Namespace == Namespace)
            {
                ids.Add(child.GetAttribute("id") is { Length: > 0 } id
                    ? id
                    : throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "item-required", "An item asked for needs its id"));
            }
        }

        IReadOnlyList<PubsubItem> items;
        if (ids.Count > 0 && rsmRequest is not null)
        {
            // Particular items are not a list to page through.
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Items asked for by id cannot be paged");
        }

        if (ids.Count > 0)
        {
            // §6.5.8: particular items.
            items = await _nodes.GetItemsByIdAsync(_service, node, ids);
        }
        else
        {
            // §6.5.7: the most recent max_items items.
            int? max = null;
            if (request.GetAttribute("max_items") is { } text)
            {
                max = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                    ? n
                    : throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "max_items must be a positive number");
            }

            items = await _nodes.GetItemsAsync(_service, node, max);
        }

        // Oldest first, the order they were published in.
        var ordered = new List<PubsubItem>(items.Count);
        for (var i = items.Count - 1; i >= 0; i--)
        {
            ordered.Add(items[i]);
        }

        Element? set = null;
        if (rsmRequest is not null)
        {
            // §6.5.4 with XEP-0059: a page of the (max_items most recent) items, by item id; the node holds at most the
            // service's MaxItems, so the page is cut from the whole list.
            (ordered, set) = ResultPage.Of(ordered, i => i.Id, rsm);
        }

        var result = new Element("pubsub", Namespace);
        var list = result.AddChild("items").SetAttribute("node", node);
        foreach (var stored in ordered)
        {
            if (ToElement(node, stored, config, Namespace) is { } item)
            {
                list.Add(item);
            }
        }

        if (set is not null)
        {
            result.Add(set);
        }

        return result;
    }

    /// <summary>
    /// §7.1.3: a publish carries at most one item; §7.1.3.6, by the node's event type: a persistent node needs an item
    /// (item-required), a node that delivers payloads needs a payload (payload-required), and a transient
    /// notification-only node takes no item at all (item-forbidden), its notifications naming a generated id.
    /// </summary>
    private static Element? SingleItem(Element publish, NodeConfiguration config)
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
                throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-payload", "A publish carries one item");
            }

            item = child;
        }

        if (item is null && config.PersistItems)
        {
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "item-required");
        }

        if (item is null && config.DeliverPayloads)
        {
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "payload-required");
        }

        if (item is not null && !config.PersistItems && !config.DeliverPayloads)
        {
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "item-forbidden", "This node takes publications without an item");
        }

        return item;
    }

    /// <summary>
    /// The payload of an item and its stored text: at most one element (§7.1.3.5), of the node's pubsub#type when it
    /// has one, within the size limit (§7.1.3.7); required where payloads are delivered (§7.1.3.6), optional on a
    /// persistent notification-only node (null when absent).
    /// </summary>
    private (Element Element, string Xml)? PayloadOf(Element item, NodeConfiguration config)
    {
        Element? payload = null;
        foreach (var child in item.Elements())
        {
            if (payload is not null)
            {
                throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-payload", "An item carries one payload element");
            }

            payload = child;
        }

        if (payload is null)
        {
            return config.DeliverPayloads ? throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "payload-required") : null;
        }

        if (config.PayloadType.Length > 0 && payload.Namespace != config.PayloadType)
        {
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-payload", $"This node takes payloads of namespace '{config.PayloadType}'");
        }

        // Checked to read back as the same element (not-acceptable otherwise) before the size limit applies.
        var xml = XmlDocuments.Serialize(payload, int.MaxValue);
        return Encoding.UTF8.GetByteCount(xml) > _options.MaxPayloadBytes
            ? throw PubsubErrors.WithCondition(StanzaErrorCondition.NotAcceptable, "payload-too-big", $"An item payload is at most {_options.MaxPayloadBytes} bytes")
            : (payload, xml);
    }

    /// <summary>An item as sent in results (pubsub namespace) or notifications (event namespace), or null when it no longer reads back.</summary>
    private Element? ToElement(string node, PubsubItem item, NodeConfiguration config, string ns)
    {
        Element? payload = null;
        try
        {
            // Empty text is an item stored without payload (a persistent notification-only node's).
            if (item.PayloadXml.Length > 0)
            {
                payload = XmlDocuments.Parse(item.PayloadXml);
            }
        }
        catch (FormatException e)
        {
            Log.UnreadableItem(_logger, e, node, _service, item.Id);
            return null;
        }

        return ItemElement(item.Id, payload, config, Jid.TryParse(item.Publisher, out var publisher) ? publisher : null, ns);
    }

    /// <summary>
    /// An item element; §7.1.2: with pubsub#itemreply set to publisher, it names its publisher (the bare JID, so
    /// that the publisher's resource does not leak).
    /// </summary>
    private static Element ItemElement(string id, Element? payload, NodeConfiguration config, Jid? publisher, string ns)
    {
        var item = new Element("item", ns).SetAttribute("id", id);
        if (config.ItemReply == "publisher" && publisher is not null)
        {
            item.SetAttribute("publisher", publisher.Bare.ToString());
        }

        if (payload is not null)
        {
            item.Add(payload);
        }

        return item;
    }
}
