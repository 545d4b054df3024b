namespace Rookery.Server.Routing;

/// <summary>
/// The cluster-wide s2s route table as the <see cref="S2SManager"/> sees it (seed 000: "all nodes exchange ... s2s
/// connections"): which other node owns a verified outgoing stream for a (local domain, remote domain) pair.
/// </summary>
public interface IS2sRouteDirectory
{
    /// <summary>
    /// Forwards <paramref name="stanza"/> in one hop, acknowledged, to a live node that owns a verified outgoing stream for
    /// its pair; false when no other node does (or it cannot take the stanza), and this node then opens its own stream.
    /// </summary>
    bool TryForward(Stanza stanza);
}
