namespace Rookery.Storage;

/// <summary>A subscription to a node of a publish-subscribe service (XEP-0060 §6.1), <c>subscribed</c> or <c>pending</c>.</summary>
/// <param name="Node">The node id.</param>
/// <param name="Jid">The subscribed JID, bare or full: notifications go to it.</param>
/// <param name="SubId">The subscription id the service generated, unique within the node.</param>
/// <param name="Pending">
/// Waiting for an owner's approval (the authorize access model, §6.1.4): it gets no notifications and grants no access.
/// </param>
public sealed record PubsubSubscription(string Node, string Jid, string SubId, bool Pending = false)
{
    /// <summary>The bare JID of <see cref="Jid"/> (RFC 7622 §3.1: the resource follows the first slash).</summary>
    public string Account => Jid.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? Jid[..slash] : Jid;
}
