namespace Rookery.Cluster.Membership;

/// <summary>
/// Decides when a peer is dead: its heartbeat value has not changed for longer than the failure timeout, measured on
/// this node's own clock (a <see cref="TimeProvider"/>), so clock skew between nodes and the database never makes a live
/// node look dead; or its advisory lock is free and its heartbeat row is older than the failure timeout. A free lock
/// alone is not enough: a starved node's lock connection may break and be taken again a moment later while the node
/// is alive and heartbeating (issue #4: a node starved of CPU was purged while alive).
/// </summary>
internal sealed class FailureDetector(TimeProvider time, TimeSpan timeout)
{
    private readonly Dictionary<long, (DateTimeOffset Heartbeat, long SeenAt)> _peers = [];

    /// <summary>Records the heartbeat read from the registry for a peer just now; a new value restarts its timeout.</summary>
    public void Observe(long nodeId, DateTimeOffset heartbeat) => Observe(nodeId, heartbeat, time.GetTimestamp());

    /// <summary>
    /// Records the heartbeat of a registry read that started at <paramref name="readAt"/> (a timestamp of this node's
    /// clock); a new value restarts the peer's timeout from then.
    /// </summary>
    public void Observe(long nodeId, DateTimeOffset heartbeat, long readAt)
    {
        if (!_peers.TryGetValue(nodeId, out var known) || known.Heartbeat != heartbeat)
        {
            _peers[nodeId] = (heartbeat, readAt);
        }
    }

    /// <summary>True when the peer's heartbeat has not moved for longer than the timeout (false for an unknown peer).</summary>
    public bool IsSuspect(long nodeId) => IsSuspect(nodeId, time.GetTimestamp());

    /// <summary>
    /// True when the heartbeat had not moved for longer than the timeout as of <paramref name="readAt"/>, the start of
    /// the read it was last seen in. Measured up to the read, not to now: a node stopped for a while (SIGSTOP, a host
    /// pause) between reading the registry and judging it would otherwise count its own stop against the peer, and
    /// declared its healthy peer dead on waking (a CI run of PausedNodeTests).
    /// </summary>
    public bool IsSuspect(long nodeId, long readAt) =>
        _peers.TryGetValue(nodeId, out var known) && time.GetElapsedTime(known.SeenAt, readAt) > timeout;

    /// <summary>
    /// True when the peer must be declared dead: <see cref="IsSuspect(long)"/>, or its lock is free (<paramref name="lockFree"/>)
    /// and its heartbeat row is at least the failure timeout old (<paramref name="heartbeatAge"/>, on the database clock,
    /// the clock that wrote it). Never while the row is younger than the timeout, whatever the lock says.
    /// </summary>
    public bool IsDead(long nodeId, bool lockFree, TimeSpan heartbeatAge) => IsDead(nodeId, lockFree, heartbeatAge, time.GetTimestamp());

    /// <summary><see cref="IsDead(long, bool, TimeSpan)"/> as of the registry read that started at <paramref name="readAt"/>.</summary>
    public bool IsDead(long nodeId, bool lockFree, TimeSpan heartbeatAge, long readAt) =>
        IsSuspect(nodeId, readAt) || (lockFree && heartbeatAge > timeout);

    /// <summary>Forgets a peer that is gone.</summary>
    public void Forget(long nodeId) => _peers.Remove(nodeId);

    /// <summary>The peers being watched.</summary>
    public IReadOnlyCollection<long> Watched => _peers.Keys;
}
