using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;

namespace Rookery.Modules.Pep;

/// <content>The owner use cases (XEP-0060 §8): configure, default configuration, delete, purge, owner lists.</content>
public sealed partial class PepModule
{
    private async ValueTask<IqResult> GetConfigurationAsync(IqContext iq, Element request)
    {
        var node = NodeOf(request);
        var config = await ConfigOfAsync(iq.From.Bare, node, iq.Cancellation).ConfigureAwait(false)
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        // §8.2.1: the configuration as a form to fill in.
        var result = new Element("pubsub", OwnerNamespace);
        result.AddChild("configure").SetAttribute("node", node).Add(config.ToForm("form"));
        return IqResult.With(result);
    }

    private async ValueTask<IqResult> SetConfigurationAsync(IqContext iq, Element request)
    {
        var node = NodeOf(request);
        var form = NodeConfig.ReadForm(request, NodeConfig.FormType)
            ?? throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A configure request needs a data form");
        var owner = iq.From.Bare;
        using (await _locks.AcquireAsync(owner, iq.Cancellation).ConfigureAwait(false))
        {
            var current = await ConfigOfAsync(owner, node, iq.Cancellation).ConfigureAwait(false)
                ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
            var config = ValidConfig(current.With(form));
            if (!await store.ConfigureNodeAsync(owner.ToString(), node, config.ToStored(), iq.Cancellation).ConfigureAwait(false))
            {
                throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
            }

            // A smaller max_items (or persistence turned off) drops the oldest items at once, not at the next publish.
            await store.TrimAsync(owner.ToString(), node, config.EffectiveMaxItems(_options.MaxItems), iq.Cancellation).ConfigureAwait(false);
        }

        return IqResult.Empty;
    }

    /// <summary>§8.3: the configuration a new node gets.</summary>
    private static IqResult DefaultConfiguration()
    {
        var result = new Element("pubsub", OwnerNamespace);
        result.AddChild("default").Add(NodeConfig.Default.ToForm("form"));
        return IqResult.With(result);
    }

    private async ValueTask<IqResult> DeleteAsync(IqContext iq, Element request)
    {
        var node = NodeOf(request);
        var owner = iq.From.Bare;
        NodeConfig config;
        using (await _locks.AcquireAsync(owner, iq.Cancellation).ConfigureAwait(false))
        {
            config = await ConfigOfAsync(owner, node, iq.Cancellation).ConfigureAwait(false)
                ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
            if (!await store.DeleteNodeAsync(owner.ToString(), node, iq.Cancellation).ConfigureAwait(false))
            {
                throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
            }
        }

        // §8.4.2: those who got the node's notifications learn that it is gone.
        if (config.NotifyDelete)
        {
            var deleted = new Element("event", EventNamespace);
            deleted.AddChild("delete").SetAttribute("node", node);
            await NotifyAsync(owner, node, config, deleted, iq.Cancellation).ConfigureAwait(false);
        }

        await NodeChangedAsync(owner, node, PepNodeChange.Deleted, iq.Cancellation).ConfigureAwait(false);
        return IqResult.Empty;
    }

    private async ValueTask<IqResult> PurgeAsync(IqContext iq, Element request)
    {
        var node = NodeOf(request);
        var owner = iq.From.Bare;
        var config = await ConfigOfAsync(owner, node, iq.Cancellation).ConfigureAwait(false)
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        await store.TrimAsync(owner.ToString(), node, 0, iq.Cancellation).ConfigureAwait(false);
        // §8.5.2: subscribers learn of the purge as of a retraction, when retractions are notified.
        if (config.NotifyRetract)
        {
            var purged = new Element("event", EventNamespace);
            purged.AddChild("purge").SetAttribute("node", node);
            await NotifyAsync(owner, node, config, purged, iq.Cancellation).ConfigureAwait(false);
        }

        await NodeChangedAsync(owner, node, PepNodeChange.Purged, iq.Cancellation).ConfigureAwait(false);
        return IqResult.Empty;
    }

    /// <summary>§8.9.1: the owner is the node's only affiliate.</summary>
    private async ValueTask<IqResult> OwnerAffiliationsAsync(IqContext iq, Element request)
    {
        var node = NodeOf(request);
        _ = await ConfigOfAsync(iq.From.Bare, node, iq.Cancellation).ConfigureAwait(false)
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        var result = new Element("pubsub", OwnerNamespace);
        result.AddChild("affiliations").SetAttribute("node", node)
            .AddChild("affiliation").SetAttribute("jid", iq.From.Bare.ToString()).SetAttribute("affiliation", "owner");
        return IqResult.With(result);
    }

    /// <summary>§8.8.1: no explicit subscriptions are kept (XEP-0163 §4: they follow presence).</summary>
    private async ValueTask<IqResult> OwnerSubscriptionsAsync(IqContext iq, Element request)
    {
        var node = NodeOf(request);
        _ = await ConfigOfAsync(iq.From.Bare, node, iq.Cancellation).ConfigureAwait(false)
            ?? throw new StanzaErrorException(StanzaErrorCondition.ItemNotFound);
        var result = new Element("pubsub", OwnerNamespace);
        result.AddChild("subscriptions").SetAttribute("node", node);
        return IqResult.With(result);
    }
}
