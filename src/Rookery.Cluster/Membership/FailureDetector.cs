namespace Rookery.Cluster.Membership;

/// <summary>
/// Decides when a peer is suspect: its heartbeat value has not changed for longer than the failure timeout, measured
/// on this node's own clock (a <see cref="TimeProvider"/>), so clock skew between nodes and the database never makes a
/// live node look dead. The advisory-lock probe in <see cref="ClusterMembership"/> catches a vanished peer sooner.
/// </summary>
internal sealed class FailureDetector(TimeProvider time, TimeSpan timeout)
{
    private readonly Dictionary<long, (DateTimeOffset Heartbeat, long SeenAt)> _peers = [];

    /// <summary>Records the heartbeat read from the registry for a peer; a new value restarts its timeout.</summary>
    public void Observe(long nodeId, DateTimeOffset heartbeat)
    {
        if (!_peers.TryGetValue(nodeId, out var known) || known.Heartbeat != heartbeat)
        {
            _peers[nodeId] = (heartbeat, time.GetTimestamp());
        }
    }

    /// <summary>True when the peer's heartbeat has not moved for longer than the timeout (false for an unknown peer).</summary>
    public bool IsSuspect(long nodeId) =>
        _peers.TryGetValue(nodeId, out var known) && time.GetElapsedTime(known.SeenAt) > timeout;

    /// <summary>Forgets a peer that is gone.</summary>
    public void Forget(long nodeId) => _peers.Remove(nodeId);

    /// <summary>The peers being watched.</summary>
    public IReadOnlyCollection<long> Watched => _peers.Keys;
}
