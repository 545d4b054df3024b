namespace Rookery.Modules.Proxy65;

/// <summary>
/// The bytestreams of this node's proxy, by hash: at most two connections per hash, activation only when both are
/// connected. Each node of a cluster has its own: a stream exists on the node whose proxy port its parties connected to.
/// </summary>
public sealed class BytestreamRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BytestreamPair> _pairs = new(StringComparer.Ordinal);

    /// <summary>The streams with at least one connection, waiting or relaying.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pairs.Count;
            }
        }
    }

    /// <summary>
    /// Activates the stream <paramref name="hash"/> (XEP-0065 §6.3.5): both connections must be connected and have had
    /// their success reply. The caller has checked that the requester may use the proxy; the hash itself proves that the
    /// request comes from the requester named in it.
    /// </summary>
    public ActivationOutcome Activate(string hash)
    {
        BytestreamPair pair;
        lock (_lock)
        {
            if (!_pairs.TryGetValue(hash, out pair!))
            {
                return ActivationOutcome.NotFound;
            }

            if (pair.IsActive)
            {
                return ActivationOutcome.AlreadyActive;
            }

            if (!pair.Target.IsReady || pair.Initiator is not { IsReady: true })
            {
                return ActivationOutcome.OnlyOneConnected;
            }

            pair.IsActive = true;
        }

        pair.Target.Activate();
        pair.Initiator.Activate();
        return ActivationOutcome.Activated;
    }

    /// <summary>Adds a connection to its stream: the first or the second; null when the stream has two already.</summary>
    internal BytestreamPair? Join(ProxiedConnection connection)
    {
        lock (_lock)
        {
            if (!_pairs.TryGetValue(connection.Hash, out var pair))
            {
                pair = new BytestreamPair(connection);
                _pairs.Add(connection.Hash, pair);
                return pair;
            }

            if (pair.Initiator is not null || pair.IsActive)
            {
                return null;
            }

            pair.Initiator = connection;
            return pair;
        }
    }

    /// <summary>Marks a joined connection as ready for activation: its success reply has been flushed.</summary>
    internal void MarkReady(ProxiedConnection connection)
    {
        lock (_lock)
        {
            connection.IsReady = true;
        }
    }

    /// <summary>
    /// Takes a connection out of its stream before activation (it closed, timed out, or the node stops). False when the
    /// stream was activated first: then the connection must relay, as its peer and the requester expect.
    /// </summary>
    internal bool TryLeave(ProxiedConnection connection)
    {
        lock (_lock)
        {
            if (!_pairs.TryGetValue(connection.Hash, out var pair))
            {
                return true;
            }

            if (pair.IsActive)
            {
                return false;
            }

            if (ReferenceEquals(pair.Initiator, connection))
            {
                pair.Initiator = null;
            }
            else if (ReferenceEquals(pair.Target, connection))
            {
                if (pair.Initiator is { } second)
                {
                    // The second connection becomes the first: a pair always has its first.
                    pair.Target = second;
                    pair.Initiator = null;
                }
                else
                {
                    _pairs.Remove(connection.Hash);
                }
            }

            return true;
        }
    }

    /// <summary>Forgets an active stream whose relays have both stopped.</summary>
    internal void Remove(BytestreamPair pair)
    {
        lock (_lock)
        {
            if (_pairs.TryGetValue(pair.Hash, out var current) && ReferenceEquals(current, pair))
            {
                _pairs.Remove(pair.Hash);
            }
        }
    }
}
