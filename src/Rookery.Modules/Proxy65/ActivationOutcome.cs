namespace Rookery.Modules.Proxy65;

/// <summary>What became of an activation request (XEP-0065 §6.3.5) on this node's proxy.</summary>
public enum ActivationOutcome
{
    /// <summary>Both connections of the stream were waiting: they now relay to each other.</summary>
    Activated,

    /// <summary>No connection on this node's proxy named the hash: an unknown stream, another requester, or another node.</summary>
    NotFound,

    /// <summary>Only one party is connected (the other has not connected yet, or has left).</summary>
    OnlyOneConnected,

    /// <summary>The stream was activated before and is relaying.</summary>
    AlreadyActive,
}
