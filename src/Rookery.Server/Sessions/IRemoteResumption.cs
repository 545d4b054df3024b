using Rookery.Protocol.Addressing;

namespace Rookery.Server.Sessions;

/// <summary>
/// Brings a resumable session from the cluster node that owns it to this one (XEP-0198 §5 across nodes): implemented by
/// the cluster, absent on a single node.
/// </summary>
public interface IRemoteResumption
{
    /// <summary>
    /// Asks node <paramref name="nodeId"/> to hand over the session of <paramref name="account"/> that
    /// <paramref name="token"/> names. True when the session now waits here, detached and resumable under the same token;
    /// false when the node is unknown or dead, refused, or did not answer in time.
    /// </summary>
    ValueTask<bool> FetchAsync(string token, long nodeId, Jid account, CancellationToken ct);
}
