namespace Rookery.Cluster.Membership;

/// <summary>What <see cref="ClusterMembership"/> tells the rest of the node; called from its single loop, one call at a time.</summary>
internal interface IMembershipListener
{
    /// <summary>The live peers after a registry read (this node excluded).</summary>
    void PeersChanged(IReadOnlyList<NodeRecord> live);

    /// <summary>
    /// A peer is gone (dead or left). <paramref name="purge"/> is true on the one node that declared it dead: that node
    /// announces the peer's sessions as unavailable, once for the whole cluster.
    /// </summary>
    Task PeerGoneAsync(NodeRecord peer, bool purge);

    /// <summary>Someone asked this node to drain (<c>rookery cluster drain</c>).</summary>
    void DrainRequested();

    /// <summary>The database cannot be reached: the node's view may be stale.</summary>
    void DatabaseLost();

    /// <summary>The database answers again and this node is registered.</summary>
    void DatabaseRestored();

    /// <summary>The survivors declared this node dead (it lost its database session): its sessions were purged elsewhere.</summary>
    Task DeclaredDeadAsync();

    /// <summary>The number of client sessions bound on this node, for the heartbeat.</summary>
    int LocalSessionCount { get; }

    /// <summary>A summary of this node's links (<c>name=up,name=down</c>), for the heartbeat.</summary>
    string LinkSummary { get; }
}
