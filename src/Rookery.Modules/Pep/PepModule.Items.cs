using System.Globalization;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Storage;

namespace Rookery.Modules.Pep;

/// <content>Retrieving items (XEP-0060 §6.5) and the entity use cases for subscriptions and affiliations (§5.6, §5.7).</content>
public sealed partial class PepModule
{
    private async ValueTask<IqResult> ItemsAsync(IqContext iq, Element request)
    {
        var node = NodeOf(request);
        var owner = iq.To.Bare;
        // §6.5.9.11: a node that does not exist is item-not-found; access is checked before anything about items shows.
        var config = await ConfigOfAsync(owner, node, iq.Cancellation).ConfigureAwait(false)
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        await RequireAccessAsync(owner, iq.From, config, iq.Cancellation).ConfigureAwait(false);

        var ids = new List<string>();
        foreach (var child in request.Elements())
        {
            if (child.Name == "item" && child.Namespace == Namespace && child.GetAttribute("id") is { Length: > 0 } id)
            {
                ids.Add(id);
            }
        }

        IReadOnlyList<PubsubItem> items;
        if (ids.Count > 0)
        {
            // §6.5.8: particular items by id.
            items = await store.GetItemsByIdAsync(owner.ToString(), node, ids, iq.Cancellation).ConfigureAwait(false);
        }
        else
        {
            // §6.5.7: the most recent max_items items.
            int? max = null;
            if (request.GetAttribute("max_items") is { } text)
            {
                max = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    ? n
                    : throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "max_items must be a number");
            }

            items = await store.GetItemsAsync(owner.ToString(), node, max, iq.Cancellation).ConfigureAwait(false);
        }

        var result = new Element("pubsub", Namespace);
        var list = result.AddChild("items").SetAttribute("node", node);
        // Oldest first, the order they were published in.
        for (var i = items.Count - 1; i >= 0; i--)
        {
            if (ToElement(owner, node, items[i]) is { } item)
            {
                list.Add(item);
            }
        }

        return IqResult.With(result);
    }

    /// <summary>§5.6: subscriptions here are implicit (XEP-0163 §4), so the list of explicit ones is empty.</summary>
    private static IqResult Subscriptions(Element request)
    {
        var result = new Element("pubsub", Namespace);
        var list = result.AddChild("subscriptions");
        if (request.GetAttribute("node") is { } node)
        {
            list.SetAttribute("node", node);
        }

        return IqResult.With(result);
    }

    /// <summary>§5.7: the owner owns every node of its account; nobody else has an affiliation.</summary>
    private async ValueTask<IqResult> AffiliationsAsync(IqContext iq, Element request)
    {
        var result = new Element("pubsub", Namespace);
        var list = result.AddChild("affiliations");
        var only = request.GetAttribute("node");
        if (only is not null)
        {
            list.SetAttribute("node", only);
        }

        if (iq.IsSelf)
        {
            foreach (var node in await store.GetNodesAsync(iq.From.Bare.ToString(), iq.Cancellation).ConfigureAwait(false))
            {
                if (only is null || node.Name == only)
                {
                    list.AddChild("affiliation").SetAttribute("node", node.Name).SetAttribute("affiliation", "owner");
                }
            }
        }

        return IqResult.With(result);
    }

    /// <summary>An item as sent in results and notifications, or null when its stored payload no longer reads back.</summary>
    private Element? ToElement(Protocol.Addressing.Jid owner, string node, PubsubItem item, string ns = Namespace)
    {
        Element payload;
        try
        {
            payload = XmlDocuments.Parse(item.PayloadXml);
        }
        catch (FormatException e)
        {
            Log.UnreadableItem(logger, e, owner, node, item.Id);
            return null;
        }

        return ItemElement(item.Id, payload, ns);
    }

    private static Element ItemElement(string id, Element payload, string ns = EventNamespace)
    {
        var item = new Element("item", ns).SetAttribute("id", id);
        item.Add(payload);
        return item;
    }
}
