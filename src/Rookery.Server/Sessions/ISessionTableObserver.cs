namespace Rookery.Server.Sessions;

/// <summary>
/// Learns of every change to the <see cref="SessionTable"/>: the cluster replicates the changes of local sessions to
/// the other nodes through it. Called after the table changed, outside its lock, on the thread that changed it.
/// </summary>
public interface ISessionTableObserver
{
    /// <summary>A session was bound (it may have replaced <paramref name="replaced"/>, which is no longer in the table).</summary>
    void Bound(IClientSession session, IClientSession? replaced);

    /// <summary>A session was unbound.</summary>
    void Unbound(IClientSession session);

    /// <summary>A bound session's presence, priority, roster interest or carbons flag changed.</summary>
    void Changed(IClientSession session);
}
