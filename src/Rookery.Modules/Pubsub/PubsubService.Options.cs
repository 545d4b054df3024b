using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <content>
/// Subscription options (XEP-0060 §6.3): a subscriber reads (§6.3.2) and submits (§6.3.5) the options of its own
/// subscription, naming it by subid when its JID holds several, and anyone reads the default options (§6.4). The options
/// are stored with the subscription, so a publish through any cluster node honours them (<see cref="SubscriptionOptions"/>).
/// </content>
public sealed partial class PubsubService
{
    /// <summary>§6.3.2: the options form of one of the requester's subscriptions.</summary>
    private async ValueTask<Outcome> GetOptionsAsync(Jid from, Element request)
    {
        var (_, subscription) = await OptionsSubjectAsync(from, request);
        var result = new Element("pubsub", Namespace);
        result.Add(OptionsElement(subscription, SubscriptionOptions.FromStored(subscription.Options), "form"));
        return result;
    }

    /// <summary>§6.3.5: new options for one of the requester's subscriptions, all checked before any is stored.</summary>
    private async ValueTask<Outcome> SubmitOptionsAsync(Jid from, Element request)
    {
        var form = ReadForm(request, SubscriptionOptions.FormType)
            ?? throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-options", "The options need a data form");
        var (node, subscription) = await OptionsSubjectAsync(from, request);
        var options = RequireHonourable(Jid.Parse(subscription.Jid), SubscriptionOptions.FromStored(subscription.Options).With(form));
        if (!await _members.SetOptionsAsync(_service, node, subscription.SubId, options.ToStored()))
        {
            // Removed meanwhile, by an unsubscribe or an owner through another cluster node.
            throw NotSubscribed();
        }

        return null;
    }

    /// <summary>§6.4: the options a new subscription gets, of the service or of one node.</summary>
    private async ValueTask<Outcome> DefaultOptionsAsync(Element request)
    {
        var node = request.GetAttribute("node");
        var result = new Element("pubsub", Namespace);
        var element = result.AddChild("default");
        if (node is not null)
        {
            await RequireNodeAsync(node);
            element.SetAttribute("node", node);
        }

        element.Add(SubscriptionOptions.Default.ToForm("form"));
        return result;
    }

    /// <summary>The node and the subscription an options request is about, with the errors of §6.3.4.</summary>
    private async ValueTask<(string Node, PubsubSubscription Subscription)> OptionsSubjectAsync(Jid from, Element request)
    {
        var node = NodeOf(request);
        var attribute = request.GetAttribute("jid");
        if (string.IsNullOrEmpty(attribute))
        {
            // §6.3.4.3: subscriber JID required.
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "jid-required");
        }

        if (!Jid.TryParse(attribute, out var jid))
        {
            throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-jid", $"'{attribute}' is not a JID");
        }

        if (jid.Bare != from.Bare)
        {
            // §6.3.4.1: only the subscriber's own options.
            throw PubsubErrors.Forbidden("The subscription is not the requester's");
        }

        await RequireNodeAsync(node);
        return (node, await TheSubscriptionAsync(node, jid, request.GetAttribute("subid")));
    }

    /// <summary>
    /// The options, unless they make delivery depend on the presence of a JID of another server, which this service does
    /// not see (it knows only its own host's sessions, on every cluster node): then bad-request with invalid-options.
    /// </summary>
    private SubscriptionOptions RequireHonourable(Jid subscriber, SubscriptionOptions options) =>
        options.ShowValues is null || _hosts.IsLocal(subscriber.Domain)
            ? options
            : throw PubsubErrors.WithCondition(
                StanzaErrorCondition.BadRequest, "invalid-options", "pubsub#show-values needs a JID of this server, whose presence the service knows");

    /// <summary><c>&lt;options node jid subid&gt;</c> with the options as a form of the given type (§6.3.2, §6.3.7).</summary>
    private static Element OptionsElement(PubsubSubscription subscription, SubscriptionOptions options, string formType)
    {
        var element = new Element("options", Namespace)
            .SetAttribute("node", subscription.Node)
            .SetAttribute("jid", subscription.Jid)
            .SetAttribute("subid", subscription.SubId);
        element.Add(options.ToForm(formType));
        return element;
    }
}
