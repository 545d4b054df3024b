using Rookery.Protocol.Addressing;

namespace Rookery.Server.Modules;

/// <summary>
/// Tells the other nodes of a cluster that something a module keeps per account changed here (a block list), so that
/// each node's instance of the module drops what it cached and tells its own clients. On a single node there is no one
/// to tell and <see cref="Publish"/> does nothing; in a cluster the node links carry the changes.
/// </summary>
/// <remarks>
/// A change reaches the peers linked at the time, in order with the stanzas this node forwards after it. A peer that
/// was not linked (a link down, a node starting) may have missed changes: when a link comes up, each node is told
/// <see cref="DeliverEverythingChanged"/>, meaning "anything you cached may be stale".
/// </remarks>
public sealed class AccountChanges
{
    private readonly Dictionary<string, Action<Jid?, string>> _handlers = new(StringComparer.Ordinal);

    /// <summary>Set by the cluster: sends (topic, account, detail) to every linked peer.</summary>
    public Action<string, Jid, string>? Transport { get; set; }

    /// <summary>
    /// Registers the handler of a topic (at start-up only, one per topic): it gets the account that changed on another
    /// node and the publisher's detail, or a null account and an empty detail when every cached account may be stale.
    /// </summary>
    public void Subscribe(string topic, Action<Jid?, string> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlers)
        {
            _handlers.Add(topic, handler);
        }
    }

    /// <summary>Announces a change of <paramref name="account"/>'s state under <paramref name="topic"/> to the other nodes.</summary>
    public void Publish(string topic, Jid account, string detail)
    {
        ArgumentNullException.ThrowIfNull(account);
        Transport?.Invoke(topic, account, detail);
    }

    /// <summary>A change announced by another node; a topic no module here handles (an older build) is ignored.</summary>
    public void Deliver(string topic, Jid account, string detail)
    {
        Action<Jid?, string>? handler;
        lock (_handlers)
        {
            handler = _handlers.GetValueOrDefault(topic);
        }

        handler?.Invoke(account, detail);
    }

    /// <summary>Tells every topic's handler that anything it cached may be stale (a link to a peer came up).</summary>
    public void DeliverEverythingChanged()
    {
        List<Action<Jid?, string>> handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers.Values];
        }

        foreach (var handler in handlers)
        {
            handler(null, string.Empty);
        }
    }
}
