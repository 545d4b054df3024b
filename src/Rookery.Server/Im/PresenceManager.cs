using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Routing;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Server.Im;

/// <summary>
/// Presence (RFC 6121 §4): broadcast of a resource's availability to subscribed contacts and to the account's own
/// resources, probes at initial presence and their answers, directed presence, and unavailable presence when a
/// resource goes away. Subscription stanzas are handed to the <see cref="SubscriptionManager"/>. When a resource goes
/// from available to unavailable, the time and status are recorded for last activity queries (XEP-0012).
/// </summary>
public sealed class PresenceManager(
    SessionTable sessions,
    RosterManager rosters,
    SubscriptionManager subscriptions,
    OfflineStorage offline,
    ILastActivityStore lastActivity,
    TimeProvider time,
    Router router)
{
    /// <summary>Handles a presence stanza sent by a local client (already stamped with its full JID).</summary>
    public async ValueTask OutboundAsync(ILocalClientSession session, Element presence, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(presence);
        var type = presence.GetAttribute("type");
        var toAttr = presence.GetAttribute("to");
        Jid? to = null;
        if (toAttr is not null && !Jid.TryParse(toAttr, out to))
        {
            throw new StanzaErrorException(StanzaErrorCondition.JidMalformed);
        }

        switch (type)
        {
            case "subscribe" or "subscribed" or "unsubscribe" or "unsubscribed":
                if (to is null)
                {
                    throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Subscription presence needs a 'to'");
                }

                await subscriptions.OutboundAsync(session.Jid, to, presence, ct).ConfigureAwait(false);
                return;

            case "probe":
                // Clients have no business probing (RFC 6121 §4.3): the server probes on their behalf.
                return;

            case "error":
                if (to is not null)
                {
                    await router.RouteAsync(new Stanza(presence, session.Jid, to)).ConfigureAwait(false);
                }

                return;

            case null or "unavailable":
                break;

            default:
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Unknown presence type");
        }

        if (to is not null)
        {
            await DirectedAsync(session, presence, to, type is null).ConfigureAwait(false);
        }
        else if (type is null)
        {
            await BroadcastAvailableAsync(session, presence, ct).ConfigureAwait(false);
        }
        else
        {
            await BroadcastUnavailableAsync(session, presence, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Sends unavailable presence for a resource whose stream ended without saying so.</summary>
    public ValueTask SessionClosedAsync(ILocalClientSession session, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.IsAvailable && session.DirectedPresence.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        var unavailable = new Element("presence", Ns.Client).SetAttribute("type", "unavailable");
        unavailable.SetAttribute("from", session.Jid.ToString());
        return BroadcastUnavailableAsync(session, unavailable, ct);
    }

    /// <summary>Handles presence addressed to a local account that exists.</summary>
    public async ValueTask InboundAsync(Stanza stanza, CancellationToken ct = default)
    {
        switch (stanza.Type)
        {
            case "subscribe" or "subscribed" or "unsubscribe" or "unsubscribed":
                await subscriptions.InboundAsync(stanza, ct).ConfigureAwait(false);
                return;
            case "probe":
                await AnswerProbeAsync(stanza, ct).ConfigureAwait(false);
                return;
        }

        if (stanza.To.IsBare)
        {
            subscriptions.DeliverToAvailable(stanza.To, stanza.Element);
        }
        else
        {
            // RFC 6121 §8.5.3.2.2: presence for a resource that is not online is silently ignored.
            sessions.Find(stanza.To)?.Send(stanza.Element);
        }
    }

    private async ValueTask BroadcastAvailableAsync(ILocalClientSession session, Element presence, CancellationToken ct)
    {
        var initial = !session.IsAvailable;
        var previousPriority = session.Priority;
        var priority = ParsePriority(presence);
        session.SetPresence(presence, priority);
        sessions.Changed(session);
        // XEP-0160 §2: stored messages go to the resource that next sends non-negative available presence, which is
        // either its initial presence or the first one that raises a negative priority to zero or more.
        var owner = session.Jid.Bare;
        var deliverOffline = priority >= 0 && (initial || previousPriority < 0) && !FlexibleOfflineChosen(owner);
        var roster = await rosters.Store.GetAsync(owner.ToString(), ct).ConfigureAwait(false);

        // RFC 6121 §4.2.2: to every contact with a 'from' subscription, and to all of the account's available resources.
        foreach (var item in roster.Items)
        {
            if ((item.Subscription & Subscription.From) != 0 && Jid.TryParse(item.Contact, out var contact))
            {
                await router.RouteAsync(new Stanza(WithTo(presence, contact), session.Jid, contact)).ConfigureAwait(false);
            }
        }

        foreach (var s in sessions.Sessions(owner))
        {
            if (s.IsAvailable)
            {
                s.Send(WithTo(presence, s.Jid));
            }
        }

        if (!initial)
        {
            if (deliverOffline)
            {
                await offline.DeliverAsync(session, ct).ConfigureAwait(false);
            }

            return;
        }

        // The new resource learns of the account's other available resources, here or on other nodes, as it learns of
        // its contacts' through the probes below (what Prosody and ejabberd do: a client shows the user's other devices).
        foreach (var other in sessions.Sessions(owner))
        {
            if (other != session && other is { IsAvailable: true, Presence: { } current })
            {
                await router.RouteAsync(WithTo(current, session.Jid), other.Jid, session.Jid).ConfigureAwait(false);
            }
        }

        // §4.2.1: probe every contact the user is subscribed to, so that their current presence comes back.
        foreach (var item in roster.Items)
        {
            if ((item.Subscription & Subscription.To) != 0 && Jid.TryParse(item.Contact, out var contact))
            {
                var probe = new Element("presence", Ns.Client).SetAttribute("type", "probe");
                await router.RouteAsync(probe, owner, contact).ConfigureAwait(false);
            }
        }

        // §3.1.3: subscription requests that arrived while offline are delivered at the next login.
        foreach (var request in await rosters.Store.GetPendingInAsync(owner.ToString(), ct).ConfigureAwait(false))
        {
            session.Send(StoredStanza.Parse(request.StanzaXml));
        }

        if (deliverOffline)
        {
            await offline.DeliverAsync(session, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// XEP-0013 §2.2: once a resource asked for the offline message node or sent an offline command, neither it nor
    /// another resource of the account that comes online while it is connected gets the flood; the flag is replicated,
    /// so resources on other cluster nodes count too.
    /// </summary>
    private bool FlexibleOfflineChosen(Jid owner)
    {
        foreach (var s in sessions.Sessions(owner))
        {
            if (s.FlexibleOffline)
            {
                return true;
            }
        }

        return false;
    }

    private async ValueTask BroadcastUnavailableAsync(ILocalClientSession session, Element presence, CancellationToken ct)
    {
        var wasAvailable = session.IsAvailable;
        session.SetPresence(null, 0);
        sessions.Changed(session);
        var owner = session.Jid.Bare;
        if (wasAvailable)
        {
            // XEP-0012 §4: the time of the last logout and the status of that unavailable presence. Recorded before the
            // broadcast, so that a contact who sees the user go offline and asks at once gets this logout.
            var status = presence.ChildText("status", presence.Namespace) ?? string.Empty;
            await lastActivity.SetAsync(owner.ToString(), new LastActivity(time.GetUtcNow(), status), ct).ConfigureAwait(false);
            var roster = await rosters.Store.GetAsync(owner.ToString(), ct).ConfigureAwait(false);
            foreach (var item in roster.Items)
            {
                if ((item.Subscription & Subscription.From) != 0 && Jid.TryParse(item.Contact, out var contact))
                {
                    session.DirectedPresence.Remove(contact);
                    await router.RouteAsync(new Stanza(WithTo(presence, contact), session.Jid, contact)).ConfigureAwait(false);
                }
            }

            foreach (var s in sessions.Sessions(owner))
            {
                if (s.IsAvailable && s != session)
                {
                    s.Send(WithTo(presence, s.Jid));
                }
            }
        }

        // §4.6.3: everyone who got directed presence learns that the resource is gone.
        foreach (var target in session.DirectedPresence)
        {
            await router.RouteAsync(new Stanza(WithTo(presence, target), session.Jid, target)).ConfigureAwait(false);
        }

        session.DirectedPresence.Clear();
    }

    private async ValueTask DirectedAsync(ILocalClientSession session, Element presence, Jid to, bool available)
    {
        if (available)
        {
            session.DirectedPresence.Add(to);
        }
        else
        {
            session.DirectedPresence.Remove(to);
        }

        await router.RouteAsync(new Stanza(presence, session.Jid, to)).ConfigureAwait(false);
    }

    private async ValueTask AnswerProbeAsync(Stanza probe, CancellationToken ct)
    {
        var owner = probe.To.Bare;
        var prober = probe.From.Bare;
        if (prober == owner)
        {
            return;
        }

        // RFC 6121 §4.3.2: answer only contacts with a 'from' subscription; others learn nothing.
        var item = await rosters.Store.GetItemAsync(owner.ToString(), prober.ToString(), ct).ConfigureAwait(false);
        if (item is null || (item.Subscription & Subscription.From) == 0)
        {
            return;
        }

        var any = false;
        foreach (var s in sessions.Sessions(owner))
        {
            if (s is { IsAvailable: true, Presence: { } p })
            {
                any = true;
                await router.RouteAsync(new Stanza(WithTo(p, probe.From), s.Jid, probe.From)).ConfigureAwait(false);
            }
        }

        if (!any)
        {
            await router.RouteAsync(new Element("presence", Ns.Client).SetAttribute("type", "unavailable"), owner, probe.From).ConfigureAwait(false);
        }
    }

    /// <summary>A copy of a presence for one recipient: fan-out must not share an element whose 'to' differs.</summary>
    private static Element WithTo(Element presence, Jid to)
    {
        var copy = presence.Clone();
        copy.SetAttribute("to", to.ToString());
        return copy;
    }

    /// <summary>RFC 6121 §4.7.2.3: an integer from -128 to +127; absent or invalid means 0.</summary>
    private static int ParsePriority(Element presence)
    {
        var text = presence.ChildText("priority", presence.Namespace);
        return text is not null && int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p)
            ? Math.Clamp(p, -128, 127)
            : 0;
    }
}
