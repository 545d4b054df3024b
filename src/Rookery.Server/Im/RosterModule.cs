using System.Globalization;
using Rookery.Protocol.Addressing;
using Rookery.Protocol.Errors;
using Rookery.Protocol.Xml;
using Rookery.Server.Modules;
using Rookery.Server.Sessions;
using Rookery.Storage;

namespace Rookery.Server.Im;

/// <summary>
/// Roster management (RFC 6121 §2) with roster versioning (XEP-0237): get, add/update, and remove, which also
/// cancels the subscriptions in both directions.
/// </summary>
public sealed class RosterModule(RosterManager rosters, SubscriptionManager subscriptions, SessionTable sessions) : IXmppModule
{
    /// <inheritdoc />
    public string Name => "roster";

    /// <inheritdoc />
    public void Configure(IModuleBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // The XEP-0030 registrar's name for roster management: clients and test suites (Smack's SINT) look for it in
        // the server's disco#info before relying on roster semantics, as Prosody and Openfire advertise it.
        builder.AddFeature(Ns.Roster);
        builder.AddStreamFeature("ver", Ns.RosterVer);
        builder.HandleIq(IqType.Get, IqTarget.Bare, Ns.Roster, "query", GetAsync);
        builder.HandleIq(IqType.Set, IqTarget.Bare, Ns.Roster, "query", SetAsync);
    }

    private async ValueTask<IqResult> GetAsync(IqContext iq)
    {
        // RFC 6121 §2.1.5: only the account itself may read its roster.
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        if (iq.Session is ILocalClientSession { IsInterested: false } local)
        {
            local.MarkInterested();
            sessions.Changed(local);
        }
        var roster = await rosters.Store.GetAsync(iq.From.Bare.ToString(), iq.Cancellation).ConfigureAwait(false);
        var version = roster.Version.ToString(CultureInfo.InvariantCulture);
        // XEP-0237 §4: an unchanged roster is answered with an empty result; changes then arrive as pushes.
        if (iq.Payload.GetAttribute("ver") == version)
        {
            return IqResult.Empty;
        }

        var query = new Element("query", Ns.Roster).SetAttribute("ver", version);
        foreach (var item in roster.Items)
        {
            query.Add(RosterManager.ToElement(item));
        }

        return IqResult.With(query);
    }

    private async ValueTask<IqResult> SetAsync(IqContext iq)
    {
        if (!iq.IsSelf)
        {
            throw new StanzaErrorException(StanzaErrorCondition.Forbidden);
        }

        // RFC 6121 §2.3.3: a roster set carries exactly one item.
        Element? item = null;
        foreach (var child in iq.Payload.Elements())
        {
            if (item is not null || child.Name != "item" || child.Namespace != Ns.Roster)
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A roster set must contain exactly one item");
            }

            item = child;
        }

        if (item is null)
        {
            throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "A roster set must contain exactly one item");
        }

        if (!Jid.TryParse(item.GetAttribute("jid"), out var contact))
        {
            throw new StanzaErrorException(StanzaErrorCondition.JidMalformed);
        }

        contact = contact.Bare;
        var owner = iq.From.Bare;
        if (item.GetAttribute("subscription") == "remove")
        {
            await subscriptions.RemoveContactAsync(owner, contact, iq.Cancellation).ConfigureAwait(false);
            return IqResult.Empty;
        }

        var groups = new List<string>();
        foreach (var g in item.Elements())
        {
            if (g.Name != "group" || g.Namespace != Ns.Roster)
            {
                continue;
            }

            var name = g.Text;
            // RFC 6121 §2.3.3: empty and duplicate groups are errors.
            if (name.Length == 0)
            {
                throw new StanzaErrorException(StanzaErrorCondition.NotAcceptable, "Empty group name");
            }

            if (groups.Contains(name))
            {
                throw new StanzaErrorException(StanzaErrorCondition.BadRequest, "Duplicate group");
            }

            groups.Add(name);
        }

        var displayName = item.GetAttribute("name");
        using (await rosters.LockAsync(owner, iq.Cancellation).ConfigureAwait(false))
        {
            var existing = await rosters.Store.GetItemAsync(owner.ToString(), contact.ToString(), iq.Cancellation).ConfigureAwait(false);
            // The client may change name and groups only; the subscription state belongs to the server (§2.1.2.5).
            var updated = existing is null
                ? new RosterItem(contact.ToString(), displayName, Subscription.None, false, groups)
                : existing with { Name = displayName, Groups = groups };
            await rosters.SetAndPushAsync(owner, updated, iq.Cancellation).ConfigureAwait(false);
        }

        return IqResult.Empty;
    }
}
