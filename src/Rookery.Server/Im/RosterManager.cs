using Rookery.Protocol.Addressing;
using Rookery.Protocol.Xml;
using Rookery.Server.Sessions;
using Rookery.Server.Util;
using Rookery.Storage;

namespace Rookery.Server.Im;

/// <summary>
/// Reads and changes rosters (RFC 6121 §2) and pushes every change to the account's interested resources. Changes to
/// one account's roster are serialised, so that concurrent subscription handshakes cannot lose an update.
/// </summary>
public sealed class RosterManager(IRosterStore store, SessionTable sessions) : IDisposable
{
    private readonly StripedLock _locks = new();

    /// <summary>The underlying store.</summary>
    public IRosterStore Store => store;

    /// <summary>Takes the account's roster lock for a read-modify-write sequence.</summary>
    public ValueTask<StripedLock.Releaser> LockAsync(Jid owner, CancellationToken ct = default) => _locks.AcquireAsync(owner.Bare, ct);

    /// <summary>Writes an item and pushes it. The caller holds the account's lock.</summary>
    public async Task SetAndPushAsync(Jid owner, RosterItem item, CancellationToken ct = default)
    {
        var version = await store.SetItemAsync(owner.Bare.ToString(), item, ct).ConfigureAwait(false);
        Push(owner, ToElement(item), version);
    }

    /// <summary>Removes an item and pushes the removal. The caller holds the account's lock.</summary>
    public async Task RemoveAndPushAsync(Jid owner, string contact, CancellationToken ct = default)
    {
        var version = await store.RemoveItemAsync(owner.Bare.ToString(), contact, ct).ConfigureAwait(false);
        if (version is { } v)
        {
            var removed = new Element("item", Ns.Roster).SetAttribute("jid", contact).SetAttribute("subscription", "remove");
            Push(owner, removed, v);
        }
    }

    /// <summary>Sends a roster push (RFC 6121 §2.1.6) to every interested resource of the account.</summary>
    public void Push(Jid owner, Element item, long version)
    {
        var bare = owner.Bare;
        var from = bare.ToString();
        foreach (var s in sessions.Sessions(bare))
        {
            if (!s.IsInterested)
            {
                continue;
            }

            var iq = new Element("iq", Ns.Client)
                .SetAttribute("type", "set")
                .SetAttribute("id", "push" + Random.Shared.NextInt64().ToString("x", System.Globalization.CultureInfo.InvariantCulture))
                .SetAttribute("from", from)
                .SetAttribute("to", s.Jid.ToString());
            iq.AddChild("query", Ns.Roster)
                .SetAttribute("ver", version.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add(item.Clone());
            s.Send(iq);
        }
    }

    /// <summary>The wire form of a roster item.</summary>
    public static Element ToElement(RosterItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var e = new Element("item", Ns.Roster)
            .SetAttribute("jid", item.Contact)
            .SetAttribute("name", item.Name)
            .SetAttribute("subscription", SubscriptionName(item.Subscription));
        if (item.PendingOut)
        {
            e.SetAttribute("ask", "subscribe");
        }

        foreach (var g in item.Groups)
        {
            e.AddChild("group").AddText(g);
        }

        return e;
    }

    /// <summary>The wire name of a subscription state.</summary>
    public static string SubscriptionName(Subscription s) => s switch
    {
        Subscription.To => "to",
        Subscription.From => "from",
        Subscription.Both => "both",
        _ => "none",
    };

    /// <inheritdoc />
    public void Dispose() => _locks.Dispose();
}
