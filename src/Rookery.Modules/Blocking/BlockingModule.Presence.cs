using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Modules.Blocking;

/// <content>Presence when a block starts (XEP-0191 §3.3) or ends (§3.4, §3.5).</content>
public sealed partial class BlockingModule
{
    /// <summary>
    /// After a block: every newly blocked contact that may see the user's presence gets unavailable presence from each
    /// of the user's available resources (§3.3), as does an entity the blocking resource sent directed presence to; and
    /// the user's resources get unavailable presence from the blocked local contacts they see, whose later presence the
    /// block now drops (otherwise the user's clients would show them online for the rest of the session).
    /// </summary>
    private async ValueTask AnnounceBlockAsync(ILocalClientSession? current, Jid owner, BlockList before, BlockList after, CancellationToken ct)
    {
        var available = Available(owner);
        var notified = new HashSet<Jid>();
        if (available.Count > 0)
        {
            var roster = await rosters.GetAsync(owner.ToString(), ct).ConfigureAwait(false);
            foreach (var item in roster.Items)
            {
                if (!Jid.TryParse(item.Contact, out var contact) || !after.Blocks(contact) || before.Blocks(contact))
                {
                    continue;
                }

                // Only a contact allowed to receive the user's presence (RFC 6121 §4.2.2, a 'from' subscription).
                if ((item.Subscription & Subscription.From) != 0)
                {
                    notified.Add(contact);
                    foreach (var session in available)
                    {
                        await RouteExemptAsync(Unavailable(), session.Jid, contact).ConfigureAwait(false);
                    }
                }

                if ((item.Subscription & Subscription.To) != 0)
                {
                    HideFrom(contact, available);
                }
            }
        }

        // RFC 6121 §4.6.3: an entity that got directed presence would otherwise only hear of the resource's end, and the
        // block drops that unavailable presence. The resource's directed presence is read here because the block command
        // is handled on the resource's own processing loop; other resources' sets belong to their loops.
        if (current is null)
        {
            return;
        }

        List<Jid>? gone = null;
        foreach (var target in current.DirectedPresence)
        {
            if (after.Blocks(target) && !before.Blocks(target))
            {
                (gone ??= []).Add(target);
            }
        }

        if (gone is null)
        {
            return;
        }

        foreach (var target in gone)
        {
            current.DirectedPresence.Remove(target);
            if (!current.IsAvailable || !notified.Contains(target.Bare))
            {
                await RouteExemptAsync(Unavailable(), current.Jid, target).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// After an unblock: every contact no longer blocked that may see the user's presence gets the current presence of
    /// each available resource (§3.4), and the contacts the user is subscribed to are probed, so that the user's
    /// resources learn their current presence again.
    /// </summary>
    private async ValueTask AnnounceUnblockAsync(Jid owner, BlockList before, BlockList after, CancellationToken ct)
    {
        var available = Available(owner);
        if (available.Count == 0)
        {
            return;
        }

        var roster = await rosters.GetAsync(owner.ToString(), ct).ConfigureAwait(false);
        foreach (var item in roster.Items)
        {
            if (!Jid.TryParse(item.Contact, out var contact) || !before.Blocks(contact) || after.Blocks(contact))
            {
                continue;
            }

            if ((item.Subscription & Subscription.From) != 0)
            {
                foreach (var session in available)
                {
                    if (session.Presence is { } presence)
                    {
                        await router.RouteAsync(presence.Clone(), session.Jid, contact).ConfigureAwait(false);
                    }
                }
            }

            if ((item.Subscription & Subscription.To) != 0)
            {
                var probe = new Element("presence", Ns.Client).SetAttribute("type", "probe");
                await router.RouteAsync(probe, owner, contact).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Tells the user's available resources that the available resources of a local contact went offline.</summary>
    private void HideFrom(Jid contact, List<IClientSession> available)
    {
        if (!hosts.IsLocal(contact.Domain))
        {
            return;
        }

        foreach (var resource in sessions.Sessions(contact))
        {
            if (!resource.IsAvailable)
            {
                continue;
            }

            foreach (var session in available)
            {
                session.Send(Unavailable().SetAttribute("from", resource.Jid.ToString()).SetAttribute("to", session.Jid.ToString()));
            }
        }
    }

    /// <summary>Routes presence that the inbound hook must let through although its sender blocks its addressee.</summary>
    private ValueTask RouteExemptAsync(Element presence, Jid from, Jid to)
    {
        _exempt.AddOrUpdate(presence, Marker);
        return router.RouteAsync(presence, from, to);
    }

    private List<IClientSession> Available(Jid owner)
    {
        var available = new List<IClientSession>();
        foreach (var session in sessions.Sessions(owner))
        {
            if (session.IsAvailable)
            {
                available.Add(session);
            }
        }

        return available;
    }

    private static Element Unavailable() => new Element("presence", Ns.Client).SetAttribute("type", "unavailable");
}
