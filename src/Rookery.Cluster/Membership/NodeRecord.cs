namespace Rookery.Cluster.Membership;

/// <summary>One node's row in the registry (<c>cluster_nodes</c>): who it is, where to reach it, and how it is doing.</summary>
public sealed record NodeRecord
{
    /// <summary>The node's id, unique per start (its incarnation): a restarted node registers with a new one.</summary>
    public long NodeId { get; init; }

    /// <summary>The configured or derived node name.</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The advertised host for links and client redirects.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>The node-to-node link port.</summary>
    public int ClusterPort { get; init; }

    /// <summary>The client (STARTTLS) port, for <c>see-other-host</c>.</summary>
    public int ClientPort { get; init; }

    /// <summary>The server version.</summary>
    public string Version { get; init; } = string.Empty;

    /// <summary>The newest link protocol version the node speaks.</summary>
    public int ProtocolVersion { get; init; }

    /// <summary>When the node registered.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The node's last heartbeat (database time).</summary>
    public DateTimeOffset HeartbeatAt { get; init; }

    /// <summary>How old <see cref="HeartbeatAt"/> was when the registry was read, on the database clock (zero when unknown).</summary>
    public TimeSpan HeartbeatAge { get; init; }

    /// <summary>One of <see cref="NodeStates"/>.</summary>
    public string State { get; init; } = NodeStates.Joining;

    /// <summary>The number of client sessions bound on the node, as of its last heartbeat.</summary>
    public int Sessions { get; init; }

    /// <summary>The node's links as of its last heartbeat: <c>name=up|down</c>, comma-separated.</summary>
    public string Links { get; init; } = string.Empty;

    /// <summary>The node that declared this one dead, if any.</summary>
    public long? DeclaredBy { get; init; }

    /// <summary>True while the node takes part in the cluster (joining, alive or draining).</summary>
    public bool IsLive => State is NodeStates.Joining or NodeStates.Alive or NodeStates.Draining;

    /// <summary>The <c>host:port</c> clients are sent to (IPv6 addresses in brackets, RFC 6120 §4.9.3.19).</summary>
    public string ClientAddress => (Host.Contains(':', StringComparison.Ordinal) ? "[" + Host + "]" : Host) + ":" + ClientPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
