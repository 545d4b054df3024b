using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;

namespace Rookery.Modules.Pubsub;

/// <content>Node creation (XEP-0060 §8.1) and the owner's node use cases: configure (§8.2), default (§8.3), delete (§8.4), purge (§8.5).</content>
public sealed partial class PubsubService
{
    private async ValueTask<Outcome> CreateAsync(Jid from, Element create, Element? configure)
    {
        RequireCreator(from);
        var requested = create.GetAttribute("node");
        if (requested is { Length: > MaxNodeNameLength })
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"A node name is at most {MaxNodeNameLength} characters");
        }

        // §8.1.3: the configure element comes with the create request (empty when the default configuration suits).
        var form = ReadForm(configure, NodeConfiguration.FormType);
        var config = form is null ? NodeConfiguration.Default : WithinLimits(NodeConfiguration.Default.With(form));
        var owner = from.Bare;
        var owned = 0;
        foreach (var affiliation in await _members.GetAffiliationsOfAsync(_service, owner.ToString()))
        {
            owned += affiliation.Affiliation == "owner" ? 1 : 0;
        }

        if (owned >= _options.MaxNodesPerOwner)
        {
            throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"An account may own at most {_options.MaxNodesPerOwner} nodes here");
        }

        // §8.1.2: an instant node (no name asked for) gets a unique name from the service.
        var node = string.IsNullOrEmpty(requested) ? Guid.NewGuid().ToString("N") : requested;
        if (!await _members.CreateNodeAsync(_service, node, config.ToStored(), owner.ToString()))
        {
            // §8.1.3: the node exists already.
            throw new StanzaErrorException(StanzaErrorCondition.Conflict, "The node exists");
        }

        Log.NodeCreated(_logger, owner, node, _service);
        if (!string.IsNullOrEmpty(requested))
        {
            // §8.1.2: a node created with the name asked for needs no payload in the result.
            return null;
        }

        var result = new Element("pubsub", Namespace);
        result.AddChild("create").SetAttribute("node", node);
        return result;
    }

    /// <summary>
    /// §8.1.3: who may create nodes: the host's accounts (or only its admins), never an anonymous account or a user of
    /// another server (forbidden).
    /// </summary>
    private void RequireCreator(Jid from)
    {
        if (from.Local is null || !string.Equals(from.Domain, _host, StringComparison.Ordinal))
        {
            throw PubsubErrors.Forbidden($"Only users of {_host} may create nodes here");
        }

        // The service runs on every node of a cluster and a client's stanzas reach the instance of its own node, so a
        // local user's session is in this node's table.
        if (_sessions.Find(from) is ClientSession { IsAnonymous: true })
        {
            throw PubsubErrors.Forbidden("Anonymous users may not create nodes");
        }

        if (_options.NodeCreation == NodeCreation.Admins && !_hosts.IsAdmin(from, _host))
        {
            throw PubsubErrors.Forbidden("Only administrators may create nodes here");
        }
    }

    private async ValueTask<Outcome> GetConfigurationAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        var config = await RequireOwnerAsync(node, from);
        // §8.2.2: the configuration as a form to fill in.
        var result = new Element("pubsub", OwnerNamespace);
        result.AddChild("configure").SetAttribute("node", node).Add(config.ToForm("form"));
        return result;
    }

    private async ValueTask<Outcome> SetConfigurationAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        var current = await RequireOwnerAsync(node, from);
        var form = ReadForm(request, NodeConfiguration.FormType, allowCancel: true)
            ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A configure request needs a data form");
        if (form.Type == "cancel")
        {
            // §8.2.5: the owner cancelled; nothing changes.
            return null;
        }

        var config = WithinLimits(current.With(form));
        if (!await _nodes.ConfigureNodeAsync(_service, node, config.ToStored()))
        {
            throw PubsubErrors.NoSuchNode();
        }

        // A smaller max_items drops the oldest items at once, not at the next publication; a transient node keeps none.
        await _nodes.TrimAsync(_service, node, config.PersistItems ? config.EffectiveMaxItems(_options.MaxItems) : 0);
        if (config.NotifyConfig)
        {
            // §8.2.5: subscribers learn of the change, with the new configuration when payloads are delivered.
            var changed = new Element("event", EventNamespace);
            var configuration = changed.AddChild("configuration").SetAttribute("node", node);
            if (config.DeliverPayloads)
            {
                configuration.Add(config.ToForm("result"));
            }

            await NotifySubscribersAsync(node, config, changed);
        }

        return null;
    }

    /// <summary>§8.3: the configuration a new leaf node gets; collections (XEP-0248) are not implemented.</summary>
    private static Element DefaultConfiguration(Element request)
    {
        if (request.GetAttribute("type") is { } type && type != "leaf")
        {
            throw PubsubErrors.Unsupported("collections");
        }

        var result = new Element("pubsub", OwnerNamespace);
        result.AddChild("default").Add(NodeConfiguration.Default.ToForm("form"));
        return result;
    }

    private async ValueTask<Outcome> DeleteAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        var config = await RequireOwnerAsync(node, from);
        // Read before the rows go with the node.
        var subscriptions = await _members.GetSubscriptionsAsync(_service, node);
        var affiliations = await _members.GetAffiliationsAsync(_service, node);
        if (!await _nodes.DeleteNodeAsync(_service, node))
        {
            throw PubsubErrors.NoSuchNode();
        }

        Log.NodeDeleted(_logger, from.Bare, node, _service);
        if (config.NotifyDelete)
        {
            // §8.4.2: every subscriber learns that the node is gone, and where to go instead when the owner said.
            var deleted = new Element("event", EventNamespace);
            var delete = deleted.AddChild("delete").SetAttribute("node", node);
            if (request.Child("redirect", OwnerNamespace)?.GetAttribute("uri") is { Length: > 0 } uri)
            {
                delete.AddChild("redirect").SetAttribute("uri", uri);
            }

            await NotifyAsync(subscriptions, affiliations, config, deleted);
        }

        return null;
    }

    private async ValueTask<Outcome> PurgeAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        var config = await RequireOwnerAsync(node, from);
        if (!config.PersistItems)
        {
            // §8.5.3: a transient node has no items to purge.
            throw PubsubErrors.Unsupported("persistent-items");
        }

        await _nodes.TrimAsync(_service, node, 0);
        if (config.NotifyRetract)
        {
            // §8.5.2: one purge notification rather than a retraction per item.
            var purged = new Element("event", EventNamespace);
            purged.AddChild("purge").SetAttribute("node", node);
            await NotifySubscribersAsync(node, config, purged);
        }

        return null;
    }

    /// <summary>A configuration within this service's limits: a max_items beyond them is not-acceptable (§8.2.5).</summary>
    private NodeConfiguration WithinLimits(NodeConfiguration config) =>
        config.MaxItems > _options.MaxItems
            ? throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, $"pubsub#max_items is at most {_options.MaxItems} here")
            : config;
}
