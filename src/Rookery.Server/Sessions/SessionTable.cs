using System.Collections.Concurrent;
using Rookery.Protocol.Addressing;

namespace Rookery.Server.Sessions;

/// <summary>
/// Who is online: the bound resources of every account, indexed by bare JID. Lookups read an immutable per-account
/// snapshot without locking; bind and unbind replace it. The cluster issue replaces this node-local table with the
/// replicated one behind the same members: in a cluster it also holds the sessions of other nodes (remote sessions
/// whose <c>Send</c> forwards over a node link), and an <see cref="Observer"/> replicates the local changes.
/// </summary>
public sealed class SessionTable
{
    private readonly ConcurrentDictionary<Jid, SessionSet> _byBare = new();
    private readonly Lock _writeLock = new();
    private int _count;

    /// <summary>Told of every bind, unbind and change (the cluster's replication); null on a single node.</summary>
    public ISessionTableObserver? Observer { get; set; }

    /// <summary>The number of bound sessions.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Adds a session. An older session with the same full JID is removed and returned, for the caller to end with a
    /// <c>conflict</c> stream error (RFC 6120 §7.7.2.2: the server may terminate the existing session).
    /// </summary>
    public IClientSession? Bind(IClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        IClientSession? replaced;
        var bare = session.Jid.Bare;
        lock (_writeLock)
        {
            var set = _byBare.GetValueOrDefault(bare) ?? SessionSet.Empty;
            replaced = set.Find(session.Jid);
            if (replaced is not null)
            {
                set = set.Without(replaced);
            }
            else
            {
                _count++;
            }

            _byBare[bare] = set.With(session);
        }

        Observer?.Bound(session, replaced);
        return replaced;
    }

    /// <summary>Removes a session if it is still bound; returns whether it was.</summary>
    public bool Unbind(IClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!UnbindCore(session))
        {
            return false;
        }

        Observer?.Unbound(session);
        return true;
    }

    /// <summary>Tells the <see cref="Observer"/> that a bound session's presence, priority, roster interest, carbons or flexible offline flag changed.</summary>
    public void Changed(IClientSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Observer?.Changed(session);
    }

    private bool UnbindCore(IClientSession session)
    {
        var bare = session.Jid.Bare;
        lock (_writeLock)
        {
            if (!_byBare.TryGetValue(bare, out var set))
            {
                return false;
            }

            var after = set.Without(session);
            if (ReferenceEquals(after, set))
            {
                return false;
            }

            _count--;
            if (after.Sessions.Length == 0)
            {
                _byBare.TryRemove(bare, out _);
            }
            else
            {
                _byBare[bare] = after;
            }

            return true;
        }
    }

    /// <summary>The sessions of an account (empty when none). The array is a snapshot: never modify it.</summary>
    public IClientSession[] Sessions(Jid bare) =>
        _byBare.TryGetValue(bare, out var set) ? set.Sessions : [];

    /// <summary>The session bound to a full JID, or null.</summary>
    public IClientSession? Find(Jid full)
    {
        ArgumentNullException.ThrowIfNull(full);
        return _byBare.TryGetValue(full.Bare, out var set) ? set.Find(full) : null;
    }

    /// <summary>Every bound session (for shutdown and admin listings).</summary>
    public IEnumerable<IClientSession> All()
    {
        foreach (var kv in _byBare)
        {
            foreach (var s in kv.Value.Sessions)
            {
                yield return s;
            }
        }
    }
}
