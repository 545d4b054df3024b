namespace Rookery.Cluster;

/// <summary>
/// The <c>Cluster</c> section: whether the node joins a cluster on the shared PostgreSQL database, how it proves it is
/// alive, how quickly a dead peer is detected, and how it links to the other nodes. Timing settings follow the seeds'
/// Hazelcast properties (heartbeat interval, failure timeout, startup delay and retries, maximum task time).
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>The default <see cref="Port"/>.</summary>
    public const int DefaultPort = 5277;

    /// <summary>Join the cluster of every node that uses the same database, schema and secret. Needs <c>Storage:Provider = postgres</c>.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The shared secret that node links prove with HMAC-SHA256 challenge–response; never sent over the wire. At least 16
    /// characters; the same on every node.
    /// </summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>The TCP port of the node-to-node link listener.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>The address the link listener binds to; <c>*</c> means every interface.</summary>
    public string Address { get; set; } = "*";

    /// <summary>
    /// The host name or address other nodes dial for links and clients are sent to on drain (with the client port).
    /// Empty: the machine's host name.
    /// </summary>
    public string AdvertisedAddress { get; set; } = string.Empty;

    /// <summary>The node's name in <c>rookery cluster status</c> and the logs. Empty: the host name and the cluster port.</summary>
    public string NodeName { get; set; } = string.Empty;

    /// <summary>How often the node proves it is alive (heartbeat) and checks its peers.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A peer whose heartbeat has not moved for this long (or whose database session is gone and whose heartbeat row is
    /// older than this) is declared dead; nothing declares a node dead, or makes it give up its lock, sooner.
    /// </summary>
    public TimeSpan FailureTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a node waits after start before it registers (lets a failure detector finish with its old self).</summary>
    public TimeSpan StartupDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How many more times registration in the database is tried when it fails at start.</summary>
    public int StartupRetryCount { get; set; } = 5;

    /// <summary>The wait between two registration attempts at start.</summary>
    public TimeSpan StartupRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest a cluster-wide task may take: purging a dead node, waiting for a full sync, draining clients.</summary>
    public TimeSpan MaxTaskTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many forwarded stanzas a link may hold unacknowledged before new ones are refused (and stored or bounced).</summary>
    public int MaxLinkQueue { get; set; } = 100_000;

    /// <summary>The default <see cref="LinkWriteInterval"/>: 250 µs.</summary>
    public static readonly TimeSpan DefaultLinkWriteInterval = TimeSpan.FromMicroseconds(250);

    /// <summary>
    /// The shortest time between two writes on a node link. A stanza forwarded while the link is quiet goes out at once;
    /// those forwarded within this time of the previous write wait for it and go out together: fewer, larger writes and
    /// fewer wake-ups of the peer under load, for at most about this much added latency per hop. Zero writes each burst
    /// as soon as the thread pool runs it. At most one second.
    /// </summary>
    public TimeSpan LinkWriteInterval { get; set; } = DefaultLinkWriteInterval;

    /// <summary>TLS on node links: certificate and peer trust (<see cref="ClusterTlsOptions"/>); off by default.</summary>
    public ClusterTlsOptions Tls { get; set; } = new();

    /// <summary>
    /// Static link addresses (Tigase's <c>cluster-nodes</c>): <c>host:port</c>, or <c>name=host:port</c> for the node of that
    /// name. Membership stays in PostgreSQL; these only say where to dial a registry peer (<see cref="SeedNode"/>).
    /// </summary>
    public List<string> SeedNodes { get; set; } = [];

    /// <summary>Why the options cannot be used, starting with the quoted key (<c>'Cluster:Secret' must ...</c>), or null when they can.</summary>
    public string? Describe()
    {
        if (!Enabled)
        {
            return null;
        }

        if (Secret.Length < 16)
        {
            return "'Cluster:Secret' must be at least 16 characters when Cluster:Enabled is true";
        }

        if (Port is < 0 or > 65535)
        {
            return $"'Cluster:Port' must be a TCP port number (0-65535), not {Port}";
        }

        if (HeartbeatInterval < TimeSpan.FromMilliseconds(50))
        {
            return "'Cluster:HeartbeatInterval' must be at least 00:00:00.05";
        }

        if (FailureTimeout < HeartbeatInterval * 2)
        {
            return "'Cluster:FailureTimeout' must be at least twice Cluster:HeartbeatInterval";
        }

        if (StartupDelay < TimeSpan.Zero)
        {
            return "'Cluster:StartupDelay' must not be negative";
        }

        if (StartupRetryCount < 0)
        {
            return "'Cluster:StartupRetryCount' must not be negative";
        }

        if (StartupRetryInterval < TimeSpan.Zero)
        {
            return "'Cluster:StartupRetryInterval' must not be negative";
        }

        if (MaxTaskTime < TimeSpan.FromSeconds(1))
        {
            return "'Cluster:MaxTaskTime' must be at least 00:00:01";
        }

        if (MaxLinkQueue < 100)
        {
            return "'Cluster:MaxLinkQueue' must be at least 100";
        }

        if (LinkWriteInterval < TimeSpan.Zero || LinkWriteInterval > TimeSpan.FromSeconds(1))
        {
            return "'Cluster:LinkWriteInterval' must be between 00:00:00 and 00:00:01";
        }

        if (NodeName.Length > 100)
        {
            return "'Cluster:NodeName' must be at most 100 characters";
        }

        for (var i = 0; i < SeedNodes.Count; i++)
        {
            if (!SeedNode.TryParse(SeedNodes[i], out _))
            {
                return $"'Cluster:SeedNodes:{i}' must be host:port or name=host:port (port 1-65535), not '{SeedNodes[i]}'";
            }
        }

        if (Tls.Describe() is { } tlsProblem)
        {
            return tlsProblem;
        }

        return null;
    }
}
