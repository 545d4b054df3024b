namespace Rookery.Cluster.Membership;

/// <summary>The states of a node in the registry: joining → alive → draining → left, or dead.</summary>
public static class NodeStates
{
    /// <summary>Registered, not yet serving.</summary>
    public const string Joining = "joining";

    /// <summary>Serving clients and linked to its peers.</summary>
    public const string Alive = "alive";

    /// <summary>Asked to leave (<c>rookery cluster drain</c> or SIGTERM): takes no new logins, moves its clients away.</summary>
    public const string Draining = "draining";

    /// <summary>Left the cluster cleanly.</summary>
    public const string Left = "left";

    /// <summary>Declared dead by a survivor (lock gone or heartbeat too old); its sessions were purged.</summary>
    public const string Dead = "dead";
}
