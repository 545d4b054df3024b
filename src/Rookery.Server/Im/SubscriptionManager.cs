using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Server.Im;

/// <summary>
/// The presence subscription state machine of RFC 6121 §3, for both the user's outbound subscription stanzas and
/// inbound ones from contacts: every transition is persisted, pushed to interested resources, and routed on only
/// when it changes state, as §3.1–§3.3 require.
/// </summary>
public sealed class SubscriptionManager(RosterManager rosters, SessionTable sessions, Router router)
{
    private IRosterStore Store => rosters.Store;

    /// <summary>Handles a subscription presence (subscribe, subscribed, unsubscribe, unsubscribed) sent by a local user.</summary>
    public async ValueTask OutboundAsync(Jid user, Jid contact, Element presence, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(presence);
        var owner = user.Bare;
        contact = contact.Bare;
        var type = presence.GetAttribute("type");
        var route = false;
        var sendPresence = false;
        var sendUnavailable = false;
        using (await rosters.LockAsync(owner, ct).ConfigureAwait(false))
        {
            var item = await Store.GetItemAsync(owner.ToString(), contact.ToString(), ct).ConfigureAwait(false);
            var sub = item?.Subscription ?? Subscription.None;
            switch (type)
            {
                case "subscribe":
                    route = true; // §3.1.2: routed even when already subscribed; the contact's server answers.
                    if (!HasTo(sub) && item is not { PendingOut: true })
                    {
                        item = (item ?? NewItem(contact)) with { PendingOut = true };
                        await rosters.SetAndPushAsync(owner, item, ct).ConfigureAwait(false);
                    }

                    break;

                case "subscribed":
                    var pendingIn = await Store.RemovePendingInAsync(owner.ToString(), contact.ToString(), ct).ConfigureAwait(false);
                    // §3.1.5: approve only a pending request; pre-approval (§3.4) is not offered, so anything else is ignored.
                    if (pendingIn && !HasFrom(sub))
                    {
                        item = (item ?? NewItem(contact)) with { Subscription = sub | Subscription.From };
                        await rosters.SetAndPushAsync(owner, item, ct).ConfigureAwait(false);
                        route = true;
                        sendPresence = true;
                    }

                    break;

                case "unsubscribe":
                    if (item is not null && (HasTo(sub) || item.PendingOut))
                    {
                        item = item with { Subscription = sub & ~Subscription.To, PendingOut = false };
                        await rosters.SetAndPushAsync(owner, item, ct).ConfigureAwait(false);
                        route = true;
                    }

                    break;

                case "unsubscribed":
                    var denied = await Store.RemovePendingInAsync(owner.ToString(), contact.ToString(), ct).ConfigureAwait(false);
                    if (item is not null && HasFrom(sub))
                    {
                        item = item with { Subscription = sub & ~Subscription.From };
                        await rosters.SetAndPushAsync(owner, item, ct).ConfigureAwait(false);
                        route = true;
                        sendUnavailable = true;
                    }
                    else if (denied)
                    {
                        route = true;
                    }

                    break;
            }
        }

        if (route)
        {
            // §3.1.2: the user's server stamps the bare JID as the sender of subscription stanzas.
            var outbound = presence.Clone();
            await router.RouteAsync(outbound, owner, contact).ConfigureAwait(false);
        }

        if (sendPresence)
        {
            await SendCurrentPresenceAsync(owner, contact).ConfigureAwait(false);
        }

        if (sendUnavailable)
        {
            await SendUnavailableAsync(owner, contact).ConfigureAwait(false);
        }
    }

    /// <summary>Handles a subscription presence addressed to a local user (who exists).</summary>
    public async ValueTask InboundAsync(Stanza stanza, CancellationToken ct = default)
    {
        var owner = stanza.To.Bare;
        var contact = stanza.From.Bare;
        var type = stanza.Type;
        var deliver = false;
        var autoReply = false;
        var sendUnavailable = false;
        using (await rosters.LockAsync(owner, ct).ConfigureAwait(false))
        {
            var item = await Store.GetItemAsync(owner.ToString(), contact.ToString(), ct).ConfigureAwait(false);
            var sub = item?.Subscription ?? Subscription.None;
            switch (type)
            {
                case "subscribe":
                    if (HasFrom(sub))
                    {
                        // §3.1.3: already subscribed, so the server answers on the user's behalf.
                        autoReply = true;
                    }
                    else
                    {
                        var request = stanza.Element.Clone();
                        request.SetAttribute("from", contact.ToString());
                        request.SetAttribute("to", owner.ToString());
                        await Store.AddPendingInAsync(owner.ToString(), new PendingSubscription(contact.ToString(), request.ToString()), ct).ConfigureAwait(false);
                        deliver = true;
                    }

                    break;

                case "subscribed":
                    if (item is { PendingOut: true } && !HasTo(sub))
                    {
                        await rosters.SetAndPushAsync(owner, item with { Subscription = sub | Subscription.To, PendingOut = false }, ct).ConfigureAwait(false);
                        deliver = true;
                    }

                    break;

                case "unsubscribe":
                    var hadRequest = await Store.RemovePendingInAsync(owner.ToString(), contact.ToString(), ct).ConfigureAwait(false);
                    if (item is not null && HasFrom(sub))
                    {
                        await rosters.SetAndPushAsync(owner, item with { Subscription = sub & ~Subscription.From }, ct).ConfigureAwait(false);
                        deliver = true;
                        // §3.3.3: the sender unsubscribed, so it gets unavailable presence from each of the owner's available resources.
                        sendUnavailable = true;
                    }
                    else
                    {
                        deliver = hadRequest;
                    }

                    break;

                case "unsubscribed":
                    if (item is not null && (HasTo(sub) || item.PendingOut))
                    {
                        await rosters.SetAndPushAsync(owner, item with { Subscription = sub & ~Subscription.To, PendingOut = false }, ct).ConfigureAwait(false);
                        deliver = true;
                    }

                    break;
            }
        }

        if (autoReply)
        {
            await router.RouteAsync(new Element("presence", Ns.Client).SetAttribute("type", "subscribed"), owner, contact).ConfigureAwait(false);
            return;
        }

        if (deliver)
        {
            stanza.Element.SetAttribute("from", contact.ToString());
            DeliverToAvailable(owner, stanza.Element);
        }

        if (sendUnavailable)
        {
            await SendUnavailableAsync(owner, contact).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Removes a contact from the roster (RFC 6121 §2.5.2): cancels our subscription to it and its subscription to us,
    /// and forgets a pending request from it.
    /// </summary>
    public async ValueTask RemoveContactAsync(Jid user, Jid contact, CancellationToken ct = default)
    {
        var owner = user.Bare;
        contact = contact.Bare;
        bool sendUnsubscribe, sendUnsubscribed;
        using (await rosters.LockAsync(owner, ct).ConfigureAwait(false))
        {
            var item = await Store.GetItemAsync(owner.ToString(), contact.ToString(), ct).ConfigureAwait(false);
            var hadRequest = await Store.RemovePendingInAsync(owner.ToString(), contact.ToString(), ct).ConfigureAwait(false);
            if (item is null)
            {
                if (!hadRequest)
                {
                    throw new Protocol.Errors.StanzaErrorException(Protocol.Errors.StanzaErrorCondition.ItemNotFound);
                }

                sendUnsubscribe = false;
                sendUnsubscribed = true;
            }
            else
            {
                sendUnsubscribe = HasTo(item.Subscription) || item.PendingOut;
                sendUnsubscribed = HasFrom(item.Subscription) || hadRequest;
                await rosters.RemoveAndPushAsync(owner, contact.ToString(), ct).ConfigureAwait(false);
            }
        }

        if (sendUnsubscribe)
        {
            await router.RouteAsync(new Element("presence", Ns.Client).SetAttribute("type", "unsubscribe"), owner, contact).ConfigureAwait(false);
        }

        if (sendUnsubscribed)
        {
            await router.RouteAsync(new Element("presence", Ns.Client).SetAttribute("type", "unsubscribed"), owner, contact).ConfigureAwait(false);
            await SendUnavailableAsync(owner, contact).ConfigureAwait(false);
        }
    }

    /// <summary>Delivers a presence stanza addressed to a bare JID to each available resource (RFC 6121 §8.5.2.1.2).</summary>
    public void DeliverToAvailable(Jid owner, Element presence)
    {
        var targets = sessions.Sessions(owner.Bare);
        var first = true;
        foreach (var s in targets)
        {
            if (s.IsAvailable)
            {
                s.Send(first ? presence : presence.Clone());
                first = false;
            }
        }
    }

    private async ValueTask SendCurrentPresenceAsync(Jid owner, Jid contact)
    {
        foreach (var s in sessions.Sessions(owner))
        {
            if (s is { IsAvailable: true, Presence: { } p })
            {
                await router.RouteAsync(p.Clone(), s.Jid, contact).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask SendUnavailableAsync(Jid owner, Jid contact)
    {
        foreach (var s in sessions.Sessions(owner))
        {
            if (s.IsAvailable)
            {
                await router.RouteAsync(new Element("presence", Ns.Client).SetAttribute("type", "unavailable"), s.Jid, contact).ConfigureAwait(false);
            }
        }
    }

    private static RosterItem NewItem(Jid contact) => new(contact.ToString(), null, Subscription.None, false, []);

    private static bool HasTo(Subscription s) => (s & Subscription.To) != 0;

    private static bool HasFrom(Subscription s) => (s & Subscription.From) != 0;
}
