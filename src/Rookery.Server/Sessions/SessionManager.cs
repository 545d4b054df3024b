using Rookery.Protocol.Errors;
using Rookery.Server.Im;
using Rookery.Server.Modules;
using Rookery.Server.Routing;
using Rookery.Storage;

namespace Rookery.Server.Sessions;

/// <summary>
/// The third routing module (seed 000): stanzas for local accounts. Picks the resources that get a message by
/// presence and priority (RFC 6121 §8.5), stores it offline when none is available, and bounces what cannot be
/// delivered; presence goes to the <see cref="PresenceManager"/>, iq to a bare JID to the modules.
/// </summary>
public sealed class SessionManager(
    SessionTable sessions,
    IAccountStore accounts,
    PresenceManager presence,
    OfflineStorage offline,
    ModuleRegistry modules,
    Router router)
{
    /// <summary>Routes a stanza whose addressee has a local part on one of our hosts.</summary>
    public ValueTask RouteAsync(Stanza stanza, CancellationToken ct = default) =>
        modules.HasHooks(HookPoint.Inbound) ? RouteAfterHooksAsync(stanza, ct) : RouteNowAsync(stanza, ct);

    private async ValueTask RouteAfterHooksAsync(Stanza stanza, CancellationToken ct)
    {
        if (await modules.RunHooksAsync(HookPoint.Inbound, stanza.To.Domain, stanza, null, ct).ConfigureAwait(false) == HookResult.Continue)
        {
            await RouteNowAsync(stanza, ct).ConfigureAwait(false);
        }
    }

    private ValueTask RouteNowAsync(Stanza stanza, CancellationToken ct) => stanza.Name switch
    {
        "message" => RouteMessageAsync(stanza, ct),
        "presence" => RoutePresenceAsync(stanza, ct),
        "iq" => RouteIqAsync(stanza, ct),
        _ => ValueTask.CompletedTask,
    };

    private async ValueTask RouteMessageAsync(Stanza stanza, CancellationToken ct)
    {
        var type = stanza.Type ?? "normal";
        if (!stanza.To.IsBare)
        {
            var target = sessions.Find(stanza.To);
            if (target is not null && target.Send(stanza.Element))
            {
                if (modules.HasDeliveredHooks)
                {
                    var deliveredTo = DeliveredToOne.Rent(target);
                    try
                    {
                        modules.MessageDelivered(stanza, deliveredTo);
                    }
                    finally
                    {
                        DeliveredToOne.Return(deliveredTo);
                    }
                }

                return;
            }

            // RFC 6121 §8.5.3.2.1: only chat to a full JID with no such resource is handled as if sent to the bare JID.
            // Normal and groupchat MUST be ignored or answered with an error, never handed to another resource: the
            // sender learns with service-unavailable that the resource it addressed is gone. Headline and error are
            // silently dropped.
            switch (type)
            {
                case "normal" or "groupchat":
                    await router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
                    return;
                case "headline" or "error":
                    return;
            }
        }

        var all = sessions.Sessions(stanza.To.Bare);
        if (stanza.To.IsBare)
        {
            // §8.5.2.1.1 and §8.5.2.2.1: a groupchat message to a user's bare JID is an error; an error message to it is
            // silently ignored (it answers nothing the account sent from its bare JID, and may not be answered itself).
            switch (type)
            {
                case "groupchat":
                    await router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
                    return;
                case "error":
                    return;
            }
        }

        // §8.5.2.1.1: the available resources of non-negative priority; chat and normal go to the highest of them.
        var best = int.MinValue;
        foreach (var s in all)
        {
            if (s.IsAvailable && s.Priority >= 0 && s.Priority > best)
            {
                best = s.Priority;
            }
        }

        if (best != int.MinValue)
        {
            var delivered = false;
            List<IClientSession>? deliveredTo = modules.HasDeliveredHooks ? new(all.Length) : null;
            foreach (var s in all)
            {
                var eligible = s.IsAvailable && s.Priority >= 0 && (type == "headline" || s.Priority == best);
                if (eligible && s.Send(delivered ? stanza.Element.Clone() : stanza.Element))
                {
                    delivered = true;
                    deliveredTo?.Add(s);
                }
            }

            if (delivered)
            {
                if (deliveredTo is not null)
                {
                    modules.MessageDelivered(stanza, deliveredTo);
                }

                return;
            }
        }

        if (all.Length == 0 && !await accounts.ExistsAsync(stanza.To.Domain, stanza.To.Local!, ct).ConfigureAwait(false))
        {
            await router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
            return;
        }

        // §8.5.2.2.1: headline and error messages are not stored; chat and normal are.
        if (type is "headline" or "error")
        {
            return;
        }

        if (!await offline.TryStoreAsync(stanza, ct).ConfigureAwait(false))
        {
            await router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable, "Offline message storage is full").ConfigureAwait(false);
            return;
        }

        if (modules.HasWaitingHooks)
        {
            // Stored, so durable: now it may wake the user's devices (XEP-0357).
            modules.MessageWaiting(new WaitingMessage(stanza.Element, stanza.From, stanza.To, Session: null, Hibernation: 0));
        }
    }

    private async ValueTask RoutePresenceAsync(Stanza stanza, CancellationToken ct)
    {
        if (sessions.Sessions(stanza.To.Bare).Length == 0 && !await accounts.ExistsAsync(stanza.To.Domain, stanza.To.Local!, ct).ConfigureAwait(false))
        {
            // RFC 6121 §8.5.1: presence to an account that does not exist is silently ignored, whatever its type
            // (subscription requests included; for a probe, ignoring is one of the two allowed answers).
            return;
        }

        await presence.InboundAsync(stanza, ct).ConfigureAwait(false);
    }

    private async ValueTask RouteIqAsync(Stanza stanza, CancellationToken ct)
    {
        if (!stanza.To.IsBare)
        {
            var target = sessions.Find(stanza.To);
            if (target is not null && target.Send(stanza.Element))
            {
                return;
            }

            // RFC 6121 §8.5.3.2.1: an iq for a resource that is not online gets service-unavailable.
            await router.BounceAsync(stanza, StanzaErrorCondition.ServiceUnavailable).ConfigureAwait(false);
            return;
        }

        var isSelf = stanza.From.Bare == stanza.To;
        if (!isSelf && sessions.Sessions(stanza.To).Length == 0 &&
            !await accounts.ExistsAsync(stanza.To.Domain, stanza.To.Local!, ct).ConfigureAwait(false))
        {
            // RFC 6121 §8.5.1: service-unavailable, which the modules give for every request not registered for absent
            // accounts; the few that are answer as their protocol says (XEP-0030 §8: an empty disco#items result).
            await modules.DispatchIqAsync(stanza, IqTarget.AbsentAccount, null, router, ct).ConfigureAwait(false);
            return;
        }

        // An iq to a bare JID is answered by the server on behalf of the account (RFC 6121 §8.5.2.1.3).
        var session = isSelf ? sessions.Find(stanza.From) : null;
        await modules.DispatchIqAsync(stanza, IqTarget.Bare, session, router, ct).ConfigureAwait(false);
    }
}
