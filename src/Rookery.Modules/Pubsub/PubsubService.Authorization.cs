using Microsoft.Extensions.Logging;
using Rookery.Modules.DataForms;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.Storage;

namespace Rookery.Modules.Pubsub;

/// <content>
/// Subscription approval by message (XEP-0060 §8.6): when a subscription becomes pending (authorize access model,
/// §6.1.4), each owner of the node gets a message with a <c>pubsub#subscribe_authorization</c> form; an owner answers
/// with the submitted form, allowing (the subscription becomes active) or denying (it is removed), and the subscriber is
/// told its new state (§8.6, §12.5). Everything is read from and written to the shared storage and every message goes
/// through the router, so the owner, the subscriber and the answering owner may each sit on any cluster node.
/// </content>
public sealed partial class PubsubService
{
    /// <summary>The FORM_TYPE of the approval form (§8.6, §16.4.4).</summary>
    public const string AuthorizationFormType = Namespace + "#subscribe_authorization";

    /// <summary>
    /// §8.6: an owner's answer to an approval request. A message carrying no approval form is refused as before this
    /// service took messages (service-unavailable); a cancelled form leaves the subscription pending. Errors go back to
    /// the owner as a message error (RFC 6120 §8.3), never lost silently.
    /// </summary>
    protected override async ValueTask HandleMessageAsync(Stanza stanza)
    {
        if (stanza.Type == "error")
        {
            // An owner's client refusing the approval request: nothing to answer (RFC 6120 §8.3.1).
            return;
        }

        try
        {
            if (stanza.To.Local is not null || stanza.To.Resource is not null || AuthorizationForm(stanza.Element) is not { } form)
            {
                await Router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable);
                return;
            }

            await AnswerApprovalAsync(stanza.From, form);
        }
        catch (StanzaErrorException e)
        {
            await Router.BounceAsync(stanza, e.Condition, e.Text, e.ApplicationCondition);
        }
    }

    /// <summary>The message's approval form: a data form whose FORM_TYPE is <see cref="AuthorizationFormType"/>, or null.</summary>
    private static DataForm? AuthorizationForm(Element message)
    {
        foreach (var child in message.Elements())
        {
            if (child.Name == "x" && child.Namespace == DataForm.Namespace && DataForm.Parse(child) is var form &&
                (form.FormType == AuthorizationFormType || (form.Type == "cancel" && form.FormType is null)))
            {
                // A cancelled form may carry no FORM_TYPE at all (§8.6 shows it with one; XEP-0004 §3.5 needs none).
                return form;
            }
        }

        return null;
    }

    private async ValueTask AnswerApprovalAsync(Jid owner, DataForm form)
    {
        if (form.Type == "cancel")
        {
            // §8.6: "If the owner cancels the Data Form, then the subscription request MUST remain in the pending state."
            return;
        }

        if (form.Type != "submit")
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "The approval form must be submitted or cancelled");
        }

        var node = form.Value("pubsub#node") ?? throw PubsubErrors.NodeIdRequired();
        var allow = form.Value("pubsub#allow") switch
        {
            "1" or "true" => true,
            "0" or "false" => false,
            _ => throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "pubsub#allow must be a boolean"),
        };
        var subId = form.Value("pubsub#subid");
        Jid? subscriber = null;
        if (form.Value("pubsub#subscriber_jid") is { } text)
        {
            subscriber = Jid.TryParse(text, out var parsed)
                ? parsed
                : throw PubsubErrors.WithCondition(StanzaErrorCondition.BadRequest, "invalid-jid", "pubsub#subscriber_jid is not a JID");
        }

        if (subId is null && subscriber is null)
        {
            // §8.6's own example names the subscriber without the subid; with neither, there is nothing to decide on.
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "The form names neither pubsub#subid nor pubsub#subscriber_jid");
        }

        // Owners only, as for every §8 use case; the node's existence first, then the privilege (as RequireOwnerAsync).
        var config = await RequireOwnerAsync(node, owner);
        var pending = await PendingSubscriptionAsync(node, subId, subscriber);
        if (allow)
        {
            // The pending flag is cleared in one conditional update: an owner answering through another cluster node at
            // the same time finds it no longer pending and is told so.
            if (!await _members.ApproveAsync(_service, node, pending.Jid))
            {
                throw NoPendingSubscription();
            }

            var approved = pending with { Pending = false };
            Log.SubscriptionApproved(_logger, owner, pending.Jid, node, _service);
            await NotifySubscriptionStateAsync(approved, "subscribed");
            if (config.SendsLastOnSubscribe)
            {
                // §6.1.7: the last item goes to a subscription once it is processed, which for a pending one is now.
                await SendLastItemAsync(node, config, approved, severalHeld: false);
            }
        }
        else
        {
            if (!await _members.UnsubscribeAsync(_service, node, pending.Jid, pending.SubId))
            {
                throw NoPendingSubscription();
            }

            Log.SubscriptionDenied(_logger, owner, pending.Jid, node, _service);
            await NotifySubscriptionStateAsync(pending, "none");
        }
    }

    /// <summary>
    /// The pending subscription the form is about: by its subid when given, which must then belong to the named
    /// subscriber if one is named; otherwise the subscriber's pending one (only a JID's first subscription waits, so it
    /// has at most one). item-not-found when there is none, including one an owner decided on already.
    /// </summary>
    private async ValueTask<PubsubSubscription> PendingSubscriptionAsync(string node, string? subId, Jid? subscriber)
    {
        var jid = subscriber?.ToString();
        foreach (var subscription in await _members.GetSubscriptionsAsync(_service, node))
        {
            if (subscription.Pending && (subId is null || subscription.SubId == subId) && (jid is null || subscription.Jid == jid))
            {
                return subscription;
            }
        }

        throw NoPendingSubscription();
    }

    private static StanzaErrorException NoPendingSubscription() =>
        new(StanzaErrorCondition.ItemNotFound, "No such pending subscription; it may have been decided on already");

    /// <summary>
    /// §8.6: asks every owner of the node to approve a pending subscription, with a message to the owner's bare JID
    /// (delivered to its resources wherever they are, or kept offline). Sent after the subscriber's result; a failure is
    /// logged, and the owners still see the subscription in their subscription list (§8.8.1) and may approve it there.
    /// </summary>
    private async ValueTask RequestApprovalAsync(string node, PubsubSubscription subscription)
    {
        foreach (var owner in OwnersIn(await _members.GetAffiliationsAsync(_service, node)))
        {
            try
            {
                await Router.RouteAsync(ApprovalRequest(node, subscription), Domain, Jid.Parse(owner));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ApprovalRequestFailed(_logger, e, owner, node, _service);
            }
        }
    }

    /// <summary>The approval request of §8.6 (Example 177) with the subid (§16.4.4), the form's allow field false.</summary>
    private static Element ApprovalRequest(string node, PubsubSubscription subscription)
    {
        var form = new DataForm("form")
        {
            Title = "PubSub subscriber request",
            Instructions = "To approve this entity's subscription request, submit the form with allow true; to deny it, with allow false.",
        }.WithFormType(AuthorizationFormType);
        form.AddField("pubsub#subid", "hidden").Values.Add(subscription.SubId);
        form.AddField("pubsub#node", "text-single", "Node ID").Values.Add(node);
        form.AddField("pubsub#subscriber_jid", "jid-single", "Subscriber Address").Values.Add(subscription.Jid);
        form.AddField("pubsub#allow", "boolean", "Allow this JID to subscribe to this pubsub node?").Values.Add("false");

        // The id lets the owner's answer reflect it (§8.6); the service matches answers by the form, not by the id.
        var message = new Element("message", Ns.Client).SetAttribute("id", "approve-" + subscription.SubId);
        // §8.6 allows a body, which clients without data forms show, and which offline storage keeps.
        message.AddChild("body").AddText($"{subscription.Jid} asks to subscribe to the node '{node}'. Answer with the attached form.");
        message.Add(form.ToElement());
        return message;
    }

    /// <summary>§8.6 (Examples 179, 181), §12.5: tells the subscriber the new state of its subscription.</summary>
    private async ValueTask NotifySubscriptionStateAsync(PubsubSubscription subscription, string state)
    {
        if (!Jid.TryParse(subscription.Jid, out var to))
        {
            return;
        }

        var evt = new Element("event", EventNamespace);
        evt.AddChild("subscription").SetAttribute("node", subscription.Node).SetAttribute("jid", subscription.Jid)
            .SetAttribute("subscription", state).SetAttribute("subid", subscription.SubId);
        var message = new Element("message", Ns.Client).SetAttribute("id", Guid.NewGuid().ToString("N"));
        message.Add(evt);
        await Router.RouteAsync(message, Domain, to);
    }
}
