namespace Rookery.Storage;

/// <summary>A subscription to a node of a publish-subscribe service (XEP-0060 §6.1), <c>subscribed</c> or <c>pending</c>.</summary>
/// <param name="Node">The node id.</param>
/// <param name="Jid">The subscribed JID, bare or full: notifications go to it.</param>
/// <param name="SubId">
/// The subscription id the service generated, unique within the node; a JID may hold several subscriptions to one node
/// (§6.1.6), which their ids tell apart.
/// </param>
/// <param name="Pending">
/// Waiting for an owner's approval (the authorize access model, §6.1.4): it gets no notifications and grants no access.
/// </param>
/// <param name="Options">
/// The subscription options the subscriber set (§6.3), field name to value, several values joined by a line feed; null
/// or empty for the defaults. The service gives them their meaning.
/// </param>
public sealed record PubsubSubscription(string Node, string Jid, string SubId, bool Pending = false, IReadOnlyDictionary<string, string>? Options = null)
{
    /// <summary>The bare JID of <see cref="Jid"/> (RFC 7622 §3.1: the resource follows the first slash).</summary>
    public string Account => Jid.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? Jid[..slash] : Jid;

    /// <summary>Whether two subscriptions have the same values, the options compared by content (null and empty alike).</summary>
    public bool Equals(PubsubSubscription? other) =>
        other is not null && Node == other.Node && Jid == other.Jid && SubId == other.SubId && Pending == other.Pending &&
        SameOptions(Options, other.Options);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Node, Jid, SubId, Pending, Options?.Count ?? 0);

    private static bool SameOptions(IReadOnlyDictionary<string, string>? a, IReadOnlyDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
        {
            return false;
        }

        foreach (var (name, value) in a ?? new Dictionary<string, string>())
        {
            if (b is null || !b.TryGetValue(name, out var other) || other != value)
            {
                return false;
            }
        }

        return true;
    }
}
